/**
 * An archive on disk: one NAME.ferry.tar, or volumes NAME.ferry.tar.001, .002, ... with an
 * optional NAME.ferry.tar.volumes.json (each volume's size and SHA-256, and the whole
 * archive's). Reading takes only regular files and never reads past the size a volume had
 * when it was opened (or the size volumes.json gives it), so a volume that is a link to
 * /dev/zero, a FIFO or a file that keeps growing cannot keep a reader busy for ever.
 */

import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AtomicFile, commitAll } from '../core/atomic-write.js';
import { FerryError, isFerryError } from '../core/errors.js';

export const VOLUMES_SUFFIX = '.volumes.json';
export const VOLUMES_FORMAT = 'ferry-volumes/1';
const CHUNK = 1 << 20;
/** A volumes.json lists a few hundred volumes at most; anything bigger is not one. */
const MAX_VOLUMES_JSON_BYTES = 1 << 20;

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

export interface VolumePlan {
  /** The archive's name (NAME.ferry.tar), for messages. */
  archive: string;
  /** The files to read, in order. */
  paths: string[];
  /** Each file's size when it was planned. */
  sizes: number[];
  /** Set for NAME.ferry.tar.NNN volumes (with or without volumes.json). */
  base?: string;
  expected?: VolumesFile;
}

export const volumeName = (base: string, index: number): string =>
  `${base}.${String(index).padStart(3, '0')}`;

export function volumeDamaged(problems: string[], archive: string): FerryError {
  return new FerryError(
    'ERR_FERRY_VOLUME_DAMAGED',
    `Damaged volume(s) of ${archive}: ${problems.join('; ')}`,
    {
      hint: 'Copy the named volume(s) again from the source media.',
      details: { problems },
    },
  );
}

export function volumeMissing(
  missing: string[],
  archive: string,
  dir: string,
  extra = '',
): FerryError {
  return new FerryError(
    'ERR_FERRY_VOLUME_MISSING',
    `${missing.map((m) => `${m} is missing`).join('; ')}${extra}`,
    {
      hint: `Copy every volume of ${archive} into ${dir} and try again.`,
      details: { missing },
    },
  );
}

function notRegular(path: string, what: string): FerryError {
  return new FerryError(
    'ERR_FERRY_UNSUPPORTED_FILE',
    `"${path}" is ${what}, not a regular file; an archive and its volumes must be plain files`,
    {
      hint: 'Copy the archive (or its volumes) onto a disk as plain files and give that path.',
    },
  );
}

