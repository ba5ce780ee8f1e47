/**
 * Static sdist metadata: PKG-INFO (PEP 643), pyproject.toml [project] (PEP 621), build
 * requirements (PEP 517/518), read from real .tar.gz / .zip bytes without running anything.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { cachePath, type DistFile } from '../../src/index/client.js';
import {
  DEFAULT_BUILD_REQUIRES,
  readSdistFiles,
  readTarFiles,
  SdistReader,
  sdistInfoFromFiles,
} from '../../src/index/sdist-metadata.js';
import { rawTar } from '../archive/tar-bytes.js';
import { buildZip } from '../helpers/local-index.js';

/** A ustar archive; names longer than 99 bytes get a GNU 'L' record first. */
const tarOf = (files: readonly [string, string][]): Buffer =>
  rawTar(files.map(([path, data]) => ({ path, data, gnuLongName: Buffer.byteLength(path) > 99 })));

const sdistOf = (files: readonly [string, string][]): Buffer => gzipSync(tarOf(files));

const pkgInfo = (version: string, lines: string[]) =>
  `Metadata-Version: ${version}\nName: Demo\nVersion: 1.0\n${lines.join('\n')}\n\nA long description.\n`;

describe('sdistInfoFromFiles', () => {
  test('PKG-INFO 2.2 with static Requires-Dist is trusted (PEP 643)', () => {
    const info = sdistInfoFromFiles(
      {
        pkgInfo: pkgInfo('2.2', [
          'Requires-Dist: dep>=1',
          'Requires-Python: >=3.8',
          'Dynamic: Summary',
        ]),
      },
      'demo-1.0.tar.gz',
    );
    assert.equal(info.metadataSource, 'PKG-INFO');
    assert.deepEqual(info.requiresDist, ['dep>=1']);
    assert.equal(info.requiresPython, '>=3.8');
    assert.deepEqual(info.buildRequires, [...DEFAULT_BUILD_REQUIRES]);
  });

  test('PKG-INFO that marks Requires-Dist dynamic, or is older than 2.2, is not trusted', () => {
    for (const text of [
      pkgInfo('2.2', ['Requires-Dist: dep', 'Dynamic: Requires-Dist']),
      pkgInfo('2.1', ['Requires-Dist: dep']),
    ]) {
      assert.throws(
        () => sdistInfoFromFiles({ pkgInfo: text }, 'demo-1.0.tar.gz'),
        (e: Error & { code?: string; hint?: string }) => {
          assert.equal(e.code, 'ERR_FERRY_SDIST_DYNAMIC_METADATA');
          assert.match(e.message, /demo-1\.0\.tar\.gz/);
          assert.match(e.message, /only be known by running its build backend/);
          assert.match(e.hint ?? '', /explicit requirements.*--find-links/);
          return true;
        },
      );
    }
  });

  test('pyproject.toml [project] is the fallback (PEP 621), extras become extra markers', () => {
    const info = sdistInfoFromFiles(
      {
        pkgInfo: pkgInfo('2.1', ['Requires-Dist: ignored']),
        pyproject: [
          '[build-system]',
          'requires = ["flit_core>=3.2,<4"]',
          'build-backend = "flit_core.buildapi"',
          '[project]',
          'name = "demo"',
          'version = "1.0"',
          'requires-python = ">=3.9"',
          'dependencies = ["dep>=2", "colorama; os_name == \'nt\'"]',
          '[project.optional-dependencies]',
          'Fast = ["speedup"]',
          'win = ["pywin; sys_platform == \'win32\'"]',
        ].join('\n'),
      },
      'demo-1.0.tar.gz',
    );
    assert.equal(info.metadataSource, 'pyproject.toml');
    assert.deepEqual(info.requiresDist, [
      'dep>=2',
      "colorama; os_name == 'nt'",
      'speedup; extra == "fast"',
      'pywin; (sys_platform == \'win32\') and extra == "win"',
    ]);
    assert.equal(info.requiresPython, '>=3.9');
    assert.deepEqual(info.providesExtra, ['fast', 'win']);
    assert.deepEqual(info.buildRequires, ['flit_core>=3.2,<4']);
    assert.equal(info.buildBackend, 'flit_core.buildapi');
  });

  test('pyproject.toml with dynamic dependencies fails, naming the field', () => {
    assert.throws(
      () =>
        sdistInfoFromFiles(
          { pyproject: '[project]\nname = "demo"\nversion = "1.0"\ndynamic = ["dependencies"]\n' },
          'demo-1.0.tar.gz',
        ),
      /ERR_FERRY_SDIST_DYNAMIC_METADATA|marks dependencies as dynamic/,
    );
  });

  test('absent, non-dynamic dependencies mean none', () => {
    const info = sdistInfoFromFiles(
      { pyproject: '[project]\nname = "demo"\nversion = "1.0"\n' },
      'demo-1.0.tar.gz',
    );
    assert.deepEqual(info.requiresDist, []);
    assert.deepEqual(info.buildRequires, [...DEFAULT_BUILD_REQUIRES]);
  });

  test('setuptools backends get wheel added; other backends do not', () => {
    const setuptools = sdistInfoFromFiles(
      {
        pyproject:
          '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "demo"\nversion = "1.0"\n',
      },
      'demo-1.0.tar.gz',
    );
    assert.deepEqual(setuptools.buildRequires, ['setuptools>=61', 'wheel']);
    const noBackend = sdistInfoFromFiles(
      {
        pyproject:
          '[build-system]\nrequires = ["setuptools", "Wheel>=0.40"]\n[project]\nname = "demo"\nversion = "1.0"\n',
      },
      'demo-1.0.tar.gz',
    );
    assert.deepEqual(noBackend.buildRequires, ['setuptools', 'Wheel>=0.40']);
  });

  test('a PEP 658 metadata file wins when it is static', () => {
    const info = sdistInfoFromFiles(
      {},
      'demo-1.0.tar.gz',
      pkgInfo('2.4', ['Requires-Dist: from-metadata-file']),
    );
    assert.equal(info.metadataSource, 'metadata file');
    assert.deepEqual(info.requiresDist, ['from-metadata-file']);
  });

  test('no PKG-INFO and no pyproject.toml: dynamic', () => {
    assert.throws(
      () => sdistInfoFromFiles({}, 'demo-1.0.tar.gz'),
      /neither PKG-INFO nor pyproject\.toml/,
    );
  });
});

