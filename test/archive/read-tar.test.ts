/**
 * The in-memory tar reader and bounded gunzip (src/archive/read-tar.ts, gunzip.ts): the same
 * header checks and safety rules as extracting a bundle, and a cap on decompression.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { gunzipBounded } from '../../src/archive/gunzip.js';
import { readTarFiles, readTarGzFiles } from '../../src/archive/read-tar.js';
import { gzipBomb, rawTar, rawTarGz } from './tar-bytes.js';

const code = (c: string) => (error: unknown) => (error as { code?: string }).code === c;

describe('bounded gunzip', () => {
  test('a gzip bomb is refused with ERR_FERRY_ARCHIVE_UNSAFE once the cap is reached', () => {
    // 1 GiB of zeros from about 1 MiB of gzip; the cap stops zlib at 8 MiB.
    const bomb = gzipBomb(16, 64 << 20);
    assert.ok(bomb.length < 2 << 20, `the bomb is ${bomb.length} bytes`);
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(
      () => gunzipBounded(bomb, { maxBytes: 8 << 20, name: 'bomb.tar.gz' }),
      (error: unknown) => {
        const e = error as { code?: string; message: string };
        assert.equal(e.code, 'ERR_FERRY_ARCHIVE_UNSAFE');
        assert.match(e.message, /bomb\.tar\.gz unpacks to more than 8388608 bytes/);
        return true;
      },
    );
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 256 << 20, `decompressing held ${grown} bytes after the refusal`);
  });

  test('data under the cap comes back whole; several members are one stream', () => {
    const two = Buffer.concat([gzipSync(Buffer.from('ab')), gzipSync(Buffer.from('cd'))]);
    assert.equal(gunzipBounded(two, { maxBytes: 4, name: 'x.gz' }).toString(), 'abcd');
  });

  test('what is not gzip is ERR_FERRY_ARCHIVE_DAMAGED naming the file', () => {
    assert.throws(
      () => gunzipBounded(Buffer.from('nope'), { maxBytes: 100, name: 'x.tar.gz' }),
      (e: Error & { code?: string }) =>
        e.code === 'ERR_FERRY_ARCHIVE_DAMAGED' && /x\.tar\.gz is damaged/.test(e.message),
    );
  });
});

describe('readTarFiles', () => {
  test('plain files, folders, GNU long names, a leading ./ and a filter', () => {
    const long = `demo-1.0/${'x'.repeat(120)}/PKG-INFO`;
    const tar = rawTar([
      { path: './', type: '5' },
      { path: './demo-1.0/', type: '5' },
      { path: './demo-1.0/PKG-INFO', data: 'pkg' },
      { path: long, data: 'long', gnuLongName: true },
      { path: 'demo-1.0/setup.py', data: 'no' },
    ]);
    const all = readTarFiles(tar, { name: 't.tar' });
    assert.deepEqual([...all.keys()], ['demo-1.0/PKG-INFO', long, 'demo-1.0/setup.py']);
    assert.equal(all.get(long)?.toString(), 'long');
    const some = readTarFiles(tar, { name: 't.tar', wanted: (p) => p.endsWith('PKG-INFO') });
    assert.deepEqual([...some.keys()], ['demo-1.0/PKG-INFO', long]);
  });

  for (const [what, entries, pattern] of [
    ['a ".." path', [{ path: 'demo/../../etc/passwd', data: 'x' }], /"\.\." path segment/],
    ['an absolute path', [{ path: '/etc/passwd', data: 'x' }], /absolute path/],
    ['a symbolic link', [{ path: 'demo/l', type: '2' }], /symbolic link/],
    ['a hard link', [{ path: 'demo/l', type: '1' }], /hard link/],
    ['a character device', [{ path: 'demo/tty', type: '3' }], /character device/],
    ['a block device', [{ path: 'demo/sda', type: '4' }], /block device/],
    ['a FIFO', [{ path: 'demo/fifo', type: '6' }], /FIFO/],
    [
      'a file that appears twice',
      [
        { path: 'demo/PKG-INFO', data: 'a' },
        { path: 'demo/PKG-INFO', data: 'b' },
      ],
      /appears twice/,
    ],
    [
      'a file inside a file',
      [
        { path: 'demo/a', data: 'a' },
        { path: 'demo/a/b', data: 'b' },
      ],
      /inside the file/,
    ],
  ] as const) {
    test(`${what} is refused with ERR_FERRY_ARCHIVE_UNSAFE`, () => {
      assert.throws(
        () => readTarFiles(rawTar(entries), { name: 'hostile.tar' }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'ERR_FERRY_ARCHIVE_UNSAFE');
          assert.match(e.message, /^hostile\.tar contains /);
          assert.match(e.message, pattern);
          return true;
        },
      );
    });
  }

  test("links: 'skip' passes over links and still refuses devices", () => {
    const files = readTarFiles(
      rawTar([
        { path: 'demo/l', type: '2' },
        { path: 'demo/PKG-INFO', data: 'p' },
      ]),
      { name: 's.tar', links: 'skip' },
    );
    assert.deepEqual([...files.keys()], ['demo/PKG-INFO']);
    assert.throws(
      () => readTarFiles(rawTar([{ path: 'demo/tty', type: '3' }]), { name: 's', links: 'skip' }),
      code('ERR_FERRY_ARCHIVE_UNSAFE'),
    );
  });

  test('a truncated archive, a bad checksum and an empty one are ERR_FERRY_ARCHIVE_DAMAGED', () => {
    const tar = rawTar([{ path: 'demo/a', data: 'x'.repeat(2000) }]);
    assert.throws(
      () => readTarFiles(tar.subarray(0, 1024), { name: 'cut.tar' }),
      (e: Error & { code?: string }) =>
        e.code === 'ERR_FERRY_ARCHIVE_DAMAGED' && /truncated/.test(e.message),
    );
    const bad = Buffer.from(tar);
    bad[0] = 0x41;
    assert.throws(() => readTarFiles(bad, { name: 'b.tar' }), /checksum does not match/);
    assert.throws(() => readTarFiles(Buffer.alloc(0), { name: 'e.tar' }), /it is empty/);
  });

  test('readTarGzFiles bounds decompression', () => {
    const gz = rawTarGz([{ path: 'demo/big', data: Buffer.alloc(1 << 20) }]);
    assert.equal(
      readTarGzFiles(gz, { name: 'ok.tar.gz', maxUnpacked: 2 << 20 }).get('demo/big')?.length,
      1 << 20,
    );
    assert.throws(
      () => readTarGzFiles(gz, { name: 'big.tar.gz', maxUnpacked: 1 << 19 }),
      code('ERR_FERRY_ARCHIVE_UNSAFE'),
    );
  });
});
