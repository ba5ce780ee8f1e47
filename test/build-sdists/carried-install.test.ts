/**
 * Installing a bundle whose sdists are built on the target (--allow-sdist), hermetic (a local
 * index on 127.0.0.1, sdists with an in-tree backend, uv's real wheel from the pin of
 * test/oracles.txt), under `unshare -n`:
 *   - the build requirements carried for the sdists are not installed into the venv, unless the
 *     user's closure needs them, by `ferry install` and by install.py;
 *   - once the sdists are built into wheels, the carried uv installs them (the requirements
 *     file names only wheels, each with its hash);
 *   - a build that fails on the target is a failed install: exit 8.
 * Also the messages: a failed metadata build of an sdist already allowed with --allow-sdist does
 * not suggest --allow-sdist, and the dynamic-metadata error does not claim ferry never runs
 * package code on this host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readSdistFiles, sdistInfoFromFiles } from '../../src/index/sdist-metadata.js';
import { buildOnlyPackages, withoutPackages } from '../../src/onhost/build-only.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { ensureUvWheel } from '../helpers/uv-wheel.js';
import { tarGz, tinySdist } from './fixtures.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];
const BIN = resolve('bin/ferry.js');
const unshare = ['-n', '-rn'].find(
  (flag) => spawnSync('unshare', [flag, 'true'], { stdio: 'ignore' }).status === 0,
);
const hostPy311 =
  spawnSync('python3', ['-c', 'import sys; sys.exit(sys.version_info[:2] != (3, 11))']).status ===
  0;
const uv = ensureUvWheel();
const skip =
  unshare === undefined
    ? 'unshare -n is not available on this host (no root, no user namespaces)'
    : !hostPy311
      ? 'the bundles are for CPython 3.11 and python3 here is another version'
      : 'skip' in uv
        ? uv.skip
        : process.arch !== 'x64'
          ? 'the pinned uv wheel fetched here is for x86_64'
          : false;

/** An sdist with static PKG-INFO 2.2 whose backend fails in build_wheel. */
const brokenSdist = (): Buffer =>
  tarGz([
    ['tinybroken-1.0/PKG-INFO', 'Metadata-Version: 2.2\nName: tinybroken\nVersion: 1.0\n\n'],
    [
      'tinybroken-1.0/pyproject.toml',
      '[build-system]\nrequires = []\nbuild-backend = "broken_backend"\nbackend-path = ["."]\n',
    ],
    [
      'tinybroken-1.0/broken_backend.py',
      'def get_requires_for_build_wheel(config_settings=None):\n    return []\n\ndef build_wheel(directory, config_settings=None, metadata_directory=None):\n    raise RuntimeError("no compiler here")\n',
    ],
  ]);

const pipList = (venv: string): string[] =>
  spawnSync(join(venv, 'bin', 'python'), ['-m', 'pip', 'list', '--format=freeze'], {
    encoding: 'utf8',
  })
    .stdout.split('\n')
    .map((l) => l.split('==')[0]!.toLowerCase())
    .filter((n) => n !== '');

