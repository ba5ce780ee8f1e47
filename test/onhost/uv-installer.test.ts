/**
 * uv as the bundle's installer: `ferry bundle` carries uv's real wheel (the pin of
 * test/oracles.txt, served from a find-links folder beside a local index of generated wheels)
 * as a tool, not as part of the closure; `ferry install` and install.py unpack its binary and
 * install with it under `unshare -n`; they fall back to pip when uv does not run here or
 * `--installer pip` is given; and uv, like pip, refuses a wheel whose hash does not match.
 * Timings are not asserted: the bench measures speed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import {
  chooseUvWheels,
  UV_TOOL,
  UV_VERSION,
  uvToolPath,
} from '../../src/bundle/installer-tool.js';
import { type Manifest, parseManifest } from '../../src/bundle/manifest.js';
import { isFerryError } from '../../src/core/errors.js';
import { chooseInstaller, runInstaller } from '../../src/onhost/installer.js';
import { makeTarget, type Target } from '../../src/standards/target.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { buildWheel, buildZip, type FakeDist, startLocalIndex } from '../helpers/local-index.js';
import { ensureUvWheel, uvPinHashes, uvPinVersion } from '../helpers/uv-wheel.js';
import { resumBundle } from './fake-bundle.js';

const BIN = resolve('bin/ferry.js');
const canUnshare = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
const uv = ensureUvWheel();
const noUv = 'skip' in uv ? uv.skip : false;
const onX86 = process.arch === 'x64' ? false : 'the pinned uv wheel fetched here is for x86_64';
const uvSkip = noUv || onX86 || (canUnshare ? false : 'unshare -n is not available here');

const DISTS: FakeDist[] = [
  {
    name: 'alpha',
    version: '1.0',
    requiresDist: ['beta>=2'],
    files: { 'alpha/core.py': 'from beta.core import B\nA = B + 1\n' },
  },
  { name: 'beta', version: '2.0', files: { 'beta/core.py': 'B = 41\n' } },
];
const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];

/** `ferry install` under `unshare -n`, JSON events on stdout. */
function installOffline(args: readonly string[], cacheDir: string) {
  const r = spawnSync('unshare', ['-n', process.execPath, BIN, 'install', ...args, '--json'], {
    encoding: 'utf8',
    env: isolatedEnv(cacheDir),
  });
  const events = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.status, stderr: r.stderr ?? '', events };
}

const result = (events: Record<string, unknown>[]) =>
  events.find((e) => e.event === 'result') as Record<string, unknown> | undefined;

let shared: Promise<{ work: string; bundle: string; pipBundle: string }> | undefined;
/** One bundle with uv and one made with --installer pip, from the same local index. */
function bundles() {
  shared ??= (async () => {
    const work = tempDir('ferry-uv-');
    const links = join(work, 'links');
    mkdirSync(links);
    await copyFile(
      (uv as { path: string }).path,
      join(links, (uv as { path: string }).path.split('/').pop()!),
    );
    const index = await startLocalIndex(DISTS);
    try {
      const bundle = join(work, 'bundle');
      const pipBundle = join(work, 'bundle-pip');
      for (const [dir, extra] of [
        [bundle, []],
        [pipBundle, ['--installer', 'pip']],
      ] as const) {
        const r = await runCli(
          [
            'bundle',
            'alpha',
            '--isolated',
            '--index-url',
            index.url,
            '--find-links',
            links,
            ...TARGET,
            '-o',
            dir,
            ...extra,
          ],
          { env: isolatedEnv(join(work, 'cache')) },
        );
        assert.equal(r.code, 0, r.stderr);
      }
      return { work, bundle, pipBundle };
    } finally {
      await index.close();
    }
  })();
  return shared;
}

test('the uv version ferry carries is the one test/oracles.txt pins, with hashes', () => {
  assert.equal(uvPinVersion(), UV_VERSION);
  assert.ok(uvPinHashes().length > 0);
});

