/**
 * Archives built to break the reader: malformed headers and pax records, names with NUL or of
 * absurd length, entries that clash on disk, truncation anywhere, a volume that is a link to
 * /dev/zero or a pipe, a missing volume with no volumes.json, and bad paths for `pack -o`.
 * Every one must end in an ERR_FERRY_* error (never a stack trace, never a hang) and leave
 * nothing behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBundleArchive } from '../../src/archive/extract.js';
import { packBundle } from '../../src/bundle/pack.js';
import { FerryError } from '../../src/core/errors.js';
import { runCli } from '../cli/run-cli.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { writeFixtureBundle } from './fixture.js';

const BLOCK = 512;
const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** A ustar header with every field given as raw text (what a hostile writer controls). */
function rawHeader(f: {
  name: string | Buffer;
  size?: string | Buffer;
  type?: string;
  mode?: string;
  checksum?: string;
}): Buffer {
  const h = Buffer.alloc(BLOCK);
  (typeof f.name === 'string' ? Buffer.from(f.name) : f.name).copy(h, 0, 0, 100);
  h.write(f.mode ?? '0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  if (typeof f.size === 'string' || f.size === undefined)
    h.write(f.size ?? '00000000000\0', 124, 'latin1');
  else f.size.copy(h, 124, 0, 12);
  h.write('00000000000\0', 136, 'latin1');
  h.fill(0x20, 148, 156);
  h.write(f.type ?? '0', 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(f.checksum ?? `${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const file = (name: string, data: string | Buffer, mode?: string): Buffer[] => {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return [
    rawHeader({
      name,
      size: `${body.length.toString(8).padStart(11, '0')}\0`,
      ...(mode ? { mode } : {}),
    }),
    body,
    pad(body.length),
  ];
};
const folder = (name: string): Buffer[] => [rawHeader({ name, type: '5', mode: '0000755\0' })];
const pax = (records: Buffer | string): Buffer[] => {
  const data = typeof records === 'string' ? Buffer.from(records) : records;
  return [
    rawHeader({
      name: 'PaxHeaders/x',
      type: 'x',
      size: `${data.length.toString(8).padStart(11, '0')}\0`,
    }),
    data,
    pad(data.length),
  ];
};
const paxRecord = (key: string, value: string | Buffer): Buffer => {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
};
const END = Buffer.alloc(2 * BLOCK);
const archive = (...parts: Buffer[][]): Buffer => Buffer.concat([...parts.flat(), END]);

let work = '';
let counter = 0;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-hostile-'));
});
after(() => rm(work, { recursive: true, force: true }));

/** Writes `bytes` as an archive and extracts it; returns the error (undefined when it worked). */
async function tryExtract(bytes: Buffer): Promise<unknown> {
  const n = counter++;
  const dir = join(work, `case-${n}`);
  await mkdir(dir);
  const path = join(dir, 'x.ferry.tar');
  await writeFile(path, bytes);
  try {
    await readBundleArchive(path, join(dir, 'out'));
    return undefined;
  } catch (error) {
    // Nothing may be left beside the archive: no output folder, no partial folder.
    assert.deepEqual(await readdir(dir), ['x.ferry.tar'], 'a failed extraction left files behind');
    return error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function assertRefused(bytes: Buffer, code: string, text?: RegExp): Promise<FerryError> {
  const error = await tryExtract(bytes);
  assert.ok(error !== undefined, 'the archive was extracted');
  assert.ok(error instanceof FerryError, `not a FerryError: ${(error as Error)?.stack ?? error}`);
  assert.equal(error.code, code, error.message);
  if (text !== undefined) assert.match(error.message, text);
  return error;
}

describe('reading a hostile archive ends in an ERR_FERRY_* error, never a crash', () => {
  it('a well-formed hand-made archive is read (the builders below are sound)', async () => {
    assert.equal(
      await tryExtract(archive(folder('b/'), file('b/a.txt', 'a'), file('b/c/d', 'd'))),
      undefined,
    );
  });

  it('a pax path holding a NUL byte is refused as unsafe', async () => {
    await assertRefused(
      archive(folder('b/'), pax(paxRecord('path', Buffer.from('b/evil\0.txt'))), file('b/x', 'x')),
      'ERR_FERRY_ARCHIVE_UNSAFE',
      /NUL or control character/,
    );
  });

  it('a name longer than a file system allows is refused as unsafe (no ENAMETOOLONG)', async () => {
    await assertRefused(
      archive(folder('b/'), pax(paxRecord('path', `b/${'n'.repeat(300)}`)), file('b/x', 'x')),
      'ERR_FERRY_ARCHIVE_UNSAFE',
      /longer than 255 bytes/,
    );
    const deep = `b/${Array.from({ length: 40 }, () => 'd'.repeat(120)).join('/')}`;
    await assertRefused(
      archive(folder('b/'), pax(paxRecord('path', deep)), file('b/x', 'x')),
      'ERR_FERRY_ARCHIVE_UNSAFE',
      /longer than 4095 bytes/,
    );
  });

  it('a pax header that claims a gigabyte is refused before it is read', async () => {
    const header = rawHeader({ name: 'PaxHeaders/x', type: 'x', size: '10000000000\0' });
    await assertRefused(
      Buffer.concat([...folder('b/'), header, Buffer.alloc(4 * BLOCK), END]),
      'ERR_FERRY_ARCHIVE_DAMAGED',
      /pax header .* claims 1073741824 bytes/,
    );
  });

  it('malformed pax records are refused as damaged', async () => {
    for (const records of [
      'abc path=x\n',
      '-5 path=x\n',
      '999 path=b/x\n',
      '3 path=b/x\n',
      '12 path=b/x!',
      '10 noequal\n',
      '7 =b/x\n',
      `${'9'.repeat(30)} path=x\n`,
    ]) {
      await assertRefused(
        archive(folder('b/'), pax(records), file('b/x', 'x')),
        'ERR_FERRY_ARCHIVE_DAMAGED',
        /pax record/,
      );
    }
  });

  it('a pax size that is not plain decimal digits is refused as damaged', async () => {
    for (const size of ['1e3', '-1', ' 12', '0x10', '99999999999999999999']) {
      await assertRefused(
        archive(folder('b/'), pax(paxRecord('size', size)), file('b/x', 'x')),
        'ERR_FERRY_ARCHIVE_DAMAGED',
        /pax size/,
      );
    }
  });

  it('size fields that are not numbers are refused as damaged', async () => {
    const negative = Buffer.alloc(12, 0xff);
    for (const size of ['0000000008x\0', 'zzzzzzzzzzz\0', negative]) {
      await assertRefused(
        archive(folder('b/'), [rawHeader({ name: 'b/x', size })]),
        'ERR_FERRY_ARCHIVE_DAMAGED',
        /unreadable size/,
      );
    }
  });

  it('a file inside a file, or a file where a folder is, is refused as unsafe', async () => {
    await assertRefused(
      archive(folder('b/'), file('b/a', 'a'), file('b/a/c', 'c')),
      'ERR_FERRY_ARCHIVE_UNSAFE',
      /inside the file "b\/a"/,
    );
    await assertRefused(
      archive(folder('b/'), file('b/d/c', 'c'), file('b/d', 'd')),
      'ERR_FERRY_ARCHIVE_UNSAFE',
      /both a file and a folder/,
    );
  });

  it('an archive cut short anywhere is refused as damaged', async () => {
    const whole = archive(folder('b/'), file('b/a.txt', 'a'.repeat(700)), file('b/z', 'z'));
    for (const cut of [0, 100, 512, 1000, 1024, 1536, 2048, 2560, whole.length - BLOCK - 1]) {
      await assertRefused(whole.subarray(0, cut), 'ERR_FERRY_ARCHIVE_DAMAGED');
    }
  });

  it('a checksum error names the byte where the bad header starts', async () => {
    const parts = [folder('b/'), file('b/a.txt', 'a'.repeat(700)), file('b/z', 'z')];
    const bytes = archive(...parts);
    // Headers at 0 (b/), 512 (b/a.txt, 2 data blocks), 2048 (b/z).
    bytes[2048 + 10] = bytes[2048 + 10]! ^ 0x01;
    await assertRefused(
      bytes,
      'ERR_FERRY_ARCHIVE_DAMAGED',
      /checksum does not match at byte 2048\b/,
    );
  });

  it('seeded fuzz: mutated archives are extracted or refused with ERR_FERRY_* errors', async () => {
    const base = archive(
      folder('b/'),
      pax(paxRecord('path', `b/${'p'.repeat(120)}.whl`)),
      file('b/long', 'long'),
      file('b/a.txt', 'a'.repeat(700)),
      file('b/install.py', '#!/usr/bin/env python3\n', '0000755\0'),
    );
    const random = seededRandom(0x5eed);
    const int = (n: number) => Math.floor(random() * n);
    for (let round = 0; round < 150; round++) {
      const bytes = Buffer.from(base);
      const kind = int(6);
      const fixChecksum = (headerAt: number) => {
        bytes.fill(0x20, headerAt + 148, headerAt + 156);
        let sum = 0;
        for (let k = 0; k < BLOCK; k++) sum += bytes[headerAt + k]!;
        bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, headerAt + 148, 'latin1');
      };
      if (kind === 0) {
        // flip bytes anywhere
        for (let k = 0; k < 1 + int(8); k++) bytes[int(bytes.length)] = int(256);
      } else if (kind === 1) {
        // rewrite a header field and fix the checksum, so the field itself is what is read
        const headerAt = [0, 512, 1536, 2560, 4096][int(5)]!;
        const fields: [number, number][] = [
          [0, 100],
          [100, 8],
          [124, 12],
          [156, 1],
          [345, 155],
        ];
        const [offset, width] = fields[int(fields.length)]!;
        for (let k = 0; k < width; k++) if (random() < 0.5) bytes[headerAt + offset + k] = int(256);
        fixChecksum(headerAt);
      } else if (kind === 5) {
        // rename an entry to a path made of the archive's own names: clashes, "..", nesting
        const headerAt = [1536, 2560, 4096][int(3)]!;
        const pieces = ['a.txt', 'a.txt', 'install.py', 'x', '.', '..', ''];
        const path = [
          'b',
          ...Array.from({ length: 1 + int(3) }, () => pieces[int(pieces.length)]),
        ].join('/');
        bytes.fill(0, headerAt, headerAt + 100);
        bytes.write(path, headerAt, 'latin1');
        fixChecksum(headerAt);
      } else if (kind === 4) {
        // a byte of the pax path's value (the record stays well-formed): NUL, '/', '.', ...
        bytes[1024 + 12 + int(110)] = [0x00, 0x2f, 0x2e, 0x0a, 0x5c, 0x01][int(6)]!;
      } else if (kind === 2) {
        // damage the pax record's text
        bytes[1024 + int(140)] = [0x20, 0x3d, 0x0a, 0x00, 0x39, 0x2f, 0x2e][int(7)]!;
      } else {
        // truncate
        const cut = int(bytes.length);
        const error = await tryExtract(bytes.subarray(0, cut));
        assert.ok(error instanceof FerryError, `round ${round}: ${String(error)}`);
        continue;
      }
      const error = await tryExtract(bytes);
      if (error === undefined) continue;
      assert.ok(
        error instanceof FerryError && error.code.startsWith('ERR_FERRY_'),
        `round ${round} (kind ${kind}): not a FerryError: ${(error as Error)?.stack ?? error}`,
      );
    }
  });
});

describe('archives and volumes must be regular files, and every read is bounded', () => {
  let bundle = '';
  before(async () => {
    bundle = join(work, 'bundle');
    await writeFixtureBundle(bundle, join(work, 'cache'));
  });

  it('an archive that is a link to /dev/zero is refused, not read for ever', {
    timeout: 30_000,
  }, async () => {
    const dir = join(work, 'zero');
    await mkdir(dir);
    await symlink('/dev/zero', join(dir, 'z.ferry.tar'));
    await assert.rejects(
      readBundleArchive(join(dir, 'z.ferry.tar'), join(dir, 'out')),
      (e: unknown) => {
        const err = e as FerryError;
        return (
          err.code === 'ERR_FERRY_UNSUPPORTED_FILE' &&
          /a device, not a regular file/.test(err.message)
        );
      },
    );
  });

  it('a volume that is a link to /dev/zero is refused, with and without volumes.json', {
    timeout: 30_000,
  }, async () => {
    for (const keepJson of [true, false]) {
      const dir = join(work, `zero-volume-${keepJson}`);
      await mkdir(dir);
      const out = join(dir, 'demo.ferry.tar');
      await packBundle(bundle, out, { splitBytes: 2048 });
      if (!keepJson) await rm(`${out}.volumes.json`);
      await rm(`${out}.002`);
      await symlink('/dev/zero', `${out}.002`);
      await assert.rejects(readBundleArchive(`${out}.001`, join(dir, 'out')), (e: unknown) => {
        const err = e as FerryError;
        return (
          err.code === 'ERR_FERRY_UNSUPPORTED_FILE' && err.message.includes('demo.ferry.tar.002')
        );
      });
    }
  });

  it('an archive that is a named pipe is refused, not waited on', {
    timeout: 30_000,
    skip: spawnSync('mkfifo', ['--version']).status === 0 ? false : 'mkfifo is not installed',
  }, async () => {
    const dir = join(work, 'fifo');
    await mkdir(dir);
    assert.equal(spawnSync('mkfifo', [join(dir, 'p.ferry.tar')]).status, 0);
    await assert.rejects(
      readBundleArchive(join(dir, 'p.ferry.tar'), join(dir, 'out')),
      (e: unknown) => (e as FerryError).code === 'ERR_FERRY_UNSUPPORTED_FILE',
    );
  });

  it('`ferry verify` of volumes where one is a link to /dev/zero ends with exit 5', {
    timeout: 60_000,
  }, async () => {
    const dir = join(work, 'verify-zero');
    await mkdir(dir);
    const out = join(dir, 'demo.ferry.tar');
    await packBundle(bundle, out, { splitBytes: 2048 });
    await rm(`${out}.003`);
    await symlink('/dev/zero', `${out}.003`);
    const r = await runCli(['verify', `${out}.001`, '--json']);
    assert.equal(r.code, 5, r.stderr + r.stdout);
    assert.match(r.stdout, /ERR_FERRY_UNSUPPORTED_FILE/);
  });
});

describe('a missing volume is reported as missing, with or without volumes.json', () => {
  let bundle = '';
  before(async () => {
    bundle = join(work, 'bundle-missing');
    await writeFixtureBundle(bundle, join(work, 'cache-missing'));
  });

  it('a missing middle volume without volumes.json is named (ERR_FERRY_VOLUME_MISSING)', async () => {
    const dir = join(work, 'middle');
    await mkdir(dir);
    const out = join(dir, 'demo.ferry.tar');
    const packed = await packBundle(bundle, out, { splitBytes: 2048 });
    assert.ok(packed.volumes!.length >= 4);
    await rm(`${out}.volumes.json`);
    await rm(`${out}.002`);
    await assert.rejects(readBundleArchive(`${out}.001`, join(dir, 'out')), (e: unknown) => {
      const err = e as FerryError;
      return (
        err.code === 'ERR_FERRY_VOLUME_MISSING' &&
        err.message.includes('demo.ferry.tar.002 is missing')
      );
    });
    const r = await runCli(['verify', `${out}.001`]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /demo\.ferry\.tar\.002 is missing/);
  });

  it('missing last volumes without volumes.json are named too', async () => {
    const dir = join(work, 'last');
    await mkdir(dir);
    const out = join(dir, 'demo.ferry.tar');
    const packed = await packBundle(bundle, out, { splitBytes: 2048 });
    assert.ok(packed.volumes!.length >= 4);
    await rm(`${out}.volumes.json`);
    // Only .001 and .002 arrived: the archive stops in the middle of a file, where .003 begins.
    for (let i = 3; i <= packed.volumes!.length; i++)
      await rm(`${out}.${String(i).padStart(3, '0')}`);
    await assert.rejects(readBundleArchive(`${out}.001`, join(dir, 'out')), (e: unknown) => {
      const err = e as FerryError;
      return (
        err.code === 'ERR_FERRY_VOLUME_MISSING' &&
        err.message.includes('demo.ferry.tar.003 is missing')
      );
    });
  });
});

describe('`ferry pack -o` with a bad path says so clearly (exit 2) and leaves nothing behind', () => {
  let bundle = '';
  let dir = '';
  before(async () => {
    dir = join(work, 'pack-out');
    bundle = join(dir, 'bundle');
    await writeFixtureBundle(bundle, join(work, 'cache-pack'));
    await writeFile(join(dir, 'a-file'), 'x');
  });

  const listing = async () => (await readdir(dir)).sort();

  it('-o an existing folder: ERR_FERRY_DESTINATION, not EISDIR', async () => {
    const before = await listing();
    const r = await runCli(['pack', bundle, '-o', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_DESTINATION/);
    assert.match(r.stderr, /is a folder/);
    assert.doesNotMatch(r.stderr, /internal error|EISDIR|\n\s+at /);
    assert.deepEqual(await listing(), before);
  });

  it('-o inside a file: ERR_FERRY_DESTINATION naming the file, not ENOTDIR/EEXIST', async () => {
    const before = await listing();
    const r = await runCli(['pack', bundle, '-o', join(dir, 'a-file', 'sub', 'x.ferry.tar')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_DESTINATION/);
    assert.match(r.stderr, /a-file" is a file, not a folder/);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.deepEqual(await listing(), before);
  });

  it('-o a volume name that is a folder (with --split): ERR_FERRY_DESTINATION, no .partial left', async () => {
    await mkdir(join(dir, 'v.ferry.tar.002'));
    const before = await listing();
    const r = await runCli(['pack', bundle, '-o', join(dir, 'v.ferry.tar'), '--split', '2048']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_DESTINATION/);
    assert.match(r.stderr, /v\.ferry\.tar\.002/);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.deepEqual(await listing(), before);
  });

  it('-o in a folder that does not exist yet creates it', async () => {
    const out = join(dir, 'new', 'deeper', 'x.ferry.tar');
    const r = await runCli(['pack', bundle, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await readFile(out)).length > 0);
  });
});