describe('installing carried sdists built on the target', { skip }, () => {
  let index: LocalIndex;
  let work: string;
  let links: string;
  before(async () => {
    index = await startLocalIndex([
      { name: 'buildhelper', version: '1.0' },
      { name: 'rtdep', version: '1.0' },
    ]);
    work = tempDir('ferry-carried-');
    links = join(work, 'links');
    mkdirSync(links);
    copyFileSync(
      (uv as { path: string }).path,
      join(links, basename((uv as { path: string }).path)),
    );
    await writeFile(
      join(links, 'tinycarried-1.0.tar.gz'),
      tinySdist({
        name: 'tinycarried',
        version: '1.0',
        requiresDist: ['rtdep>=1'],
        buildRequires: ['buildhelper>=1'],
      }),
    );
    await writeFile(join(links, 'tinybroken-1.0.tar.gz'), brokenSdist());
  });
  after(async () => {
    await index.close();
  });
  const env = () => isolatedEnv(join(work, 'cache'));
  const bundle = async (args: string[], out: string) => {
    const r = await runCli(
      [
        'bundle',
        ...args,
        '-o',
        out,
        ...TARGET,
        '--isolated',
        '--index-url',
        index.url,
        '--find-links',
        links,
      ],
      { env: env() },
    );
    assert.equal(r.code, 0, r.stderr);
    return out;
  };
  const install = (out: string, venv: string) =>
    spawnSync(
      'unshare',
      [unshare!, process.execPath, BIN, 'install', out, '--venv', venv, '--allow-unsigned'],
      { env: env(), encoding: 'utf8' },
    );
  const installPy = (out: string, venv: string) =>
    spawnSync(
      'unshare',
      [unshare!, 'python3', join(out, 'install.py'), '--venv', venv, '--allow-unsigned'],
      {
        env: env(),
        encoding: 'utf8',
      },
    );

  test('build requirements are not installed into the venv; uv installs the built wheels (ferry install, install.py)', async () => {
    const out = await bundle(['tinycarried', '--allow-sdist', 'tinycarried'], join(work, 'b1'));
    const venv = join(work, 'v1');
    const i = install(out, venv);
    assert.equal(i.status, 0, i.stderr);
    assert.match(
      i.stderr,
      /built tinycarried-1\.0\.tar\.gz into tinycarried-1\.0-py3-none-any\.whl/,
    );
    assert.match(i.stderr, /\buv \d+\.\d+\.\d+/);
    assert.doesNotMatch(i.stderr, /which pip builds on this host/);
    const installed = pipList(venv);
    assert.ok(
      installed.includes('tinycarried') && installed.includes('rtdep'),
      installed.join(' '),
    );
    assert.ok(!installed.includes('buildhelper'), `buildhelper installed: ${installed.join(' ')}`);

    const venv2 = join(work, 'v1-py');
    const p = installPy(out, venv2);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, /installing with uv/);
    const installed2 = pipList(venv2);
    assert.ok(installed2.includes('tinycarried') && installed2.includes('rtdep'));
    assert.ok(
      !installed2.includes('buildhelper'),
      `buildhelper installed: ${installed2.join(' ')}`,
    );
  });

  test('a build requirement the closure also asks for is installed', async () => {
    const out = await bundle(
      ['tinycarried', 'buildhelper', '--allow-sdist', 'tinycarried'],
      join(work, 'b2'),
    );
    const venv = join(work, 'v2');
    const i = install(out, venv);
    assert.equal(i.status, 0, i.stderr);
    assert.ok(pipList(venv).includes('buildhelper'));
  });

  test('a carried sdist that fails to build on the target exits 8 (ferry install, install.py)', async () => {
    const out = await bundle(['tinybroken', '--allow-sdist', 'tinybroken'], join(work, 'b3'));
    const i = install(out, join(work, 'v3'));
    assert.equal(i.status, 8, i.stderr);
    assert.match(i.stderr, /ERR_FERRY_TARGET_BUILD_FAILED/);
    assert.match(i.stderr, /tinybroken-1\.0\.tar\.gz could not be built/);
    const p = installPy(out, join(work, 'v3-py'));
    assert.equal(p.status, 8, p.stderr);
  });
});

describe('build-only packages', () => {
  const pkgs = [
    { name: 'app', version: '1.0', requiredBy: ['the command line'], dependencies: ['rtdep'] },
    { name: 'rtdep', version: '1.0', requiredBy: ['app 1.0'], dependencies: [] },
    {
      name: 'setuptools',
      version: '70.0.0',
      requiredBy: ['build requirements of app 1.0'],
      dependencies: [],
    },
    {
      name: 'wheel',
      version: '0.43.0',
      requiredBy: ['build requirements of app 1.0', 'rtdep 1.0'],
      dependencies: [],
    },
    { name: 'backend-dep', version: '1.0', requiredBy: ['setuptools 70.0.0'], dependencies: [] },
  ];
  test('are the build requirements and their dependencies the runtime closure does not reach', () => {
    const withWheel = pkgs.map((p) => (p.name === 'rtdep' ? { ...p, dependencies: ['wheel'] } : p));
    assert.deepEqual([...buildOnlyPackages(withWheel)].sort(), ['backend-dep', 'setuptools']);
    assert.deepEqual([...buildOnlyPackages(pkgs.slice(0, 2))], []);
  });
  test('are left out of requirements.txt, entry by entry', () => {
    const text =
      '# header\napp==1.0 \\\n    --hash=sha256:aa\nsetuptools==70.0.0 \\\n    --hash=sha256:bb \\\n    --hash=sha256:cc\nwheel==0.43.0 \\\n    --hash=sha256:dd\n';
    assert.equal(
      withoutPackages(text, new Set(['setuptools'])),
      '# header\napp==1.0 \\\n    --hash=sha256:aa\nwheel==0.43.0 \\\n    --hash=sha256:dd\n',
    );
  });
});

test('the dynamic-metadata error does not claim ferry never runs package code on this host', async () => {
  const bytes = tinySdist({ name: 'tinydyn', version: '1.0' });
  const files = await readSdistFiles(bytes, 'tinydyn-1.0.tar.gz');
  assert.throws(
    () => sdistInfoFromFiles(files, 'tinydyn-1.0.tar.gz', undefined),
    (e: Error & { code?: string }) =>
      e.code === 'ERR_FERRY_SDIST_DYNAMIC_METADATA' &&
      !/never runs/.test(e.message) &&
      /network cut off/.test(e.message),
  );
});