test('chooseUvWheels: manylinux for glibc, musllinux for musl, none for Windows or without a hash', () => {
  const file = (tag: string, sha256: string | undefined = 'a'.repeat(64)) => ({
    filename: `uv-${UV_VERSION}-py3-none-${tag}.whl`,
    url: `http://127.0.0.1/uv-${tag}.whl`,
    index: 'http://127.0.0.1/simple',
    ...(sha256 === undefined ? {} : { sha256 }),
  });
  const files = [
    file('manylinux_2_17_x86_64.manylinux2014_x86_64'),
    file('musllinux_1_1_x86_64'),
    file('manylinux_2_17_aarch64.manylinux2014_aarch64'),
    file('win_amd64'),
    file('manylinux_2_28_aarch64', undefined),
  ];
  const py = { implementation: 'cp', version: [3, 11] as const, fullVersion: '3.11.7' };
  const t = (f: { arch: string; glibc?: string; musl?: string }): Target =>
    makeTarget('t', py, {
      os: 'linux',
      arch: f.arch,
      libc:
        f.musl === undefined
          ? { kind: 'glibc', version: [2, Number(f.glibc!.split('.')[1])] }
          : { kind: 'musl', version: [1, Number(f.musl.split('.')[1])] },
    });
  const glibc = chooseUvWheels([t({ arch: 'x86_64', glibc: '2.28' })], files);
  assert.deepEqual(
    glibc.chosen.map((c) => c.filename),
    [`uv-${UV_VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`],
  );
  const musl = chooseUvWheels([t({ arch: 'x86_64', musl: '1.2' })], files);
  assert.deepEqual(
    musl.chosen.map((c) => c.filename),
    [`uv-${UV_VERSION}-py3-none-musllinux_1_1_x86_64.whl`],
  );
  // Two targets, two wheels; the hashless manylinux_2_28 aarch64 wheel is never taken.
  const both = chooseUvWheels(
    [t({ arch: 'x86_64', glibc: '2.28' }), t({ arch: 'aarch64', glibc: '2.28' })],
    files,
  );
  assert.equal(both.chosen.length, 2);
  assert.ok(both.chosen.every((c) => c.sha256 !== undefined));
  const windows = chooseUvWheels([makeTarget('w', py, { os: 'windows', arch: 'x86_64' })], files);
  assert.deepEqual(windows, { chosen: [], unmatched: [] });
  const old = chooseUvWheels(
    [t({ arch: 'x86_64', glibc: '2.28' })],
    [{ ...files[0]!, filename: 'uv-0.1.0-py3-none-manylinux_2_17_x86_64.whl' }],
  );
  assert.equal(old.chosen.length, 0);
  assert.equal(old.unmatched.length, 1);
});

test('ferry bundle carries uv as a tool, outside the closure; --installer pip leaves it out', {
  skip: noUv,
}, async () => {
  const { bundle, pipBundle } = await bundles();
  const manifest = parseManifest(
    readFileSync(join(bundle, 'manifest.json'), 'utf8'),
    'manifest.json',
  );
  const tools = manifest.tools ?? [];
  assert.equal(tools.length, 1);
  const tool = tools[0]!;
  assert.equal(tool.tool, UV_TOOL);
  assert.match(tool.path, /^tools\/uv-0\.13\.9-py3-none-manylinux_2_17_x86_64\..*\.whl$/);
  assert.ok(uvPinHashes().includes(tool.sha256), 'the carried uv has a hash the pin allows');
  assert.ok(tool.url?.endsWith('.whl'));
  assert.ok(existsSync(join(bundle, tool.path)));
  // Not the user's closure: no package, file, requirement or lock entry; listed in SHA256SUMS.
  assert.deepEqual(manifest.packages.map((p) => p.name).sort(), ['alpha', 'beta']);
  assert.ok(manifest.files.every((f) => !f.path.includes('uv-')));
  assert.doesNotMatch(readFileSync(join(bundle, 'requirements.txt'), 'utf8'), /^uv==/m);
  assert.doesNotMatch(readFileSync(join(bundle, 'pylock.toml'), 'utf8'), /name = "uv"/);
  assert.match(
    readFileSync(join(bundle, 'SHA256SUMS'), 'utf8'),
    new RegExp(`${tool.sha256}  ${tool.path.replace(/\./g, '\\.')}`),
  );
  const verified = await runCli(['verify', bundle, '--allow-unsigned'], {
    env: isolatedEnv(join(bundle, '..', 'cache')),
  });
  assert.equal(verified.code, 0, verified.stderr);

  const pipManifest = parseManifest(
    readFileSync(join(pipBundle, 'manifest.json'), 'utf8'),
    'manifest.json',
  );
  assert.equal(pipManifest.tools, undefined);
  assert.equal(existsSync(join(pipBundle, 'tools')), false);
});

