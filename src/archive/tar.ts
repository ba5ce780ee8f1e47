/**
 * The tar format as ferry writes and reads it: POSIX ustar headers (POSIX.1-2001, `pax`
 * interchange format) with pax extended headers only where ustar cannot hold a path or a size.
 * Pure functions over bytes: no IO. The reader side checks every field it takes from a header
 * and says what is wrong in words, so that a damaged or hostile archive is refused with an
 * error, never a crash (volumes.ts and extract.ts turn these into FerryErrors).
 */
import { basename } from 'node:path';

export const BLOCK = 512;
/** tar pads an archive to a multiple of 20 blocks (its default blocking factor). */
export const RECORD = 20 * BLOCK;
/** The largest size an 11-digit octal field holds (8 GiB - 1); larger sizes go into pax. */
export const USTAR_MAX_SIZE = 0o77777777777;
/**
 * The largest pax extended header ferry reads. ferry writes at most a path and a size (a few
 * KiB); GNU tar and libarchive use similar limits, and a bigger one would only make the reader
 * hold an attacker's bytes in memory.
 */
export const MAX_PAX_BYTES = 1 << 20;
/** Linux's NAME_MAX and PATH_MAX: a longer name or path could not be created anyway. */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4095;

export const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

// ---------------------------------------------------------------- writing

function octal(value: number, width: number): Buffer {
  // width includes the terminating NUL
  return Buffer.from(`${value.toString(8).padStart(width - 1, '0')}\0`, 'latin1');
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body, 'utf8');
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return Buffer.from(`${len}${body}`, 'utf8');
}

/** Splits a path into ustar (prefix, name), or undefined when it does not fit. */
function splitUstarPath(path: Buffer): { prefix: Buffer; name: Buffer } | undefined {
  if (path.length <= 100) return { prefix: Buffer.alloc(0), name: path };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== 0x2f) continue;
    const prefix = path.subarray(0, i);
    const name = path.subarray(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { prefix, name };
    if (name.length > 100) break;
  }
  return undefined;
}

interface HeaderFields {
  name: Buffer;
  prefix?: Buffer;
  mode: number;
  size: number;
  mtime: number;
  type: '0' | '5' | 'x';
}

function ustarHeader(f: HeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  f.name.copy(h, 0);
  octal(f.mode, 8).copy(h, 100);
  octal(0, 8).copy(h, 108); // uid
  octal(0, 8).copy(h, 116); // gid
  octal(f.size, 12).copy(h, 124);
  octal(f.mtime, 12).copy(h, 136);
  h.fill(0x20, 148, 156); // checksum placeholder: spaces
  h.write(f.type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  // uname, gname empty
  octal(0, 8).copy(h, 329); // devmajor
  octal(0, 8).copy(h, 337); // devminor
  f.prefix?.copy(h, 345);
  let sum = 0;
  for (const b of h) sum += b;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1').copy(h, 148);
  return h;
}

/** The header block(s) for one entry: a pax 'x' header first when ustar cannot hold it. */
export function entryHeaders(
  path: string,
  type: '0' | '5',
  size: number,
  mode: number,
  mtime: number,
): Buffer[] {
  const bytes = Buffer.from(path, 'utf8');
  const split = splitUstarPath(bytes);
  const records: Buffer[] = [];
  if (split === undefined) records.push(paxRecord('path', path));
  if (size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(size)));
  const out: Buffer[] = [];
  if (records.length > 0) {
    const data = Buffer.concat(records);
    const base = Buffer.from(basename(path), 'utf8').subarray(0, 80);
    out.push(
      ustarHeader({
        name: Buffer.concat([Buffer.from('PaxHeaders/'), base]),
        mode: 0o644,
        size: data.length,
        mtime,
        type: 'x',
      }),
    );
    out.push(data, Buffer.alloc(padding(data.length)));
  }
  const fit = split ?? {
    prefix: Buffer.alloc(0),
    name: bytes.subarray(bytes.length - Math.min(bytes.length, 100)),
  };
  out.push(
    ustarHeader({
      name: fit.name,
      prefix: fit.prefix,
      mode,
      size: size > USTAR_MAX_SIZE ? 0 : size,
      mtime,
      type,
    }),
  );
  return out;
}