function describeKind(st: {
  isDirectory(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Size of a regular file at `path` (links followed), undefined when there is nothing there. */
async function regularFileSize(path: string): Promise<number | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) return undefined;
  if (!st.isFile()) throw notRegular(path, describeKind(st));
  return st.size;
}

/**
 * Opens a regular file for reading without blocking on a FIFO (O_NONBLOCK) and checks, on the
 * opened file itself, that it is a regular file: a path swapped between a stat and the open
 * cannot slip a device in.
 */
export async function openRegular(path: string): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notRegular(path, describeKind(st));
    return { handle, size: st.size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** A regular file's text, refusing anything larger than `max` bytes. */
async function readSmallFile(path: string, max: number): Promise<string> {
  const { handle, size } = await openRegular(path);
  try {
    if (size > max)
      throw volumeDamaged(
        [`${basename(path)} is ${size} bytes, too large for a volume list`],
        basename(path),
      );
    const buf = Buffer.alloc(size);
    let have = 0;
    while (have < size) {
      const { bytesRead } = await handle.read(buf, have, size - have, have);
      if (bytesRead === 0) break;
      have += bytesRead;
    }
    return buf.subarray(0, have).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Which files make up the archive `input` names: the archive itself, or (given the first
 * volume, the base name or the volumes.json) its volumes in order. A volume missing from the
 * sequence is named (ERR_FERRY_VOLUME_MISSING), with or without volumes.json; so is a volume
 * whose size differs from what volumes.json records (ERR_FERRY_VOLUME_DAMAGED).
 */
export async function planVolumes(input: string): Promise<VolumePlan> {
  let base: string | undefined;
  if (input.endsWith(VOLUMES_SUFFIX)) base = input.slice(0, -VOLUMES_SUFFIX.length);
  else if (/\.\d{3}$/.test(input)) base = input.slice(0, -4);
  else {
    const size = await regularFileSize(input);
    if (size !== undefined) return { archive: basename(input), paths: [input], sizes: [size] };
    if (
      (await stat(`${input}${VOLUMES_SUFFIX}`).catch(() => undefined)) !== undefined ||
      (await stat(volumeName(input, 1)).catch(() => undefined)) !== undefined
    )
      base = input;
  }
  if (base === undefined) {
    throw new FerryError(
      'ERR_FERRY_ARCHIVE_NOT_FOUND',
      `"${input}" does not exist (nor ${basename(input)}.001 or ${basename(input)}${VOLUMES_SUFFIX})`,
      {
        hint: `Check the path; a split archive is named by its first volume (${basename(input)}.001) or its ${VOLUMES_SUFFIX}, with every volume in the same folder.`,
      },
    );
  }
  const jsonPath = `${base}${VOLUMES_SUFFIX}`;
  const dir = dirname(base);
  if ((await stat(jsonPath).catch(() => undefined)) !== undefined) {
    const expected = parseVolumesFile(
      await readSmallFile(jsonPath, MAX_VOLUMES_JSON_BYTES),
      jsonPath,
    );
    const paths = expected.volumes.map((v) => join(dir, v.name));
    const missing: string[] = [];
    const damaged: string[] = [];
    const sizes: number[] = [];
    for (const [i, path] of paths.entries()) {
      const size = await regularFileSize(path);
      sizes.push(size ?? 0);
      if (size === undefined) missing.push(basename(path));
      else if (size !== expected.volumes[i]!.size)
        damaged.push(`${basename(path)} is ${size} bytes, expected ${expected.volumes[i]!.size}`);
    }
    if (missing.length > 0)
      throw volumeMissing(
        missing,
        expected.archive,
        dir,
        ` (${paths.length} volumes in ${basename(jsonPath)})`,
      );
    if (damaged.length > 0) throw volumeDamaged(damaged, expected.archive);
    return { archive: expected.archive, paths, sizes, base, expected };
  }
  // No volumes.json: every NAME.NNN beside it, in order. A gap in the numbers is a missing
  // volume, named as such; a missing last volume shows as an archive that ends too early.
  const prefix = `${basename(base)}.`;
  const numbers = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.startsWith(prefix) && /^\d{3,}$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .filter((n) => n >= 1 && Number.isSafeInteger(n))
    .sort((a, b) => a - b);
  const present = new Set(numbers);
  const last = numbers[numbers.length - 1] ?? 0;
  const missing: string[] = [];
  for (let i = 1; i <= Math.max(last, 1); i++)
    if (!present.has(i)) missing.push(basename(volumeName(base, i)));
  if (missing.length > 0) {
    throw volumeMissing(
      missing,
      basename(base),
      dir,
      last > 0 ? ` (volumes up to ${basename(volumeName(base, last))} are present)` : '',
    );
  }
  const paths: string[] = [];
  const sizes: number[] = [];
  for (let i = 1; i <= last; i++) {
    const path = volumeName(base, i);
    paths.push(path);
    sizes.push((await regularFileSize(path)) ?? 0);
  }
  return { archive: basename(base), paths, sizes, base };
}

export function parseVolumesFile(text: string, source = VOLUMES_SUFFIX): VolumesFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_VOLUME_DAMAGED',
      `${source} is not valid JSON: ${(error as Error).message}`,
      {
        hint: `Copy ${source} again from the media it came on, or rewrite it with ferry pack --split.`,
      },
    );
  }
  const v = value as Partial<VolumesFile>;
  const okVolume = (x: unknown): x is VolumeInfo => {
    const e = x as VolumeInfo;
    return (
      typeof e?.name === 'string' &&
      /^[^/\\\0]+\.\d{3,}$/.test(e.name) &&
      Number.isSafeInteger(e.size) &&
      e.size >= 0 &&
      typeof e.sha256 === 'string' &&
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
      {
        hint: `Copy ${source} again from the media it came on, or rewrite it with ferry pack --split.`,
      },
    );
  }
  return v as VolumesFile;
}

/**
 * Reads the volumes in order as one stream, checking each volume's hash at its end (when
 * volumes.json gives them). Every read is bounded by the volume's planned size.
 */
export class VolumeReader {
  private index = 0;
  private handle: FileHandle | undefined;
  private left = 0;
  private volumeHash: Hash | undefined;
  readonly whole = createHash('sha256');
  /** Bytes read from the files so far. */
  total = 0;
  /** Bytes handed out by read() so far: the archive offset of the next byte. */
  offset = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** Where each opened volume starts in the archive. */
  private readonly starts: number[] = [];

  constructor(private readonly plan: VolumePlan) {}

  /** "byte N" in the archive, with the volume and the byte in it when there are volumes. */
  describeOffset(at: number): string {
    if (this.plan.base === undefined) return `byte ${at}`;
    let i = 0;
    while (i + 1 < this.starts.length && this.starts[i + 1]! <= at) i++;
    const start = this.starts[i] ?? 0;
    return `byte ${at} (byte ${at - start} of ${basename(this.plan.paths[i] ?? '')})`;
  }

  /** Next raw chunk, or undefined at the end of the last volume. */
  private async nextChunk(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.handle === undefined) {
        if (this.index >= this.plan.paths.length) return undefined;
        const path = this.plan.paths[this.index]!;
        const opened = await openRegular(path).catch((error: NodeJS.ErrnoException) => {
          // Removed since the plan was made (a medium pulled out, a copy still running).
          if (error.code === 'ENOENT')
            throw volumeMissing([basename(path)], this.plan.archive, dirname(path));
          throw error;
        });
        this.handle = opened.handle;
        // Never more than planned: volumes.json's size, else the size seen when planning.
        this.left = this.plan.expected?.volumes[this.index]?.size ?? this.plan.sizes[this.index]!;
        this.volumeHash = createHash('sha256');
        this.starts.push(this.total);
      }
      const want = Math.min(CHUNK, this.left);
      const buf = Buffer.alloc(want);
      const { bytesRead } =
        want === 0 ? { bytesRead: 0 } : await this.handle.read(buf, 0, want, null);
      if (bytesRead > 0) {
        const chunk = buf.subarray(0, bytesRead);
        this.volumeHash!.update(chunk);
        this.whole.update(chunk);
        this.total += bytesRead;
        this.left -= bytesRead;
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
    const taken = Math.min(n, all.length);
    this.pending = all.subarray(taken);
    this.offset += taken;
    return all.subarray(0, taken);
  }

  async drain(): Promise<void> {
    this.offset += this.pending.length;
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

/** Hashes every volume again and names those that differ from volumes.json. */
export async function checkAllVolumes(plan: VolumePlan): Promise<void> {
  if (plan.expected === undefined) return;
  const problems: string[] = [];
  for (const [i, path] of plan.paths.entries()) {
    const expected = plan.expected.volumes[i]!;
    const hash = createHash('sha256');
    const { handle } = await openRegular(path);
    try {
      const buf = Buffer.alloc(CHUNK);
      let left = expected.size;
      while (left > 0) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK, left), null);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        left -= bytesRead;
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

/**
 * Writes bytes across volumes of at most `limit` bytes, hashing each and the whole. Each volume
 * is an AtomicFile (a temporary name beside it, flushed); `commit` renames them all or none.
 */
export class VolumeWriter {
  private file: AtomicFile | undefined;
  private written = 0;
  private volumeHash: Hash | undefined;
  private readonly whole = createHash('sha256');
  readonly volumes: (VolumeInfo & { file: AtomicFile; path: string })[] = [];
  total = 0;

  constructor(
    private readonly outFile: string,
    private readonly limit: number | undefined,
  ) {}

  private volumePath(index: number): string {
    return this.limit === undefined ? this.outFile : volumeName(this.outFile, index);
  }

  private async openNext(): Promise<void> {
    await this.closeCurrent();
    const path = this.volumePath(this.volumes.length + 1);
    const file = await AtomicFile.open(path, { mode: 0o644 });
    this.volumes.push({ name: basename(path), path, file, size: 0, sha256: '' });
    this.file = file;
    this.volumeHash = createHash('sha256');
    this.written = 0;
  }

  private async closeCurrent(): Promise<void> {
    if (this.file === undefined) return;
    await this.file.close();
    const current = this.volumes[this.volumes.length - 1]!;
    current.size = this.written;
    current.sha256 = this.volumeHash!.digest('hex');
    this.file = undefined;
  }

  /** An error writing a volume, as a FerryError that names the file and the cause. */
  private failed(error: unknown, path?: string): unknown {
    if (isFerryError(error)) return error;
    const current = path ?? this.volumes[this.volumes.length - 1]?.path ?? this.outFile;
    const e = error as NodeJS.ErrnoException;
    return new FerryError(
      'ERR_FERRY_DESTINATION',
      `Cannot write the archive "${current}": ${e.code !== undefined && !e.message.startsWith(e.code) ? `${e.code} ` : ''}${e.message}`,
      {
        hint:
          e.code === 'ENOSPC'
            ? 'Make room on the disk, or write the archive elsewhere.'
            : 'Choose another -o path.',
        cause: error,
      },
    );
  }

  async write(data: Buffer): Promise<void> {
    try {
      await this.writeAll(data);
    } catch (error) {
      throw this.failed(error);
    }
  }

  private async writeAll(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      if (this.file === undefined || (this.limit !== undefined && this.written >= this.limit))
        await this.openNext();
      const room =
        this.limit === undefined
          ? data.length - offset
          : Math.min(this.limit - this.written, data.length - offset);
      const piece = data.subarray(offset, offset + room);
      await this.file!.write(piece);
      this.volumeHash!.update(piece);
      this.whole.update(piece);
      this.written += piece.length;
      this.total += piece.length;
      offset += room;
    }
  }

  async finish(): Promise<{ sha256: string }> {
    try {
      await this.closeCurrent();
    } catch (error) {
      throw this.failed(error);
    }
    return { sha256: this.whole.digest('hex') };
  }

  /**
   * Renames every finished volume into place. Each destination is checked first (a folder or
   * a device there is named before any volume moves); should a rename still fail, the volumes
   * already moved are removed, so no partial set is left.
   */
  async commit(): Promise<void> {
    for (const v of this.volumes) {
      const st = await stat(v.path).catch(() => undefined);
      if (st !== undefined && !st.isFile())
        throw this.failed(
          new Error(`it exists and is ${describeKind(st)}, not a regular file`),
          v.path,
        );
    }
    try {
      await commitAll(this.volumes.map((v) => v.file));
    } catch (error) {
      // rename() names its destination: the volume that could not be put in place.
      throw this.failed(error, (error as { dest?: string }).dest);
    }
  }

  async abort(): Promise<void> {
    for (const v of this.volumes) await v.file.abort();
    this.file = undefined;
  }
}