test('ferry install under unshare -n installs with the carried uv, records it, and leaves uv out of the venv', {
  skip: uvSkip,
}, async () => {
  const { work, bundle } = await bundles();
  const venv = join(work, 'venv-uv');
  const receipt = join(work, 'receipt-uv.json');
  const r = installOffline(
    [bundle, '--venv', venv, '--allow-unsigned', '--smoke', 'imports', '--receipt', receipt],
    join(work, 'cache'),
  );
  assert.equal(r.code, 0, r.stderr);
  const report = result(r.events);
  assert.deepEqual((report?.installer as Record<string, unknown>)?.name, 'uv');
  assert.equal((report?.installer as Record<string, unknown>)?.version, UV_VERSION);
  const step = r.events.find((e) => e.event === 'install-step' && e.step === 'uv');
  assert.ok(step, 'an install-step event names uv');
  const py = spawnSync(join(venv, 'bin', 'python'), ['-c', 'import alpha.core as a; print(a.A)'], {
    encoding: 'utf8',
  });
  assert.equal(py.stdout.trim(), '42', py.stderr);
  // The installer is not part of the venv, and its work folder is gone.
  const site = spawnSync(
    join(venv, 'bin', 'python'),
    ['-c', 'import importlib.util as u; print(u.find_spec("uv") is None)'],
    { encoding: 'utf8' },
  );
  assert.equal(site.stdout.trim(), 'True');
  assert.equal(existsSync(join(venv, 'bin', 'uv')), false);
  assert.equal(existsSync(join(venv, '.ferry-installer')), false);
  // uv seeded the new venv (no ensurepip run): pip, and setuptools up to Python 3.11, are there.
  const venvStep = r.events.find((e) => e.event === 'install-step' && e.step === 'venv');
  assert.match(String(venvStep?.detail), /without pip: uv installs ensurepip's wheels/);
  const seeded = spawnSync(
    join(venv, 'bin', 'python'),
    ['-c', 'import sys\nif sys.version_info < (3, 12): import setuptools\nimport pip\nprint("ok")'],
    { encoding: 'utf8' },
  );
  assert.equal(seeded.stdout.trim(), 'ok', seeded.stderr);
  const written = JSON.parse(readFileSync(receipt, 'utf8')) as {
    installer?: { name: string; version: string };
  };
  assert.equal(written.installer?.name, 'uv');
  assert.equal(written.installer?.version, UV_VERSION);
});

test('ferry install --installer pip, and a bundle without uv, install with pip and say why', {
  skip: canUnshare ? noUv : 'unshare -n is not available here',
}, async () => {
  const { work, bundle, pipBundle } = await bundles();
  for (const [name, args] of [
    ['asked', [bundle, '--installer', 'pip']],
    ['absent', [pipBundle]],
  ] as const) {
    const venv = join(work, `venv-pip-${name}`);
    const r = installOffline(
      [...args, '--venv', venv, '--allow-unsigned', '--smoke', 'imports'],
      join(work, 'cache'),
    );
    assert.equal(r.code, 0, r.stderr);
    const installer = result(r.events)?.installer as Record<string, string> | undefined;
    assert.equal(installer?.name, 'pip');
    assert.match(installer?.reason ?? '', name === 'asked' ? /--installer pip/ : /carries no uv/);
    assert.match(installer?.version ?? '', /^\d+\.\d+/);
  }
});

/** A signed-less bundle whose tools/ uv wheel holds a binary that cannot run here. */
async function bundleWithBrokenUv(dir: string): Promise<string> {
  await mkdir(join(dir, 'wheels'), { recursive: true });
  await mkdir(join(dir, 'tools'), { recursive: true });
  const lines: string[] = [];
  const manifest: Manifest = {
    formatVersion: 1,
    tool: 'ferry test',
    createdAt: '2026-01-01T00:00:00.000Z',
    targets: [],
    indexes: [],
    requirements: ['alpha'],
    constraints: [],
    packages: [],
    files: [],
  };
  for (const dist of DISTS) {
    const built = await buildWheel(dist, join(dir, 'wheels'));
    manifest.files.push({
      path: `wheels/${built.filename}`,
      name: dist.name,
      version: dist.version,
      size: readFileSync(built.path).length,
      sha256: built.sha256,
      url: `https://files.example/${built.filename}`,
    });
    manifest.packages.push({
      name: dist.name,
      version: dist.version,
      requiredBy: [],
      extras: [],
      dependencies: [],
      targets: [],
    });
    lines.push(`${dist.name}==${dist.version} \\\n    --hash=sha256:${built.sha256}`);
  }
  const filename = `uv-${UV_VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`;
  // Not an executable for any machine: as a wrong-arch binary, exec fails.
  const bytes = buildZip([
    { name: `uv-${UV_VERSION}.data/scripts/uv`, data: Buffer.from('\x7fELF not really\n') },
  ]);
  await writeFile(join(dir, uvToolPath(filename)), bytes);
  const { createHash } = await import('node:crypto');
  manifest.tools = [
    {
      path: uvToolPath(filename),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      tool: UV_TOOL,
    },
  ];
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(dir, 'requirements.txt'), `${lines.join('\n')}\n`);
  const { formatInstallPy } = await import('../../src/bundle/install-py.js');
  await writeFile(join(dir, 'install.py'), formatInstallPy(), { mode: 0o755 });
  await writeFile(join(dir, 'README.txt'), 'A ferry test bundle.\n');
  await writeFile(join(dir, 'sbom.cdx.json'), '{}\n');
  await mkdir(join(dir, 'signatures'), { recursive: true });
  await resumBundle(dir);
  return dir;
}

