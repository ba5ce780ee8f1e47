/**
 * The single-file bundle: a deterministic POSIX ustar archive (pax records only where a path
 * does not fit ustar's 100+155 bytes or a file is 8 GiB or larger), optionally split into
 * volumes for media with a size limit (FAT32, DVD, a transfer system's quota).
 *
 * Determinism: entries sorted by path in byte order under one root folder, mtime fixed
 * (0, or what the caller passes, e.g. SOURCE_DATE_EPOCH), uid/gid 0, empty owner names,
 * modes 0644 for files and 0755 for folders and executables (install.py is always 0755),
 * no other headers, padded to 10240-byte records the way tar does. The same tree gives the
 * same bytes wherever it lies and whatever its timestamps.
 *
 * Split volumes: NAME.ferry.tar.001, .002, ... of at most splitBytes each, plus
 * NAME.ferry.tar.volumes.json with each volume's size and SHA-256 and the whole archive's,
 * so `cat NAME.ferry.tar.0* > NAME.ferry.tar` restores the archive and a missing or damaged
 * volume is named before anything is extracted.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
} from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { FerryError } from '../core/errors.js';
import { unsafePathReason } from './sha256sums.js';

const BLOCK = 512;
const RECORD = 20 * BLOCK;
const CHUNK = 1 << 20;
const USTAR_MAX_SIZE = 0o77777777777;
export const ARCHIVE_SUFFIX = '.ferry.tar';
export const VOLUMES_SUFFIX = '.volumes.json';
const VOLUMES_FORMAT = 'ferry-volumes/1';

export interface PackOptions {
  /** Split into volumes of at most this many bytes. */
  splitBytes?: number;
  /** Seconds since the epoch for every entry's mtime (default 0). */
  mtime?: number;
  /** The archive's root folder (default: the output name without ".ferry.tar"). */
  root?: string;
}

export interface VolumeInfo {
  name: string;
  size: number;
  sha256: string;
}

export interface VolumesFile {
  format: typeof VOLUMES_FORMAT;
  archive: string;
  size: number;
  sha256: string;
  volumeBytes: number;
  volumes: VolumeInfo[];
}

export interface PackResult {
  /** Paths written: the archive, or the volumes followed by the volumes.json. */
  files: string[];
  size: number;
  sha256: string;
  entries: number;
  volumes?: VolumeInfo[];
}

export interface ExtractResult {
  root: string;
  dir: string;
  /** Relative paths of the extracted files, in archive order. */
  files: string[];
  size: number;
  sha256: string;
}

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  KIB: 1024,
  M: 1024 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GIB: 1024 ** 3,
  T: 1024 ** 4,
  TIB: 1024 ** 4,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

/**
 * Parses a size: bytes, or a number with K/M/G/T (binary, as `split -b` reads them; also
 * KiB...) or KB/MB/GB/TB (decimal, as media are labelled). "3900M", "4G", "700K", "4.7GB".
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = m === null ? undefined : UNITS[m[2]!.toUpperCase()];
  if (m === null || unit === undefined) {
    throw new FerryError('ERR_FERRY_BAD_SIZE', `"${text}" is not a size`, {
      hint: 'Write a number of bytes or a number with K, M, G or T (1024-based) or KB, MB, GB (1000-based), e.g. 3900M or 4.7GB.',
    });
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < BLOCK) {
    throw new FerryError(
      'ERR_FERRY_BAD_SIZE',
      `"${text}" is too ${bytes < BLOCK ? 'small' : 'large'} for a volume size (at least 512 bytes)`,
    );
  }
  return bytes;
}

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
function entryHeaders(
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

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

/** Writes bytes across volumes of at most `limit` bytes, hashing each and the whole. */
class VolumeWriter {
  private handle: FileHandle | undefined;
  private written = 0;
  private volumeHash: Hash | undefined;
  private readonly whole = createHash('sha256');
  readonly volumes: (VolumeInfo & { tmp: string; path: string })[] = [];
  total = 0;

  constructor(
    private readonly outFile: string,
    private readonly limit: number | undefined,
  ) {}

  private volumePath(index: number): string {
    return this.limit === undefined
      ? this.outFile
      : `${this.outFile}.${String(index).padStart(3, '0')}`;
  }

