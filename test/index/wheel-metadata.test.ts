import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import {
  bufferReader,
  readMetadataFrom,
  readWheelMetadata,
  readZipEntries,
} from '../../src/index/wheel-metadata.js';
import { buildWheel, buildZip, metadataText, wheelBytes } from '../helpers/local-index.js';

const dist = {
  name: 'My.Pkg',
  version: '1.2.3',
  requiresDist: ['dep>=1; extra == "x"'],
  extras: ['x'],
  files: { 'my_pkg/data.txt': 'hello' },
};

describe('wheel metadata', () => {
  it('reads METADATA from a wheel file and from its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-whl-'));
    const built = await buildWheel(dist, dir);
    assert.equal(built.filename, 'My_Pkg-1.2.3-py3-none-any.whl');
    assert.equal(await readWheelMetadata(built.path), metadataText(dist));
    assert.equal(await readWheelMetadata(readFileSync(built.path)), metadataText(dist));
  });

  it('reads through a range reader from only the tail and the entry (as a remote Range read would)', async () => {
    const bytes = wheelBytes(dist);
    const reads: [number, number][] = [];
    const reader = {
      ...bufferReader(bytes),
      read: async (s: number, l: number) => {
        reads.push([s, l]);
        return bytes.subarray(s, s + l);
      },
    };
    assert.equal(await readMetadataFrom(reader), metadataText(dist));
    assert.equal(reads.length, 3); // tail, central directory, local header + data in one read
  });

  it('generated wheels are deterministic', () => {
    assert.deepEqual(wheelBytes(dist), wheelBytes(dist));
  });

  it('rejects a zip without METADATA, and garbage', async () => {
    const zip = buildZip([{ name: 'a.txt', data: Buffer.from('a') }]);
    assert.deepEqual(
      (await readZipEntries(bufferReader(zip))).map((e) => e.name),
      ['a.txt'],
    );
    await assert.rejects(
      readWheelMetadata(zip),
      (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_BAD_WHEEL',
    );
    await assert.rejects(
      readWheelMetadata(Buffer.from('not a zip')),
      (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_BAD_WHEEL',
    );
  });

  it('a corrupted entry fails its CRC check', async () => {
    const stored = buildZip([{ name: 'x-1.dist-info/METADATA', data: Buffer.from('Name: x\n') }]);
    // Flip the CRC in the central directory of a fresh one-entry zip.
    const cdAt = stored.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    stored.writeUInt32LE(stored.readUInt32LE(cdAt + 16) ^ 1, cdAt + 16);
    await assert.rejects(readWheelMetadata(stored), /CRC-32/);
  });

  it('the real pip installs a generated wheel offline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-pipinst-'));
    const built = await buildWheel(dist, dir);
    const target = join(dir, 'target');
    const python = process.env.FERRY_PYTHON ?? 'python3';
    const run = spawnSync(
      python,
      ['-m', 'pip', 'install', '--no-index', '--no-deps', '--target', target, built.path],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.ok(existsSync(join(target, 'my_pkg', '__init__.py')));
    assert.equal(readFileSync(join(target, 'my_pkg', 'data.txt'), 'utf8'), 'hello');
  });
});