test('a carried uv that does not run here: ferry install falls back to pip with a warning; --installer uv fails and makes nothing', async () => {
  const work = tempDir('ferry-uv-broken-');
  const bundle = await bundleWithBrokenUv(join(work, 'bundle'));
  const venv = join(work, 'venv');
  const env = isolatedEnv(join(work, 'cache'));
  const r = await runCli(
    ['install', bundle, '--venv', venv, '--allow-unsigned', '--smoke', 'imports', '--json'],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  const warning = r.events.find(
    (e) => e.event === 'warning' && e.code === 'W_FERRY_INSTALLER_FALLBACK',
  );
  assert.ok(warning, 'the fallback is reported');
  const installer = result(r.events)?.installer as Record<string, string> | undefined;
  assert.equal(installer?.name, 'pip');
  assert.match(installer?.reason ?? '', /does not run here/);

  const strict = join(work, 'venv-strict');
  const refused = await runCli(
    ['install', bundle, '--venv', strict, '--allow-unsigned', '--installer', 'uv'],
    { env },
  );
  assert.equal(refused.code, 8, refused.stderr);
  assert.match(refused.stderr, /ERR_FERRY_INSTALLER_UNAVAILABLE|--installer uv was given/);
  assert.equal(existsSync(strict), false);
  assert.deepEqual(
    (await readdir(work)).filter((n) => n.includes('ferry-tmp')),
    [],
  );
});

test('install.py: the carried uv under unshare -n; pip when asked and when uv does not run', {
  skip: uvSkip,
}, async () => {
  const { work, bundle } = await bundles();
  const run = (b: string, venv: string, extra: string[] = []) =>
    spawnSync(
      'unshare',
      ['-n', 'python3', join(b, 'install.py'), '--allow-unsigned', '--venv', venv, ...extra],
      { encoding: 'utf8' },
    );
  const withUv = run(bundle, join(work, 'py-venv-uv'));
  assert.equal(withUv.status, 0, withUv.stderr);
  assert.match(
    withUv.stderr,
    new RegExp(`installing with uv \\(uv ${UV_VERSION.replace(/\./g, '\\.')}`),
  );
  const py = spawnSync(
    join(work, 'py-venv-uv', 'bin', 'python'),
    ['-c', 'import alpha.core as a; print(a.A)'],
    { encoding: 'utf8' },
  );
  assert.equal(py.stdout.trim(), '42', py.stderr);
  // uv seeded the venv with what python -m venv puts there: pip, and setuptools up to 3.11.
  const seeded = spawnSync(
    join(work, 'py-venv-uv', 'bin', 'python'),
    ['-c', 'import sys\nif sys.version_info < (3, 12): import setuptools\nimport pip\nprint("ok")'],
    { encoding: 'utf8' },
  );
  assert.equal(seeded.stdout.trim(), 'ok', seeded.stderr);
  assert.deepEqual(
    (await readdir(work)).filter((n) => n.startsWith('.ferry-installer-')),
    [],
  );

  const asked = run(bundle, join(work, 'py-venv-pip'), ['--installer', 'pip']);
  assert.equal(asked.status, 0, asked.stderr);
  assert.match(asked.stderr, /installing with pip \(--installer pip was given\)/);

  const broken = await bundleWithBrokenUv(join(work, 'broken-bundle'));
  const fallback = run(broken, join(work, 'py-venv-fallback'));
  assert.equal(fallback.status, 0, fallback.stderr);
  assert.match(
    fallback.stderr,
    /warning: installing with pip: the uv the bundle carries does not run here/,
  );
  const strict = run(broken, join(work, 'py-venv-strict'), ['--installer', 'uv']);
  assert.equal(strict.status, 8, strict.stderr);
  assert.equal(existsSync(join(work, 'py-venv-strict')), false);
});

test('uv refuses a wheel whose bytes do not match requirements.txt (hashes stay required)', {
  skip: noUv || onX86,
}, async () => {
  const work = tempDir('ferry-uv-tamper-');
  const wheels = join(work, 'wheels');
  await mkdir(wheels, { recursive: true });
  const built = await buildWheel(DISTS[1]!, wheels);
  await writeFile(
    join(work, 'requirements.txt'),
    `beta==2.0 \\\n    --hash=sha256:${built.sha256}\n`,
  );
  // The same file name, other bytes (what a swapped wheel on the way looks like to uv).
  await buildWheel({ ...DISTS[1]!, files: { 'beta/core.py': 'B = "tampered"\n' } }, wheels);
  assert.notEqual(readFileSync(built.path).length, 0);
  const venv = join(work, 'venv');
  assert.equal(spawnSync('python3', ['-m', 'venv', venv]).status, 0);
  const manifest = {
    tools: [
      {
        path: `tools/${(uv as { path: string }).path.split('/').pop()}`,
        size: 0,
        sha256: '0'.repeat(64),
        tool: UV_TOOL,
      },
    ],
    files: [],
  } as unknown as Manifest;
  await mkdir(join(work, 'tools'));
  await copyFile((uv as { path: string }).path, join(work, manifest.tools![0]!.path));
  const workDir = join(venv, '.ferry-installer');
  const installer = await chooseInstaller({
    bundleDir: work,
    manifest,
    choice: 'uv',
    workDir,
    python: join(venv, 'bin', 'python'),
    sdists: 0,
  });
  assert.equal(installer.name, 'uv');
  await assert.rejects(
    runInstaller({
      installer,
      python: join(venv, 'bin', 'python'),
      findLinks: [wheels],
      requirements: join(work, 'requirements.txt'),
      sdists: 0,
      workDir,
    }),
    (error: unknown) =>
      isFerryError(error) && error.code === 'ERR_FERRY_UV_FAILED' && /hash/i.test(error.message),
  );
  const check = spawnSync(join(venv, 'bin', 'python'), ['-c', 'import beta'], { encoding: 'utf8' });
  assert.notEqual(check.status, 0, 'nothing was installed');
  assert.equal(existsSync(workDir), false);
});

test('ferry bundle without uv on the index: written without tools, and W_FERRY_NO_UV says the target installs with pip', async () => {
  const work = tempDir('ferry-no-uv-');
  const index = await startLocalIndex(DISTS);
  try {
    const dir = join(work, 'bundle');
    const r = await runCli(
      ['bundle', 'alpha', '--isolated', '--index-url', index.url, ...TARGET, '-o', dir, '--json'],
      { env: isolatedEnv(join(work, 'cache')) },
    );
    assert.equal(r.code, 0, r.stderr);
    const warning = r.events.find((e) => e.event === 'warning' && e.code === 'W_FERRY_NO_UV');
    assert.match(String(warning?.message), /install with pip/);
    const manifest = parseManifest(
      readFileSync(join(dir, 'manifest.json'), 'utf8'),
      'manifest.json',
    );
    assert.equal(manifest.tools, undefined);
    assert.equal(existsSync(join(dir, 'tools')), false);
  } finally {
    await index.close();
  }
});

test('ferry install --into with the carried uv keeps what the venv had and adds the bundle', {
  skip: uvSkip,
}, async () => {
  const { work, bundle } = await bundles();
  const venv = join(work, 'venv-into');
  assert.equal(spawnSync('python3', ['-m', 'venv', venv]).status, 0);
  const purelib = spawnSync(
    join(venv, 'bin', 'python'),
    ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
    { encoding: 'utf8' },
  ).stdout.trim();
  await writeFile(join(purelib, 'kept.py'), 'K = 1\n');
  const r = installOffline(
    [bundle, '--into', venv, '--allow-unsigned', '--smoke', 'imports'],
    join(work, 'cache'),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal((result(r.events)?.installer as Record<string, string> | undefined)?.name, 'uv');
  const py = spawnSync(
    join(venv, 'bin', 'python'),
    ['-c', 'import alpha.core as a, kept; print(a.A + kept.K)'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(py.stdout.trim(), '43', py.stderr);
  assert.equal(existsSync(join(venv, '.ferry-installer')), false);
});
