/**
 * `ferry bundle` builds a source-only project into a wheel on this host: the bundle carries the
 * wheel (not the sdist), the manifest and the SBOM say where it came from and who built it, the
 * backend runs without network, the same input gives the same bytes, and a native wheel that
 * does not fit the target is refused with the ways out. Hermetic: a local index on 127.0.0.1,
 * a find-links folder with sdists whose in-tree backend needs no setuptools.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { tinySdist } from './fixtures.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.36'];

const unshareWorks = ['-n', '-rn'].some(
  (flag) => spawnSync('unshare', [flag, 'true'], { stdio: 'ignore' }).status === 0,
);

/** A file out of a wheel (zip), read with Python's zipfile. */
const fromWheel = (wheel: string, member: string): string =>
  execFileSync('python3', [
    '-c',
    'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())',
    wheel,
    member,
  ]).toString();

interface Manifest {
  files: {
    path: string;
    sha256: string;
    url: string;
    built?: {
      sdist: { filename: string; sha256: string; url: string };
      backend: string;
      buildRequires: string[];
      builder: { os: string; arch: string; glibc?: string; python: string };
      networkIsolated: boolean;
    };
  }[];
}

describe('bundle: sdists built on this host', () => {
  let index: LocalIndex;
  let work: string;
  let links: string;
  before(async () => {
    index = await startLocalIndex([{ name: 'dep', version: '1.0' }]);
    work = tempDir();
    links = tempDir('ferry-links-');
    const port = Number(new URL(index.url).port);
    await writeFile(
      join(links, 'tinypure-1.0.tar.gz'),
      tinySdist({ name: 'tinypure', version: '1.0', requiresDist: ['dep>=1'], probePort: port }),
    );
    await writeFile(
      join(links, 'tinynative-1.0.tar.gz'),
      tinySdist({ name: 'tinynative', version: '1.0', tag: 'cp311-cp311-linux_x86_64' }),
    );
  });
  after(async () => {
    await index.close();
  });
  const ferry = (args: string[], cache: string, target = TARGET) =>
    runCli(
      ['bundle', ...args, ...target, '--isolated', '--index-url', index.url, '--find-links', links],
      { env: isolatedEnv(join(work, cache), { SOURCE_DATE_EPOCH: '1700000000' }) },
    );

  test('the bundle carries the built wheel, with the sdist, backend and builder in the manifest and SBOM', async () => {
    const out = join(work, 'b1');
    const r = await ferry(['tinypure', '-o', out], 'cache-1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /building tinypure 1\.0 from tinypure-1\.0\.tar\.gz/);
    assert.match(r.stderr, /built tinypure 1\.0 into tinypure-1\.0-py3-none-any\.whl in \d+\.\d s/);
    assert.deepEqual((await readdir(join(out, 'wheels'))).sort(), [
      'dep-1.0-py3-none-any.whl',
      'tinypure-1.0-py3-none-any.whl',
    ]);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const built = manifest.files.find((f) => f.path === 'wheels/tinypure-1.0-py3-none-any.whl');
    assert.ok(built?.built, JSON.stringify(manifest.files));
    assert.equal(built.built.sdist.filename, 'tinypure-1.0.tar.gz');
    assert.match(built.built.sdist.sha256, /^[0-9a-f]{64}$/);
    assert.match(built.built.sdist.url, /tinypure-1\.0\.tar\.gz$/);
    assert.equal(built.built.backend, 'ferry_test_backend');
    assert.deepEqual(built.built.buildRequires, []);
    assert.equal(built.built.builder.os, 'linux');
    assert.match(built.built.builder.python, /^3\.\d+\.\d+/);
    assert.equal(manifest.files.find((f) => f.path.startsWith('wheels/dep-'))?.built, undefined);
    const sbom = await readFile(join(out, 'sbom.cdx.json'), 'utf8');
    assert.match(sbom, /"name": "ferry:built:sdist",\s*"value": "tinypure-1\.0\.tar\.gz"/);
    assert.match(sbom, /"name": "ferry:built:backend",\s*"value": "ferry_test_backend"/);
    assert.match(sbom, /"name": "ferry:built:builder",\s*"value": "linux /);
    const v = await runCli(['verify', out, '--allow-unsigned'], {
      env: isolatedEnv(join(work, 'cache-1')),
    });
    assert.equal(v.code, 0, v.stderr);
  });

  test('the backend runs with the network cut off (unshare -n)', {
    skip: unshareWorks ? false : 'unshare -n is not available on this host',
  }, async () => {
    const out = join(work, 'b-net');
    const r = await ferry(['tinypure', '-o', out], 'cache-net');
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    assert.equal(manifest.files.find((f) => f.built !== undefined)?.built?.networkIsolated, true);
    // The backend tried to reach the local index from inside the build.
    const metadata = fromWheel(
      join(out, 'wheels', 'tinypure-1.0-py3-none-any.whl'),
      'tinypure-1.0.dist-info/METADATA',
    );
    assert.match(metadata, /Summary: network closed/);
  });

  test('two bundles of a pure sdist, built in separate caches, are byte-identical', async () => {
    const a = join(work, 'same-a');
    const b = join(work, 'same-b');
    assert.equal((await ferry(['tinypure', '-o', a], 'cache-a')).code, 0);
    assert.equal((await ferry(['tinypure', '-o', b], 'cache-b')).code, 0);
    for (const file of ['SHA256SUMS', 'manifest.json', 'sbom.cdx.json', 'pylock.toml'])
      assert.equal(
        await readFile(join(a, file), 'utf8'),
        await readFile(join(b, file), 'utf8'),
        file,
      );
    assert.deepEqual(
      await readFile(join(a, 'wheels', 'tinypure-1.0-py3-none-any.whl')),
      await readFile(join(b, 'wheels', 'tinypure-1.0-py3-none-any.whl')),
    );
  });

  test('bundle --lock: the lock marks the sdist build = "host"; two bundles from it are byte-identical', async () => {
    const lockFile = join(work, 'pylock.toml');
    const lock = await runCli(
      [
        'lock',
        'tinypure',
        ...TARGET,
        '--isolated',
        '--index-url',
        index.url,
        '--find-links',
        links,
        '-o',
        lockFile,
      ],
      { env: isolatedEnv(join(work, 'cache-lock')) },
    );
    assert.equal(lock.code, 0, lock.stderr);
    assert.match(await readFile(lockFile, 'utf8'), /build = "host"/);
    const fromLock = (out: string, cache: string) =>
      runCli(
        [
          'bundle',
          '--lock',
          lockFile,
          '--isolated',
          '--index-url',
          index.url,
          '--find-links',
          links,
          '-o',
          out,
        ],
        { env: isolatedEnv(join(work, cache)) },
      );
    const a = join(work, 'lock-a');
    const b = join(work, 'lock-b');
    const ra = await fromLock(a, 'cache-la');
    assert.equal(ra.code, 0, ra.stderr);
    assert.match(ra.stderr, /built tinypure 1\.0 into tinypure-1\.0-py3-none-any\.whl/);
    assert.equal((await fromLock(b, 'cache-lb')).code, 0);
    for (const file of ['SHA256SUMS', 'manifest.json', 'sbom.cdx.json', 'pylock.toml'])
      assert.equal(
        await readFile(join(a, file), 'utf8'),
        await readFile(join(b, file), 'utf8'),
        file,
      );
    assert.deepEqual((await readdir(join(a, 'wheels'))).sort(), [
      'dep-1.0-py3-none-any.whl',
      'tinypure-1.0-py3-none-any.whl',
    ]);
  });

  test('a native wheel built here is refused for a target of another arch, with the options', async () => {
    const r = await ferry(['tinynative', '-o', join(work, 'native')], 'cache-native', [
      '--python',
      '3.11',
      '--os',
      'linux',
      '--arch',
      'aarch64',
      '--glibc',
      '2.36',
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_BUILT_WHEEL_UNFIT/);
    assert.match(r.stderr, /tinynative-1\.0-cp311-cp311-linux_x86_64\.whl, a native wheel/);
    assert.match(r.stderr, /the target is aarch64, this host x86_64/);
    assert.match(r.stderr, /--allow-sdist tinynative/);
    assert.match(r.stderr, /on a host like the target/);
  });
});