  private async openNext(): Promise<void> {
    await this.closeCurrent();
    const path = this.volumePath(this.volumes.length + 1);
    const tmp = `${path}.partial`;
    this.handle = await open(tmp, 'w', 0o644);
    this.volumeHash = createHash('sha256');
    this.written = 0;
    this.volumes.push({ name: basename(path), path, tmp, size: 0, sha256: '' });
  }

  private async closeCurrent(): Promise<void> {
    if (this.handle === undefined) return;
    await this.handle.sync();
    await this.handle.close();
    const current = this.volumes[this.volumes.length - 1]!;
    current.size = this.written;
    current.sha256 = this.volumeHash!.digest('hex');
    this.handle = undefined;
  }

  async write(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      if (this.handle === undefined || (this.limit !== undefined && this.written >= this.limit))
        await this.openNext();
      const room =
        this.limit === undefined
          ? data.length - offset
          : Math.min(this.limit - this.written, data.length - offset);
      const piece = data.subarray(offset, offset + room);
      await this.handle!.write(piece);
      this.volumeHash!.update(piece);
      this.whole.update(piece);
      this.written += piece.length;
      this.total += piece.length;
      offset += room;
    }
  }

  async finish(): Promise<{ sha256: string }> {
    await this.closeCurrent();
    return { sha256: this.whole.digest('hex') };
  }

  async abort(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    for (const v of this.volumes) await rm(v.tmp, { force: true });
  }
}

interface Entry {
  archivePath: string;
  source: string;
  type: '0' | '5';
  size: number;
  mode: number;
}

async function collectEntries(dir: string, root: string): Promise<Entry[]> {
  const entries: Entry[] = [
    { archivePath: `${root}/`, source: dir, type: '5', size: 0, mode: 0o755 },
  ];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(rel === '' ? dir : join(dir, rel))) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const reason = unsafePathReason(relPath);
      if (reason !== undefined)
        throw new FerryError('ERR_FERRY_BAD_PATH', `Cannot pack "${relPath}": ${reason}`);
      const source = join(dir, relPath);
      const st = await lstat(source);
      if (st.isDirectory()) {
        entries.push({
          archivePath: `${root}/${relPath}/`,
          source,
          type: '5',
          size: 0,
          mode: 0o755,
        });
        await walk(relPath);
      } else if (st.isFile()) {
        const executable = relPath === 'install.py' || (st.mode & 0o100) !== 0;
        entries.push({
          archivePath: `${root}/${relPath}`,
          source,
          type: '0',
          size: st.size,
          mode: executable ? 0o755 : 0o644,
        });
      } else {
        throw new FerryError(
          'ERR_FERRY_UNSUPPORTED_FILE',
          `Cannot pack "${relPath}": only regular files and folders go into a bundle (no links or devices)`,
          {
            hint: 'Replace the link with a copy of the file.',
          },
        );
      }
    }
  };
  await walk('');
  return entries.sort((a, b) =>
    Buffer.compare(Buffer.from(a.archivePath), Buffer.from(b.archivePath)),
  );
}

const archiveName = (outFile: string): string => basename(outFile);

export function defaultRoot(outFile: string): string {
  const name = archiveName(outFile);
  return name.endsWith(ARCHIVE_SUFFIX)
    ? name.slice(0, -ARCHIVE_SUFFIX.length)
    : name.replace(/\.tar$/, '');
}

/**
 * Packs `dir` into `outFile` (NAME.ferry.tar), or into NAME.ferry.tar.001... and
 * NAME.ferry.tar.volumes.json when `splitBytes` is given. Files are written under temporary
 * names and renamed at the end, so a failure leaves nothing half-written.
 */
