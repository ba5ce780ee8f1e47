/**
 * The real native case: jieba_fast publishes only an sdist with a C extension (no wheel at all
 * on the index). From the index pip is configured to use:
 *   - bundled for this host with default flags, it is built here into a native wheel, installed
 *     under `unshare -n` and imported;
 *   - for a foreign target (linux aarch64) it is refused with the options;
 *   - with --allow-sdist it is carried and built offline on this host as an x86_64 stand-in
 *     target, by ferry install and by install.py, under `unshare -n`;
 *   - done when: a requirements file mixing a wheel (six), jieba and jieba_fast locks and
 *     bundles with default flags, installs under `unshare -n`, and every package imports.
 * Downloads are cached under .ferry-work/sdist-native-cache, so a second run reads no index file
 * twice.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { runCli, tempDir } from '../cli/run-cli.js';

const unshare = ['-n', '-rn'].find(
  (flag) => spawnSync('unshare', [flag, 'true'], { stdio: 'ignore' }).status === 0,
);
const onIndex = (name: string): boolean =>
  spawnSync('python3', ['-m', 'pip', 'index', 'versions', name], {
    stdio: 'ignore',
    timeout: 60_000,
  }).status === 0;
const compiler =
  spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('python3', [
    '-c',
    'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))',
  ]).status === 0;

const skip =
  unshare === undefined
    ? 'unshare -n is not available on this host (no root, no user namespaces)'
    : !compiler
      ? 'no gcc or no Python headers here to build a C extension'
      : !onIndex('jieba_fast') || !onIndex('jieba') || !onIndex('six')
        ? 'jieba_fast, jieba or six is not on the index pip is configured to use'
        : false;

const work = tempDir('ferry-native-');
// pip's own configuration stays in force: the configured index is the source.
const env = {
  ...process.env,
  FERRY_CACHE_DIR: resolve('.ferry-work', 'sdist-native-cache'),
  FERRY_LEDGER_DIR: join(work, 'ledger'),
  NO_COLOR: '1',
};

const offline = (args: string[]) =>
  spawnSync('unshare', [unshare!, ...args], { env, encoding: 'utf8' });
const imports = (venv: string, modules: string) =>
  spawnSync(join(venv, 'bin', 'python'), ['-c', `import ${modules}`], { encoding: 'utf8' });

describe('jieba_fast: a native sdist-only package', { skip }, () => {
  test('bundled for this host with default flags: built here, installed offline, imported', async () => {
    const out = join(work, 'host');
    const r = await runCli(['bundle', 'jieba_fast', '-o', out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /built jieba-fast \S+ into jieba_fast-\S+-cp3\d+-cp3\d+-linux_x86_64\.whl in \d+\.\d s/,
    );
    const venv = join(work, 'v-host');
    const i = offline([
      process.execPath,
      'bin/ferry.js',
      'install',
      out,
      '--venv',
      venv,
      '--allow-unsigned',
    ]);
    assert.equal(i.status, 0, i.stderr);
    const imported = imports(venv, 'jieba_fast, _jieba_fast_functions_py3');
    assert.equal(imported.status, 0, imported.stderr);
  });

  test('for linux aarch64 it is refused with the options', async () => {
    const r = await runCli(
      [
        'bundle',
        'jieba_fast',
        '-o',
        join(work, 'arm'),
        '--python',
        '3.11',
        '--os',
        'linux',
        '--arch',
        'aarch64',
        '--glibc',
        '2.28',
      ],
      { env },
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_BUILT_WHEEL_UNFIT/);
    assert.match(r.stderr, /the target is aarch64, this host x86_64/);
    assert.match(r.stderr, /--allow-sdist jieba-fast/);
    assert.match(r.stderr, /ferry bundle on a host like the target/);
  });

  test('with --allow-sdist it is carried and built offline on the target, by ferry install and install.py', async () => {
    const out = join(work, 'carried');
    const r = await runCli(['bundle', 'jieba_fast', '--allow-sdist', 'jieba_fast', '-o', out], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      readdirSync(join(out, 'wheels')).some((f) => /^jieba_fast-.*\.tar\.gz$/.test(f)),
      'the sdist is carried',
    );
    const venv = join(work, 'v-carried');
    const i = offline([
      process.execPath,
      'bin/ferry.js',
      'install',
      out,
      '--venv',
      venv,
      '--allow-unsigned',
    ]);
    assert.equal(i.status, 0, i.stderr);
    assert.match(
      i.stderr,
      /built jieba_fast-\S+\.tar\.gz into jieba_fast-\S+-linux_x86_64\.whl in \d+\.\d s/,
    );
    assert.equal(imports(venv, 'jieba_fast, _jieba_fast_functions_py3').status, 0);
    const venv2 = join(work, 'v-carried-py');
    const p = offline(['python3', join(out, 'install.py'), '--venv', venv2, '--allow-unsigned']);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(imports(venv2, 'jieba_fast, _jieba_fast_functions_py3').status, 0);
  });

  test('done when: wheels, jieba and jieba_fast lock and bundle with default flags, install offline, import', async () => {
    const reqs = join(work, 'requirements.txt');
    await writeFile(reqs, 'six\njieba\njieba_fast\n');
    const lockFile = join(work, 'pylock.toml');
    const l = await runCli(['lock', '-r', reqs, '-o', lockFile], { env });
    assert.equal(l.code, 0, l.stderr);
    const out = join(work, 'mixed');
    const b = await runCli(['bundle', '--lock', lockFile, '-o', out], { env });
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /built jieba \S+ into/);
    assert.match(b.stderr, /built jieba-fast \S+ into/);
    const venv = join(work, 'v-mixed');
    const i = offline([
      process.execPath,
      'bin/ferry.js',
      'install',
      out,
      '--venv',
      venv,
      '--allow-unsigned',
    ]);
    assert.equal(i.status, 0, i.stderr);
    const imported = imports(venv, 'six, jieba, jieba_fast, _jieba_fast_functions_py3');
    assert.equal(imported.status, 0, imported.stderr);
  });
});
