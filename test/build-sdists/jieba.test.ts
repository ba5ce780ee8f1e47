/**
 * The real case: jieba publishes only an sdist (setup.py, old PKG-INFO). Lock and bundle it for
 * this host from the index pip is configured to use, install the bundle with no network
 * (`unshare -n`) and import it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../cli/run-cli.js';

const unshare = ['-n', '-rn'].find(
  (flag) => spawnSync('unshare', [flag, 'true'], { stdio: 'ignore' }).status === 0,
);
const onIndex =
  spawnSync('python3', ['-m', 'pip', 'index', 'versions', 'jieba'], {
    stdio: 'ignore',
    timeout: 60_000,
  }).status === 0;

const skip =
  unshare === undefined
    ? 'unshare -n is not available on this host (no root, no user namespaces)'
    : !onIndex
      ? 'jieba is not on the index pip is configured to use (pip index versions jieba failed)'
      : false;

test('jieba: locked, built into a wheel here, installed offline and imported', {
  skip,
}, async () => {
  const work = tempDir();
  // pip's own configuration stays in force: the configured index is the source.
  const env = {
    ...process.env,
    FERRY_CACHE_DIR: join(work, 'cache'),
    FERRY_LEDGER_DIR: join(work, 'ledger'),
    NO_COLOR: '1',
  };
  const lockFile = join(work, 'pylock.toml');
  const lock = await runCli(['lock', 'jieba', '-o', lockFile], { env });
  assert.equal(lock.code, 0, lock.stderr);
  assert.match(
    lock.stderr,
    /jieba \S+ has no wheel for the target, only a source distribution: ferry bundle will build it into a wheel on this host/,
  );
  const out = join(work, 'bundle');
  const bundle = await runCli(['bundle', 'jieba', '-o', out], { env });
  assert.equal(bundle.code, 0, bundle.stderr);
  assert.match(bundle.stderr, /built jieba \S+ into jieba-\S+-py3-none-any\.whl in/);
  const venv = join(work, 'venv');
  const install = spawnSync(
    'unshare',
    [
      unshare!,
      process.execPath,
      'bin/ferry.js',
      'install',
      out,
      '--venv',
      venv,
      '--allow-unsigned',
    ],
    { env, encoding: 'utf8' },
  );
  assert.equal(install.status, 0, install.stderr);
  const imported = spawnSync(
    join(venv, 'bin', 'python'),
    ['-c', 'import jieba; print(jieba.__version__)'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, /^\d+\.\d+/);
});