// ---------------------------------------------------------------- reading

/** A header or pax record that cannot be read; `message` says what is wrong, in words. */
export class TarFormatError extends Error {}

/** A NUL-terminated text field. */
function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/**
 * A numeric field: octal digits ended by NUL or space (leading spaces allowed, as old tars
 * wrote them), or GNU's base-256 form (first byte 0x80, big-endian). Undefined when the field
 * holds anything else, a negative base-256 number (first byte 0xff) or a number too large to
 * count bytes with exactly.
 */
export function readNumber(field: Buffer): number | undefined {
  if (field[0] === 0x80) {
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return Number.isSafeInteger(v) ? v : undefined;
  }
  if ((field[0]! & 0x80) !== 0) return undefined;
  const text = field
    .toString('latin1')
    .replace(/^ +/, '')
    .replace(/[\0 ][\s\S]*$/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  const v = Number.parseInt(text, 8);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** The checksum a header should carry: its bytes summed with the checksum field as spaces. */
export function headerChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

export interface TarHeader {
  /** The type flag: '0' (or NUL) file, '5' folder, 'x'/'g' pax, anything else refused later. */
  readonly type: string;
  /** prefix/name as the ustar fields give it (a pax 'path' overrides it). */
  readonly path: string;
  readonly size: number;
  readonly mode: number;
}

/**
 * Reads one 512-byte header block that is not all zeros. Throws TarFormatError naming the
 * field that is wrong (the caller adds where the header lies).
 */
export function parseHeader(header: Buffer): TarHeader {
  const expected = readNumber(header.subarray(148, 156));
  if (expected !== headerChecksum(header))
    throw new TarFormatError('a header checksum does not match');
  const magic = header.subarray(257, 263).toString('latin1');
  if (magic !== 'ustar\0' && magic !== 'ustar ') throw new TarFormatError('not a ustar archive');
  const type = String.fromCharCode(header[156]!);
  const size = readNumber(header.subarray(124, 136));
  if (size === undefined) throw new TarFormatError('a header has an unreadable size');
  const mode = readNumber(header.subarray(100, 108)) ?? 0;
  const name = cString(header.subarray(0, 100));
  const prefix = magic === 'ustar\0' ? cString(header.subarray(345, 500)) : '';
  return { type, path: prefix === '' ? name : `${prefix}/${name}`, size, mode };
}

/**
 * A pax extended header's records (POSIX.1-2001 "pax Extended Header": `LEN KEY=VALUE\n`,
 * LEN counting the whole record in decimal). Throws TarFormatError for a record that does not
 * follow that form.
 */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    // Some writers pad the data with NULs after the last record.
    if (data[offset] === 0 && data.subarray(offset).every((b) => b === 0)) break;
    const space = data.indexOf(0x20, offset);
    const digits =
      space === -1 || space - offset > 20 ? '' : data.subarray(offset, space).toString('latin1');
    const len = /^[0-9]+$/.test(digits) ? Number(digits) : Number.NaN;
    if (
      !Number.isSafeInteger(len) ||
      len <= space - offset + 1 ||
      offset + len > data.length ||
      data[offset + len - 1] !== 0x0a
    ) {
      throw new TarFormatError(`a pax record at byte ${offset} of its header is malformed`);
    }
    const record = data.subarray(space + 1, offset + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError(`a pax record at byte ${offset} has no KEY=VALUE`);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    offset += len;
  }
  return out;
}

/** The size a pax 'size' record gives: decimal digits only (no sign, exponent or spaces). */
export function paxSize(value: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}