export async function packBundle(
  dir: string,
  outFile: string,
  opts: PackOptions = {},
): Promise<PackResult> {
  await mkdir(dirname(resolvePath(outFile)), { recursive: true });
  const mtime = opts.mtime ?? 0;
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > USTAR_MAX_SIZE) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `The archive time ${mtime} is not a whole number of seconds since 1970`,
    );
  }
  if (
    opts.splitBytes !== undefined &&
    (!Number.isSafeInteger(opts.splitBytes) || opts.splitBytes < BLOCK)
  ) {
    throw new FerryError(
      'ERR_FERRY_BAD_SIZE',
      `The volume size ${opts.splitBytes} is too small (at least 512 bytes)`,
    );
  }
  const root = opts.root ?? defaultRoot(outFile);
  if (root === '' || unsafePathReason(root) !== undefined || root.includes('/')) {
    throw new FerryError(
      'ERR_FERRY_BAD_PATH',
      `"${root}" cannot be the archive's root folder name`,
    );
  }
  const entries = await collectEntries(dir, root);
  const writer = new VolumeWriter(outFile, opts.splitBytes);
  const buffer = Buffer.alloc(CHUNK);
  try {
    for (const entry of entries) {
      for (const block of entryHeaders(
        entry.archivePath,
        entry.type,
        entry.size,
        entry.mode,
        mtime,
      ))
        await writer.write(block);
      if (entry.type !== '0') continue;
      const handle = await open(entry.source, 'r');
      try {
        let remaining = entry.size;
        while (remaining > 0) {
          const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, remaining), null);
          if (bytesRead === 0)
            throw new FerryError(
              'ERR_FERRY_FILE_CHANGED',
              `"${entry.source}" shrank while it was being packed`,
            );
          await writer.write(Buffer.from(buffer.subarray(0, bytesRead)));
          remaining -= bytesRead;
        }
      } finally {
        await handle.close();
      }
      await writer.write(Buffer.alloc(padding(entry.size)));
    }
    await writer.write(Buffer.alloc(2 * BLOCK));
    await writer.write(Buffer.alloc((RECORD - (writer.total % RECORD)) % RECORD));
    const { sha256 } = await writer.finish();
    for (const v of writer.volumes) await rename(v.tmp, v.path);
    const volumes = writer.volumes.map(({ name, size, sha256: hash }) => ({
      name,
      size,
      sha256: hash,
    }));
    if (opts.splitBytes === undefined) {
      return { files: [outFile], size: writer.total, sha256, entries: entries.length };
    }
    const manifest: VolumesFile = {
      format: VOLUMES_FORMAT,
      archive: archiveName(outFile),
      size: writer.total,
      sha256,
      volumeBytes: opts.splitBytes,
      volumes,
    };
    const jsonPath = `${outFile}${VOLUMES_SUFFIX}`;
    const handle = await open(`${jsonPath}.partial`, 'w', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(`${jsonPath}.partial`, jsonPath);
    // Volumes left over from an earlier, larger pack under the same name would confuse `cat`.
    for (let i = volumes.length + 1; ; i++) {
      const stale = `${outFile}.${String(i).padStart(3, '0')}`;
      if (
        !(await stat(stale).then(
          () => true,
          () => false,
        ))
      )
        break;
      await rm(stale, { force: true });
    }
    return {
      files: [...writer.volumes.map((v) => v.path), jsonPath],
      size: writer.total,
      sha256,
      entries: entries.length,
      volumes,
    };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

// ---------------------------------------------------------------- reading

interface VolumePlan {
  archive: string;
  paths: string[];
  expected?: VolumesFile;
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

async function planVolumes(input: string): Promise<VolumePlan> {
  let base: string | undefined;
  if (input.endsWith(VOLUMES_SUFFIX)) base = input.slice(0, -VOLUMES_SUFFIX.length);
  else if (/\.\d{3}$/.test(input)) base = input.slice(0, -4);
  else if (await exists(input)) return { archive: basename(input), paths: [input] };
  else if ((await exists(`${input}${VOLUMES_SUFFIX}`)) || (await exists(`${input}.001`)))
    base = input;
  if (base === undefined) {
    throw new FerryError(
      'ERR_FERRY_ARCHIVE_NOT_FOUND',
      `"${input}" does not exist (nor ${basename(input)}.001 or ${basename(input)}${VOLUMES_SUFFIX})`,
    );
  }
  const jsonPath = `${base}${VOLUMES_SUFFIX}`;
  const dir = dirname(base);
  if (await exists(jsonPath)) {
    const expected = parseVolumesFile(await readFile(jsonPath, 'utf8'), jsonPath);
    const paths = expected.volumes.map((v) => join(dir, v.name));
    const missing: string[] = [];
    const damaged: string[] = [];
    for (const [i, path] of paths.entries()) {
      const st = await stat(path).catch(() => undefined);
      if (st === undefined) missing.push(basename(path));
      else if (st.size !== expected.volumes[i]!.size)
        damaged.push(
          `${basename(path)} is ${st.size} bytes, expected ${expected.volumes[i]!.size}`,
        );
    }
    if (missing.length > 0) {
      throw new FerryError(
        'ERR_FERRY_VOLUME_MISSING',
        `${missing.map((m) => `${m} is missing`).join('; ')} (${paths.length} volumes in ${basename(jsonPath)})`,
        {
          hint: `Copy every volume of ${expected.archive} into ${dir} and try again.`,
          details: { missing },
        },
      );
    }
    if (damaged.length > 0) throw volumeDamaged(damaged, expected.archive);
    return { archive: expected.archive, paths, expected };
  }
  // No volumes.json: take .001, .002, ... in order; a missing last volume shows as a
  // truncated archive.
  const paths: string[] = [];
  for (let i = 1; await exists(`${base}.${String(i).padStart(3, '0')}`); i++)
    paths.push(`${base}.${String(i).padStart(3, '0')}`);
  if (paths.length === 0) {
    throw new FerryError('ERR_FERRY_VOLUME_MISSING', `${basename(base)}.001 is missing`);
  }
  return { archive: basename(base), paths };
}

function volumeDamaged(problems: string[], archive: string): FerryError {
  return new FerryError(
    'ERR_FERRY_VOLUME_DAMAGED',
    `Damaged volume(s) of ${archive}: ${problems.join('; ')}`,
    {
      hint: 'Copy the named volume(s) again from the source media.',
      details: { problems },
    },
  );
}

export function parseVolumesFile(text: string, source = VOLUMES_SUFFIX): VolumesFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_VOLUME_DAMAGED',
      `${source} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const v = value as Partial<VolumesFile>;
  const okVolume = (x: unknown): x is VolumeInfo => {
    const e = x as VolumeInfo;
    return (
      typeof e?.name === 'string' &&
      /^[^/\\]+\.\d{3}$/.test(e.name) &&
      Number.isSafeInteger(e.size) &&
      /^[0-9a-f]{64}$/.test(e.sha256)
    );
  };
  if (
    v?.format !== VOLUMES_FORMAT ||
    typeof v.archive !== 'string' ||
    !Number.isSafeInteger(v.size) ||
    typeof v.sha256 !== 'string' ||
    !Array.isArray(v.volumes) ||
    v.volumes.length === 0 ||
    !v.volumes.every(okVolume)
  ) {
    throw new FerryError(
      'ERR_FERRY_VOLUME_DAMAGED',
      `${source} is not a ferry volume list (${VOLUMES_FORMAT})`,
    );
  }
  return v as VolumesFile;
}

/** Reads the volumes in order as one stream, checking each volume's hash at its end. */
class VolumeReader {
  private index = 0;
  private handle: FileHandle | undefined;
  private volumeHash: Hash | undefined;
  readonly whole = createHash('sha256');
  total = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly plan: VolumePlan) {}

  /** Next raw chunk, or undefined at the end of the last volume. */
  private async nextChunk(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.handle === undefined) {
        if (this.index >= this.plan.paths.length) return undefined;
        this.handle = await open(this.plan.paths[this.index]!, 'r');
        this.volumeHash = createHash('sha256');
      }
      const buf = Buffer.alloc(CHUNK);
      const { bytesRead } = await this.handle.read(buf, 0, CHUNK, null);
      if (bytesRead > 0) {
        const chunk = buf.subarray(0, bytesRead);
        this.volumeHash!.update(chunk);
        this.whole.update(chunk);
        this.total += bytesRead;
        return chunk;
      }
      await this.handle.close();
      this.handle = undefined;
      const expected = this.plan.expected?.volumes[this.index];
      const actual = this.volumeHash!.digest('hex');
      if (expected !== undefined && expected.sha256 !== actual) {
        throw volumeDamaged(
          [`${expected.name} has SHA-256 ${actual}, expected ${expected.sha256}`],
          this.plan.archive,
        );
      }
      this.index++;
    }
  }

  /** Exactly `n` bytes, or fewer only at the very end. */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [this.pending];
    let have = this.pending.length;
    while (have < n) {
      const chunk = await this.nextChunk();
      if (chunk === undefined) break;
      parts.push(chunk);
      have += chunk.length;
    }
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.pending = all.subarray(Math.min(n, all.length));
    return all.subarray(0, Math.min(n, all.length));
  }

  async drain(): Promise<void> {
    this.pending = Buffer.alloc(0);
    while ((await this.nextChunk()) !== undefined) {
      // hashing happens in nextChunk
    }
  }

  async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}

const damaged = (archive: string, message: string): FerryError =>
  new FerryError('ERR_FERRY_ARCHIVE_DAMAGED', `${archive} is damaged: ${message}`, {
    hint: 'Copy the archive again from the source media.',
  });

const unsafe = (archive: string, path: string, message: string): FerryError =>
  new FerryError(
    'ERR_FERRY_ARCHIVE_UNSAFE',
    `${archive} contains "${path}": ${message}; nothing was extracted`,
    {
      hint: 'A ferry bundle holds only plain files and folders under one root folder. Do not use this archive.',
    },
  );

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function readNumber(field: Buffer): number | undefined {
  if ((field[0]! & 0x80) !== 0) {
    // GNU base-256
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return Number.isSafeInteger(v) ? v : undefined;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined;
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const len = space === -1 ? Number.NaN : Number(data.subarray(offset, space).toString('latin1'));
    if (
      !Number.isSafeInteger(len) ||
      len <= 0 ||
      offset + len > data.length ||
      data[offset + len - 1] !== 0x0a
    ) {
      throw new Error('bad pax extended header');
    }
    const record = data.subarray(space + 1, offset + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) throw new Error('bad pax record');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    offset += len;
  }
  return out;
}

/**
 * Extracts a bundle archive (a single NAME.ferry.tar, or its volumes given by the first
 * volume, the base name or the volumes.json) into `destDir`, which must not exist or be
 * empty. The archive's root folder becomes `destDir`. Refuses absolute paths, "..", links
 * and anything but plain files and folders; extracts into a temporary folder next to
 * `destDir` and renames it at the end, so a failure leaves nothing behind.
 */
export async function readBundleArchive(
  pathOrFirstVolume: string,
  destDir: string,
): Promise<ExtractResult> {
  const plan = await planVolumes(pathOrFirstVolume);
  const destExists = await stat(destDir).then(
    (s) => s,
    () => undefined,
  );
  if (
    destExists !== undefined &&
    (!destExists.isDirectory() || (await readdir(destDir)).length > 0)
  ) {
    throw new FerryError(
      'ERR_FERRY_DEST_EXISTS',
      `"${destDir}" already exists and is not an empty folder`,
      {
        hint: 'Name a new folder to extract into.',
      },
    );
  }
  const tmp = join(dirname(destDir), `.${basename(destDir)}.ferry-partial-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const reader = new VolumeReader(plan);
  try {
    const result = await extractEntries(reader, plan.archive, tmp);
    await reader.drain();
    const sha256 = reader.whole.digest('hex');
    if (
      plan.expected !== undefined &&
      (plan.expected.sha256 !== sha256 || plan.expected.size !== reader.total)
    ) {
      throw volumeDamaged(
        [`the joined archive has SHA-256 ${sha256}, expected ${plan.expected.sha256}`],
        plan.archive,
      );
    }
    if (destExists !== undefined) await rmdir(destDir);
    await rename(tmp, destDir);
    return { root: result.root, dir: destDir, files: result.files, size: reader.total, sha256 };
  } catch (error) {
    await reader.close();
    await rm(tmp, { recursive: true, force: true });
    // A tar-level error in a split archive is most likely a damaged volume: name it.
    if (
      plan.expected !== undefined &&
      error instanceof FerryError &&
      error.code !== 'ERR_FERRY_VOLUME_DAMAGED'
    ) {
      await checkAllVolumes(plan);
    }
    throw error;
  }
}

async function checkAllVolumes(plan: VolumePlan): Promise<void> {
  const problems: string[] = [];
  for (const [i, path] of plan.paths.entries()) {
    const expected = plan.expected!.volumes[i]!;
    const hash = createHash('sha256');
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(CHUNK);
      for (;;) {
        const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    const actual = hash.digest('hex');
    if (actual !== expected.sha256)
      problems.push(`${expected.name} has SHA-256 ${actual}, expected ${expected.sha256}`);
  }
  if (problems.length > 0) throw volumeDamaged(problems, plan.archive);
}

async function extractEntries(
  reader: VolumeReader,
  archive: string,
  into: string,
): Promise<{ root: string; files: string[] }> {
  let root: string | undefined;
  const files: string[] = [];
  const seen = new Set<string>();
  let pax = new Map<string, string>();
  for (;;) {
    const header = await reader.read(BLOCK);
    if (header.length < BLOCK)
      throw damaged(
        archive,
        'it ends in the middle (no end-of-archive marker); a volume may be missing',
      );
    if (header.every((b) => b === 0)) {
      const second = await reader.read(BLOCK);
      if (second.length < BLOCK || !second.every((b) => b === 0))
        throw damaged(archive, 'bad end-of-archive marker');
      break;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (readNumber(header.subarray(148, 156)) !== sum)
      throw damaged(archive, `a header checksum does not match at byte ${reader.total}`);
    const magic = header.subarray(257, 263).toString('latin1');
    if (magic !== 'ustar\0' && magic !== 'ustar ') throw damaged(archive, 'not a ustar archive');
    const type = String.fromCharCode(header[156]!);
    let size = readNumber(header.subarray(124, 136));
    if (size === undefined) throw damaged(archive, 'a header has an unreadable size');
    const name = cString(header.subarray(0, 100));
    const prefix = magic === 'ustar\0' ? cString(header.subarray(345, 500)) : '';
    let path = prefix === '' ? name : `${prefix}/${name}`;
    if (type === 'x' || type === 'g') {
      const data = await reader.read(size + padding(size));
      if (data.length < size + padding(size)) throw damaged(archive, 'it ends inside a pax header');
      let records: Map<string, string>;
      try {
        records = parsePax(data.subarray(0, size));
      } catch (error) {
        throw damaged(archive, (error as Error).message);
      }
      if (type === 'x') pax = records;
      continue;
    }
    path = pax.get('path') ?? path;
    const paxSize = pax.get('size');
    if (paxSize !== undefined) size = Number(paxSize);
    pax = new Map();
    if (!Number.isSafeInteger(size) || size < 0)
      throw damaged(archive, `"${path}" has an unreadable size`);
    if (type !== '0' && type !== '\0' && type !== '5') {
      const what =
        type === '1'
          ? 'a hard link'
          : type === '2'
            ? 'a symbolic link'
            : `an entry of type '${type}'`;
      throw unsafe(archive, path, `it is ${what}`);
    }
    if (type === '5' && size !== 0) throw damaged(archive, `the folder "${path}" has a size`);
    const clean = path.replace(/\/+$/, '');
    if (clean.startsWith('/')) throw unsafe(archive, path, 'it is an absolute path');
    const segments = clean.split('/');
    const top = segments[0]!;
    if (root === undefined) root = top;
    if (top !== root) throw unsafe(archive, path, `it lies outside the root folder "${root}"`);
    if (unsafePathReason(clean) !== undefined)
      throw unsafe(archive, path, unsafePathReason(clean)!);
    const rel = segments.slice(1).join('/');
    if (seen.has(clean)) throw unsafe(archive, path, 'it appears twice');
    seen.add(clean);
    const target = rel === '' ? into : join(into, rel);
    if (type === '5') {
      await mkdir(target, { recursive: true, mode: 0o755 });
      continue;
    }
    if (rel === '') throw unsafe(archive, path, 'a file cannot be the root folder');
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    const mode = ((readNumber(header.subarray(100, 108)) ?? 0) & 0o111) !== 0 ? 0o755 : 0o644;
    const handle = await open(target, 'wx', mode);
    try {
      let remaining = size;
      while (remaining > 0) {
        const piece = await reader.read(Math.min(CHUNK, remaining));
        if (piece.length === 0)
          throw damaged(archive, `it ends inside "${path}"; a volume may be missing`);
        await handle.write(piece);
        remaining -= piece.length;
      }
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
    const pad = padding(size);
    if ((await reader.read(pad)).length < pad) throw damaged(archive, `it ends inside "${path}"`);
    files.push(rel);
  }
  if (root === undefined) throw damaged(archive, 'it holds no files');
  return { root, files };
}
