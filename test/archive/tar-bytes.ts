/**
 * Tar archives built byte by byte for tests, including entries ferry never writes (links,
 * devices, "..", GNU long names), so the reader's refusals can be shown.
 */
import { gzipSync } from 'node:zlib';

export interface RawEntry {
  readonly path: string;
  readonly data?: string | Buffer;
  /** The type flag: '0' file (default), '5' folder, '1' hard link, '2' symlink, '3' device... */
  readonly type?: string;
  /** Write the path as a GNU 'L' long-name record first. */
  readonly gnuLongName?: boolean;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

export function rawHeader(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function rawTar(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? '0';
    const data = Buffer.from(entry.data ?? '');
    if (entry.gnuLongName === true) {
      const long = Buffer.from(`${entry.path}\0`);
      blocks.push(rawHeader('././@LongLink', long.length, 'L'), long, pad(long.length));
    }
    const size = type === '0' ? data.length : 0;
    blocks.push(rawHeader(entry.path, size, type));
    if (size > 0) blocks.push(data, pad(size));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const rawTarGz = (entries: readonly RawEntry[]): Buffer => gzipSync(rawTar(entries));

/**
 * A gzip stream that inflates to `members` × `memberBytes` zero bytes: gzip members of zeros,
 * concatenated (gzip(1) reads them as one stream). 16 members of 64 MiB are 1 GiB unpacked from
 * about 1 MiB on disk.
 */
export function gzipBomb(members: number, memberBytes: number): Buffer {
  const one = gzipSync(Buffer.alloc(memberBytes), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => one));
}
