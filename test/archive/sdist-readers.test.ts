/**
 * Both places that open an sdist's tar.gz, the jump host's metadata reader
 * (index/sdist-metadata.ts) and the target's offline-install plan (onhost/offline-plan.ts), read it
 * through src/archive/: the same refusals of unsafe entries and the same bound on decompression.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Manifest } from '../../src/bundle/manifest.js';
import { readSdistFiles } from '../../src/index/sdist-metadata.js';
import { planOfflineInstall } from '../../src/onhost/offline-plan.js';
import { manifestOf } from '../onhost/fake-bundle.js';
import { gzipBomb, type RawEntry, rawTarGz } from './tar-bytes.js';

const isCode = (c: string) => (error: unknown) => {
  assert.equal((error as { code?: string }).code, c, String(error));
  return true;
};

const pyproject =
  '[build-system]\nrequires = ["flit_core>=3.2"]\nbuild-backend = "flit_core.buildapi"\n';

describe('sdist metadata reads tar.gz through src/archive', () => {
  test('an sdist with a ".." entry is refused, naming the entry', async () => {
    const bytes = rawTarGz([
      { path: 'demo-1.0/PKG-INFO', data: 'Metadata-Version: 2.2\nName: demo\nVersion: 1.0\n' },
      { path: 'demo-1.0/../../.bashrc', data: 'echo hi' },
    ]);
    await assert.rejects(readSdistFiles(bytes, 'demo-1.0.tar.gz'), (e: Error) => {
      isCode('ERR_FERRY_ARCHIVE_UNSAFE')(e);
      assert.match(e.message, /demo-1\.0\.tar\.gz contains "demo-1\.0\/\.\.\/\.\.\/\.bashrc"/);
      return true;
    });
  });

  test('an sdist with a device entry is refused; a symbolic link is passed over', async () => {
    await assert.rejects(
      readSdistFiles(rawTarGz([{ path: 'demo-1.0/null', type: '3' }]), 'demo-1.0.tar.gz'),
      isCode('ERR_FERRY_ARCHIVE_UNSAFE'),
    );
    const files = await readSdistFiles(
      rawTarGz([
        { path: 'demo-1.0/link', type: '2' },
        { path: 'demo-1.0/pyproject.toml', data: pyproject },
      ]),
      'demo-1.0.tar.gz',
    );
    assert.equal(files.pyproject, pyproject);
  });

  test('a truncated tar inside good gzip keeps the sdist error', async () => {
    const { gzipSync, gunzipSync } = await import('node:zlib');
    const tar = gunzipSync(rawTarGz([{ path: 'demo-1.0/PKG-INFO', data: 'x'.repeat(3000) }]));
    await assert.rejects(
      readSdistFiles(gzipSync(tar.subarray(0, 1536)), 'demo-1.0.tar.gz'),
      (e: Error) => isCode('ERR_FERRY_BAD_SDIST')(e) && /truncated/.test(e.message),
    );
  });
});

describe('the offline-install plan reads sdists through src/archive', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function bundleWithSdist(sdist: Buffer): Promise<{ dir: string; manifest: Manifest }> {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-sdist-install-'));
    dirs.push(dir);
    await mkdir(join(dir, 'wheels'));
    await writeFile(join(dir, 'wheels', 'demo-1.0.tar.gz'), sdist);
    const sha256 = createHash('sha256').update(sdist).digest('hex');
    await writeFile(join(dir, 'requirements.txt'), `demo==1.0 --hash=sha256:${sha256}\n`);
    const manifest: Manifest = {
      ...manifestOf([]),
      files: [
        {
          path: 'wheels/demo-1.0.tar.gz',
          name: 'demo',
          version: '1.0',
          size: sdist.length,
          sha256,
          url: 'https://files.example/demo-1.0.tar.gz',
        },
      ],
    };
    return { dir, manifest };
  }

  test('[build-system] requires is read from the sdist (GNU long names and links allowed)', async () => {
    const { dir, manifest } = await bundleWithSdist(
      rawTarGz([
        { path: 'demo-1.0/link', type: '2' },
        { path: `demo-1.0/${'d'.repeat(120)}/x.py`, data: 'x', gnuLongName: true },
        { path: 'demo-1.0/pyproject.toml', data: pyproject },
      ]),
    );
    await assert.rejects(planOfflineInstall(dir, manifest), (e: Error) => {
      isCode('ERR_FERRY_NEEDS_NETWORK')(e);
      assert.match(e.message, /demo-1\.0\.tar\.gz needs flit-core to build/);
      return true;
    });
  });

  test('an sdist with a device entry is refused before pip runs', async () => {
    const { dir, manifest } = await bundleWithSdist(
      rawTarGz([
        { path: 'demo-1.0/pyproject.toml', data: pyproject },
        { path: 'demo-1.0/tty', type: '3' },
      ] satisfies RawEntry[]),
    );
    await assert.rejects(planOfflineInstall(dir, manifest), isCode('ERR_FERRY_ARCHIVE_UNSAFE'));
  });

  test('a gzip bomb in the bundle is refused with the error, not read into memory', async () => {
    // 17 × 64 MiB of zeros: just over the 1 GiB that an sdist may unpack to.
    const { dir, manifest } = await bundleWithSdist(gzipBomb(17, 64 << 20));
    await assert.rejects(planOfflineInstall(dir, manifest), (e: Error) => {
      isCode('ERR_FERRY_ARCHIVE_UNSAFE')(e);
      assert.match(e.message, /demo-1\.0\.tar\.gz unpacks to more than 1073741824 bytes/);
      return true;
    });
  });
});