describe('reading the archive', () => {
  test('.tar.gz: only top-level PKG-INFO and pyproject.toml, long names handled', async () => {
    const long = `demo-1.0/${'x'.repeat(120)}/PKG-INFO`;
    const bytes = sdistOf([
      ['demo-1.0/src/PKG-INFO', 'not this one'],
      [long, 'nor this'],
      ['demo-1.0/PKG-INFO', pkgInfo('2.2', ['Requires-Dist: dep'])],
      ['demo-1.0/pyproject.toml', '[project]\nname = "demo"\n'],
    ]);
    const files = await readSdistFiles(bytes, 'demo-1.0.tar.gz');
    assert.match(files.pkgInfo ?? '', /Requires-Dist: dep/);
    assert.match(files.pyproject ?? '', /name = "demo"/);
    const all = readTarFiles(gunzipSync(bytes), () => true);
    assert.ok(all.has(long));
  });

  test('.zip sdists', async () => {
    const bytes = buildZip([
      { name: 'demo-1.0/PKG-INFO', data: Buffer.from(pkgInfo('2.2', ['Requires-Dist: z'])) },
    ]);
    const files = await readSdistFiles(bytes, 'demo-1.0.zip');
    assert.match(files.pkgInfo ?? '', /Requires-Dist: z/);
  });

  test('garbage is a clear error', async () => {
    await assert.rejects(
      readSdistFiles(Buffer.from('nope'), 'demo-1.0.tar.gz'),
      /ERR_FERRY_BAD_SDIST|not a readable source distribution/,
    );
  });
});

describe('SdistReader', () => {
  test('a file:// sdist is hash-checked and stored in the content cache', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-sdist-'));
    const bytes = sdistOf([['demo-1.0/PKG-INFO', pkgInfo('2.2', ['Requires-Dist: dep'])]]);
    const path = join(dir, 'demo-1.0.tar.gz');
    await writeFile(path, bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const file: DistFile = {
      filename: 'demo-1.0.tar.gz',
      url: `file://${path}`,
      index: dir,
      hashes: { sha256: sha },
      yanked: false,
      coreMetadata: false,
    };
    const cacheDir = join(dir, 'cache');
    const info = await new SdistReader({ cacheDir }).read(file);
    assert.deepEqual(info.requiresDist, ['dep']);
    const cached = cachePath(cacheDir, sha)!;
    assert.deepEqual(await readFile(cached), bytes);
    assert.equal((await stat(cached)).mode & 0o222, 0, 'cache entries are read-only');
    await assert.rejects(
      new SdistReader({}).read({
        ...file,
        url: `file://${path}`,
        hashes: { sha256: '0'.repeat(64) },
      }),
      /ERR_FERRY_HASH_MISMATCH|the index promised/,
    );
  });
});
