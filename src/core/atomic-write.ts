/**
 * Writing a file whole or not at all: the bytes go to a temporary file in the same folder
 * (`.NAME.ferry-tmp-PID-RANDOM`, so a rename never crosses file systems), are flushed to disk,
 * and the file is renamed over NAME; the folder is flushed after, so after a crash NAME holds
 * the old bytes or the new ones, never a torn or empty file. A failure removes the temporary
 * file. This is the one implementation of "temp file + rename" in ferry: src/store/ offers it
 * to the layers above, and src/archive/ (beside store/, so it cannot import it) uses it here.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of the new file, set exactly (no umask). Default: 0o666 less the umask. */
  readonly mode?: number;
  /**
   * Flush the file before the rename and its folder after (default true). A cache that can be
   * refilled passes false: a lost entry is fetched again.
   */
  readonly sync?: boolean;
}

/** A temporary name beside `path`, unique to this process and call. */
export const tempPathFor = (path: string): string =>
  join(
    dirname(path),
    `.${basename(path)}.ferry-tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );

/** Flushes a folder's entries (a rename into it) to disk; not every platform can. */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a folder; some file systems refuse fsync on one: nothing to do.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * A file being written under a temporary name. `write` any number of times, then `commit`
 * (rename into place) or `abort` (remove it). `close` ends writing without renaming, for a
 * set of files renamed together by `commitAll`.
 */
export class AtomicFile {
  #handle: FileHandle | undefined;
  #size = 0;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    handle: FileHandle,
    readonly options: AtomicWriteOptions,
  ) {
    this.#handle = handle;
  }

  /** Creates the temporary file (exclusively: never through a link left at that name). */
  static async open(path: string, options: AtomicWriteOptions = {}): Promise<AtomicFile> {
    const tempPath = tempPathFor(path);
    const handle = await open(tempPath, 'wx', options.mode ?? 0o666);
    const file = new AtomicFile(path, tempPath, handle, options);
    if (options.mode !== undefined) {
      try {
        await handle.chmod(options.mode);
      } catch (error) {
        await file.abort();
        throw error;
      }
    }
    return file;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (this.#handle === undefined) throw new Error(`${this.tempPath} is already closed`);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.#handle.writeFile(bytes);
    this.#size += bytes.length;
  }

  /** Flushes and closes the temporary file; the name is not touched yet. */
  async close(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    try {
      if (this.options.sync !== false) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Closes and renames the file into place. */
  async commit(): Promise<void> {
    await this.close();
    await rename(this.tempPath, this.path);
    if (this.options.sync !== false) await syncDir(dirname(this.path));
  }

  /** Closes and removes the temporary file; never throws. */
  async abort(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}

/** Writes `data` to `path` whole or not at all (see the top of this file). */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const file = await AtomicFile.open(path, options);
  try {
    await file.write(data);
    await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  }
}

/**
 * Renames a set of written files into place, in order. Should one rename fail, the files
 * already renamed are removed and every temporary file is removed, so no partial set is left
 * (a secret key without its public half, volumes without the last one).
 */
export async function commitAll(files: readonly AtomicFile[]): Promise<void> {
  const moved: string[] = [];
  try {
    for (const file of files) await file.close();
    for (const file of files) {
      await rename(file.tempPath, file.path);
      moved.push(file.path);
    }
  } catch (error) {
    for (const path of moved) await rm(path, { force: true }).catch(() => undefined);
    for (const file of files) await file.abort();
    throw error;
  }
  const dirs = new Set(files.map((f) => dirname(f.path)));
  if (files.some((f) => f.options.sync !== false)) for (const dir of dirs) await syncDir(dir);
}

/**
 * Puts the finished folder `staging` at `dest`. An existing `dest` is first renamed to
 * `DEST.ferry-old-PID` and removed only once `staging` is in place, so there is always a whole
 * folder at one of the two names (a killed run's `.ferry-old-PID` is swept by the next run).
 */
export async function replaceDirAtomic(staging: string, dest: string): Promise<void> {
  const old = `${dest}.ferry-old-${process.pid}`;
  const exists = await stat(dest).then(
    () => true,
    () => false,
  );
  if (exists) await rename(dest, old);
  try {
    await rename(staging, dest);
  } catch (error) {
    if (exists) await rename(old, dest).catch(() => undefined);
    throw error;
  }
  await syncDir(dirname(dest));
  if (exists) await rm(old, { recursive: true, force: true });
}
