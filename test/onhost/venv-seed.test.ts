/**
 * The staging venv of a new install (src/onhost/venv.ts): made without pip, with the
 * interpreter's own ensurepip wheels added to uv's install (hash-checked), it holds what
 * `python -m venv` would (pip, and setuptools up to Python 3.11: PaddlePaddle imports
 * setuptools); the bundle's own pip or setuptools wins. The real pinned uv binary, no network.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { ensurepipWheelsScript } from '../../src/bundle/install-py.js';
import { UV_TOOL } from '../../src/bundle/installer-tool.js';
import { type Installer, unpackUv } from '../../src/onhost/installer.js';
import { createVenv, withSeedWheels } from '../../src/onhost/venv.js';
import type { NormalizedName } from '../../src/standards/name.js';
import { tempDir } from '../cli/run-cli.js';
import { ensureUvWheel } from '../helpers/uv-wheel.js';

const uvWheel = ensureUvWheel();
// The interpreter itself, not a version manager's shim that other tests may be rewriting.
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).stdout.trim();
const skip =
  'skip' in uvWheel
    ? uvWheel.skip
    : process.arch !== 'x64'
      ? 'the pinned uv wheel fetched here is for x86_64'
      : false;

/** The distributions in a venv's site-packages (`NAME-VERSION.dist-info`), sorted. */
function distributions(venv: string): string[] {
  const lib = join(venv, 'lib');
  const site = join(
    lib,
    readdirSync(lib).find((d) => d.startsWith('python')) ?? '',
    'site-packages',
  );
  return readdirSync(site)
    .filter((d) => d.endsWith('.dist-info'))
    .sort();
}

async function realUv(work: string): Promise<Installer> {
  const bundle = join(work, 'bundle');
  mkdirSync(join(bundle, 'tools'), { recursive: true });
  const name = basename((uvWheel as { path: string }).path);
  await copyFile((uvWheel as { path: string }).path, join(bundle, 'tools', name));
  const binary = await unpackUv(
    bundle,
    { tool: UV_TOOL, path: `tools/${name}`, sha256: '', size: 0 } as never,
    join(work, 'uv'),
  );
  return { name: 'uv', version: 'pinned', reason: 'test', binary };
}

test('made without pip, its ensurepip wheels installed by uv: what python -m venv puts there', {
  skip,
}, async () => {
  const work = tempDir('ferry-venv-seed-');
  const uv = await realUv(work);
  const seeded = join(work, 'seeded');
  const { seedWheels } = await createVenv({ python, dir: seeded, seedByInstaller: true });
  assert.ok(
    seedWheels.some((w) => w.name === 'pip'),
    JSON.stringify(seedWheels),
  );
  assert.deepEqual(distributions(seeded), [], 'no pip before the install');
  const { requirements, findLinks } = withSeedWheels('', seedWheels, new Set());
  const file = join(work, 'requirements.txt');
  writeFileSync(file, requirements);
  const installed = spawnSync(
    uv.binary as string,
    [
      'pip',
      'install',
      '--offline',
      '--no-index',
      '--no-config',
      '--no-deps',
      '--require-hashes',
      ...findLinks.flatMap((d) => ['--find-links', d]),
      '--python',
      join(seeded, 'bin', 'python'),
      '--cache-dir',
      join(work, 'cache'),
      '-r',
      file,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(installed.status, 0, installed.stderr);
  const plain = join(work, 'plain');
  const made = spawnSync(python, ['-m', 'venv', plain], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  assert.deepEqual(distributions(seeded), distributions(plain));
  for (const script of ['pip', 'pip3'])
    assert.ok(existsSync(join(seeded, 'bin', script)), `bin/${script}`);
  const py = spawnSync(
    join(seeded, 'bin', 'python'),
    ['-c', 'import sys, pip; print(sys.prefix != sys.base_prefix)'],
    { encoding: 'utf8' },
  );
  assert.equal(py.stdout.trim(), 'True', py.stderr);
});

test('without the installer seeding it, python -m venv makes the venv, with pip', async () => {
  const work = tempDir('ferry-venv-seed-');
  const dir = join(work, 'venv');
  // The installer's work folder inside the staging venv is left alone.
  mkdirSync(join(dir, '.ferry-installer'), { recursive: true });
  const { seedWheels } = await createVenv({ python, dir });
  assert.deepEqual(seedWheels, []);
  assert.ok(distributions(dir).some((d) => d.startsWith('pip-')));
  assert.ok(existsSync(join(dir, '.ferry-installer')));
});

test("the seed lines: pinned and hashed; the bundle's own pip or setuptools wins", () => {
  const wheel = (name: string, version: string) => ({
    path: `/py/ensurepip/_bundled/${name}-${version}-py3-none-any.whl`,
    name: name as NormalizedName,
    version,
    sha256: name[0]!.repeat(64),
  });
  const seeded = withSeedWheels(
    'six==1.17.0 \\\n    --hash=sha256:abc\n',
    [wheel('pip', '23.2.1'), wheel('setuptools', '65.5.0')],
    new Set(['setuptools' as NormalizedName]),
  );
  assert.equal(
    seeded.requirements,
    `six==1.17.0 \\\n    --hash=sha256:abc\npip==23.2.1 --hash=sha256:${'p'.repeat(64)}\n`,
  );
  assert.deepEqual(seeded.findLinks, ['/py/ensurepip/_bundled']);
});

test('python -m venv failing names the interpreter (ERR_FERRY_VENV_FAILED)', async () => {
  const work = tempDir('ferry-venv-seed-');
  await assert.rejects(
    createVenv({ python: join(work, 'no-such-python'), dir: join(work, 'venv') }),
    (error: Error & { code?: string }) =>
      error.code === 'ERR_FERRY_VENV_FAILED' && /no-such-python/.test(error.message),
  );
});

test("install.py's ENSUREPIP_WHEELS script, shared with ferry install, lists this Python's pip wheel", () => {
  const listed = spawnSync(python, ['-E', '-s', '-c', ensurepipWheelsScript()], {
    encoding: 'utf8',
  });
  assert.equal(listed.status, 0, listed.stderr);
  const wheels = JSON.parse(listed.stdout) as string[];
  assert.ok(
    wheels.some((w) => /\/pip-[^/]+\.whl$/.test(w) && existsSync(w)),
    listed.stdout,
  );
});
