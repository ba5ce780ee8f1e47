/**
 * Provenance of built wheels and building carried sdists on the target, hermetic (a local index
 * on 127.0.0.1, sdists with an in-tree backend):
 *   - the manifest and the SBOM record the build requirements as installed (NAME==VERSION), and
 *     what was asked for beside them;
 *   - `ferry verify` shows a built wheel as built (sdist, backend, build requirements, builder),
 *     in words and in --json;
 *   - an sdist carried with --allow-sdist whose metadata is dynamic is locked from its backend
 *     (with a warning), then built on the target by `ferry install` and by install.py under
 *     `unshare -n`, and the receipt records the built wheel's SHA-256.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { tinySdist } from './fixtures.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.36'];
const unshare = ['-n', '-rn'].find(
  (flag) => spawnSync('unshare', [flag, 'true'], { stdio: 'ignore' }).status === 0,
);
const hostPy311 =
  spawnSync('python3', ['-c', 'import sys; sys.exit(sys.version_info[:2] != (3, 11))']).status ===
  0;

interface BuiltRecord {
  sdist: { filename: string; sha256: string; url: string };
  backend: string;
  buildRequires: string[];
  buildRequested?: string[];
  builder: { os: string; arch: string; python: string };
}

describe('provenance and building on the target', () => {
  let index: LocalIndex;
  let work: string;
  let links: string;
  before(async () => {
    index = await startLocalIndex([
      { name: 'ferryhelper', version: '1.0' },
      { name: 'ferryhelper', version: '1.2' },
    ]);
    work = tempDir();
    links = tempDir('ferry-links-');
    await writeFile(
      join(links, 'tinyprov-1.0.tar.gz'),
      tinySdist({ name: 'tinyprov', version: '1.0', buildRequires: ['ferryhelper>=1'] }),
    );
    await writeFile(
      join(links, 'tinycarried-1.0.tar.gz'),
      tinySdist({ name: 'tinycarried', version: '1.0' }),
    );
  });
  after(async () => {
    await index.close();
  });
  const env = (cache: string) => isolatedEnv(join(work, cache));
  const sources = ['--isolated', '--index-url', '', '--find-links', ''];
  const src = () => {
    sources[2] = index.url;
    sources[4] = links;
    return sources;
  };

  test('build requirements are recorded as the versions installed in the build environment', async () => {
    const out = join(work, 'prov');
    const r = await runCli(['bundle', 'tinyprov', '-o', out, ...TARGET, ...src()], {
      env: env('c-prov'),
    });
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      files: { path: string; built?: BuiltRecord }[];
    };
    const built = manifest.files.find((f) => f.built !== undefined)?.built;
    assert.ok(built, JSON.stringify(manifest.files));
    // 1.2 is what pip installed for ferryhelper>=1; the specifier is kept as asked.
    assert.deepEqual(built.buildRequires, ['ferryhelper==1.2']);
    assert.deepEqual(built.buildRequested, ['ferryhelper>=1']);
    const sbom = await readFile(join(out, 'sbom.cdx.json'), 'utf8');
    assert.match(sbom, /"name": "ferry:built:build-requires",\s*"value": "ferryhelper==1\.2"/);
    assert.match(sbom, /"name": "ferry:built:build-requested",\s*"value": "ferryhelper>=1"/);

    // verify: built, not downloaded, in words and in JSON.
    const v = await runCli(['verify', out, '--allow-unsigned'], { env: env('c-prov') });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /built, not downloaded: wheels\/tinyprov-1\.0-py3-none-any\.whl/);
    assert.match(v.stdout, /from sdist tinyprov-1\.0\.tar\.gz sha256 [0-9a-f]{64}/);
    assert.match(v.stdout, /backend ferry_test_backend; build requirements ferryhelper==1\.2/);
    assert.match(v.stdout, /builder linux \S+ .*cpython 3\.\d+\.\d+/);
    const j = await runCli(['verify', out, '--allow-unsigned', '--json'], { env: env('c-prov') });
    assert.equal(j.code, 0, j.stderr);
    const result = j.events.find((e) => e.event === 'result') as
      | { built: (BuiltRecord & { path: string })[]; sdists: string[] }
      | undefined;
    assert.ok(result, j.stdout);
    assert.equal(result.built.length, 1);
    assert.equal(result.built[0]!.path, 'wheels/tinyprov-1.0-py3-none-any.whl');
    assert.equal(result.built[0]!.sdist.filename, 'tinyprov-1.0.tar.gz');
    assert.deepEqual(result.built[0]!.buildRequires, ['ferryhelper==1.2']);
    assert.equal(result.built[0]!.builder.os, 'linux');
    assert.deepEqual(result.sdists, []);
  });

  test('a carried sdist with dynamic metadata is locked from its backend, with a warning', async () => {
    const out = join(work, 'carried');
    const r = await runCli(
      ['bundle', 'tinycarried', '--allow-sdist', 'tinycarried', '-o', out, ...TARGET, ...src()],
      { env: env('c-carried') },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /tinycarried-1\.0\.tar\.gz is carried to be built on the target/);
    assert.deepEqual(readdirSync(join(out, 'wheels')), ['tinycarried-1.0.tar.gz']);
    const v = await runCli(['verify', out, '--allow-unsigned'], { env: env('c-carried') });
    assert.match(v.stdout, /sdist carried, built on the target at install: wheels\/tinycarried/);
  });

  test('ferry install and install.py build a carried sdist offline (unshare -n); the receipt records the wheel', {
    skip:
      unshare === undefined
        ? 'unshare -n is not available on this host (no root, no user namespaces)'
        : !hostPy311
          ? 'the bundle is for CPython 3.11 and python3 here is another version'
          : false,
  }, async () => {
    const out = join(work, 'carried-install');
    const b = await runCli(
      ['bundle', 'tinycarried', '--allow-sdist', 'tinycarried', '-o', out, ...TARGET, ...src()],
      { env: env('c-ci') },
    );
    assert.equal(b.code, 0, b.stderr);
    const receipt = join(work, 'receipt.json');
    const venv = join(work, 'venv-ferry');
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
        '--receipt',
        receipt,
      ],
      { env: env('c-ci'), encoding: 'utf8' },
    );
    assert.equal(install.status, 0, install.stderr);
    assert.match(
      install.stderr,
      /built tinycarried-1\.0\.tar\.gz into tinycarried-1\.0-py3-none-any\.whl in \d+\.\d s/,
    );
    const r = JSON.parse(await readFile(receipt, 'utf8')) as {
      builtOnTarget?: { sdist: string; wheel: string; sha256: string; sdistSha256: string }[];
    };
    assert.equal(r.builtOnTarget?.length, 1, JSON.stringify(r));
    assert.equal(r.builtOnTarget![0]!.wheel, 'tinycarried-1.0-py3-none-any.whl');
    const sdistBytes = await readFile(join(out, 'wheels', 'tinycarried-1.0.tar.gz'));
    assert.equal(
      r.builtOnTarget![0]!.sdistSha256,
      createHash('sha256').update(sdistBytes).digest('hex'),
    );
    assert.match(r.builtOnTarget![0]!.sha256, /^[0-9a-f]{64}$/);
    const imported = spawnSync(join(venv, 'bin', 'python'), ['-c', 'import tinycarried'], {
      encoding: 'utf8',
    });
    assert.equal(imported.status, 0, imported.stderr);

    const venv2 = join(work, 'venv-installpy');
    const py = spawnSync(
      'unshare',
      [unshare!, 'python3', join(out, 'install.py'), '--venv', venv2, '--allow-unsigned'],
      { env: env('c-ci'), encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
    assert.match(
      py.stderr,
      /built tinycarried-1\.0\.tar\.gz into tinycarried-1\.0-py3-none-any\.whl/,
    );
    const imported2 = spawnSync(join(venv2, 'bin', 'python'), ['-c', 'import tinycarried'], {
      encoding: 'utf8',
    });
    assert.equal(imported2.status, 0, imported2.stderr);
  });
});
