/**
 * Reads `*.dist-info/METADATA` out of a wheel without unpacking it: end of central directory
 * (EOCD, ZIP64 aware) → central directory → the entry's local header → its data, inflated with
 * node:zlib. Everything goes through a `ByteReader`, so the same code reads a Buffer, a local
 * file, or (later) byte ranges of a remote wheel fetched with HTTP Range requests.
 */
import { open } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import { FerryError } from '../core/errors.js';

export interface ByteReader {
  readonly size: number;
  /** Bytes [start, start + length). */
  read(start: number, length: number): Promise<Buffer>;
  /** Used in error messages. */
  readonly label: string;
}

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const SIG = {
  eocd: 0x06054b50,
  eocd64: 0x06064b50,
  locator64: 0x07064b50,
  central: 0x02014b50,
  local: 0x04034b50,
} as const;
const MAX_COMMENT = 0xffff;
const EOCD_SIZE = 22;
const MAX_METADATA_BYTES = 64 * 1024 * 1024;
/** First look at the archive's tail (covers an EOCD with a short comment and a ZIP64 locator). */
const FIRST_TAIL = 4096;
/** Read this much past a local header in one go, so name + extra + data usually take one read. */
const LOCAL_SLACK = 1024;

function findEocd(tail: Buffer): number {
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (
      tail.readUInt32LE(i) === SIG.eocd &&
      i + EOCD_SIZE + tail.readUInt16LE(i + 20) <= tail.length
    ) {
      return i;
    }
  }
  return -1;
}

export function bufferReader(buffer: Buffer, label = 'wheel'): ByteReader {
  return {
    size: buffer.length,
    label,
    read: async (start, length) => buffer.subarray(start, start + length),
  };
}

function bad(label: string, reason: string): FerryError {
  return new FerryError('ERR_FERRY_BAD_WHEEL', `${label} is not a readable wheel: ${reason}`, {
    hint: 'The file may be truncated or not a zip archive; delete it from the cache and download it again.',
    details: { file: label, reason },
  });
}

/** The central directory's entries. Reads only the tail of the archive and the directory. */
export async function readZipEntries(reader: ByteReader): Promise<ZipEntry[]> {
  // Most archives carry no comment, so the EOCD is in the last few bytes: look at a small tail
  // first (one short Range request for a remote wheel) and at the longest possible one only
  // when that fails.
  let tail: Buffer = Buffer.alloc(0);
  let eocd = -1;
  const maxTail = Math.min(reader.size, EOCD_SIZE + MAX_COMMENT + 20 /* zip64 locator */);
  for (const length of [Math.min(reader.size, FIRST_TAIL), maxTail]) {
    if (length <= tail.length) continue;
    tail = await reader.read(reader.size - length, length);
    eocd = findEocd(tail);
    if (eocd >= 0) break;
  }
  if (eocd < 0) throw bad(reader.label, 'no end of central directory record');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the locator sits just before the EOCD and points at the ZIP64 EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== SIG.locator64)
      throw bad(reader.label, 'missing ZIP64 locator');
    const eocd64Offset = Number(tail.readBigUInt64LE(loc + 8));
    const rec = await reader.read(eocd64Offset, 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== SIG.eocd64)
      throw bad(reader.label, 'bad ZIP64 end record');
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOffset = Number(rec.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > reader.size)
    throw bad(reader.label, 'central directory lies outside the file');
  const cd = await reader.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG.central)
      throw bad(reader.label, 'corrupt central directory');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    // ZIP64 extended information (0x0001): only the fields that overflowed, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = Number(cd.readBigUInt64LE(q));
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(cd.readBigUInt64LE(q));
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(cd.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    entries.push({
      name,
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize,
      size,
      localHeaderOffset,
    });
    p = extraEnd + commentLength;
  }
  return entries;
}

/** One entry's bytes, inflated and CRC-checked. */
export async function readZipEntry(reader: ByteReader, entry: ZipEntry): Promise<Buffer> {
  if (entry.size > MAX_METADATA_BYTES)
    throw bad(reader.label, `${entry.name} is implausibly large (${entry.size} bytes)`);
  if (entry.compressedSize > MAX_METADATA_BYTES)
    throw bad(reader.label, `${entry.name} is implausibly large (${entry.compressedSize} bytes)`);
  // Header, name, extra field and data in one read (one Range request for a remote wheel).
  const wanted = Math.min(
    30 + LOCAL_SLACK + entry.compressedSize,
    reader.size - entry.localHeaderOffset,
  );
  const header = await reader.read(entry.localHeaderOffset, wanted);
  if (header.length < 30 || header.readUInt32LE(0) !== SIG.local)
    throw bad(reader.label, `no local header for ${entry.name}`);
  const skip = 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const raw =
    skip + entry.compressedSize <= header.length
      ? header.subarray(skip, skip + entry.compressedSize)
      : await reader.read(entry.localHeaderOffset + skip, entry.compressedSize);
  if (raw.length !== entry.compressedSize)
    throw bad(reader.label, `${entry.name} is cut short (truncated archive)`);
  let data: Buffer;
  if (entry.method === 0) data = raw;
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
    } catch (error) {
      throw bad(reader.label, `${entry.name}: ${(error as Error).message}`);
    }
  } else
    throw bad(reader.label, `${entry.name} uses unsupported compression method ${entry.method}`);
  if (data.length !== entry.size || crc32(data) >>> 0 !== entry.crc32 >>> 0) {
    throw bad(reader.label, `${entry.name} fails its CRC-32 check`);
  }
  return data;
}

/** The single top-level `*.dist-info/METADATA` entry (a wheel has exactly one). */
export function findMetadataEntry(entries: readonly ZipEntry[], label: string): ZipEntry {
  const found = entries.filter((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name));
  if (found.length === 1) return found[0]!;
  throw bad(
    label,
    found.length === 0 ? 'no .dist-info/METADATA' : `${found.length} .dist-info/METADATA files`,
  );
}

export async function readMetadataFrom(reader: ByteReader): Promise<string> {
  const entries = await readZipEntries(reader);
  return (await readZipEntry(reader, findMetadataEntry(entries, reader.label))).toString('utf8');
}

/** METADATA of a wheel given as a local path or its bytes. */
export async function readWheelMetadata(wheel: string | Buffer): Promise<string> {
  if (typeof wheel !== 'string') return readMetadataFrom(bufferReader(wheel));
  const handle = await open(wheel, 'r');
  try {
    const { size } = await handle.stat();
    return await readMetadataFrom({
      size,
      label: wheel,
      async read(start, length) {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
        const { bytesRead } = await handle.read(buf, 0, buf.length, start);
        return buf.subarray(0, bytesRead);
      },
    });
  } finally {
    await handle.close();
  }
}
