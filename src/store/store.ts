/**
 * The content-addressed store: every file lives at `<dir>/<algorithm>/ab/cdef…`, named by the
 * digest of its bytes, so a file that is in the store is by construction the file that was
 * promised. Files enter only through verified writes (the bytes are hashed on the way in, a
 * mismatch leaves nothing behind) and an atomic rename in the entry's own folder; entries are
 * read-only because bundles hard-link to them. Writers of one key are serialized by a lock file.
 *
 * The store knows digests only. Names (a wheel's filename on an index, a project's page) are a
 * separate layer above it that maps a name to a digest (refs.ts), so an index server can keep
 * its files here exactly as the download cache does. Data derived from an entry (the core
 * metadata read from a wheel) is kept beside it under `<dir>/<kind>/<digest>`.
 */
import { chmod, copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AtomicFile, writeFileAtomic } from '../core/atomic-write.js';
import { FerryError } from '../core/errors.js';
import { type DigestAlgorithm, hashBytes, hashFileWithSize, normalizeDigest } from './hash.js';
import { type LinkedBy, linkOrCopy } from './link.js';
import { type LockOptions, withFileLock } from './lock.js';
import { VerifiedRecord } from './verified.js';

/** Folders of derived entries this process has made (or found): see writeDerived. */
const madeFolders = new Set<string>();

/** `<dir>/<algorithm>/ab/cdef…` for a normalized digest. */
export const entryPath = (dir: string, digest: string, algorithm: DigestAlgorithm = 'sha256') =>
  join(dir, algorithm, digest.slice(0, 2), digest.slice(2));

/** The integrity error for bytes that are not what was promised. */
export function digestMismatch(
  what: string,
  expected: string,
  actual: string,
  algorithm: DigestAlgorithm = 'sha256',
): FerryError {
  const name = algorithm === 'sha256' ? 'SHA-256' : 'SM3';
  return new FerryError(
    'ERR_FERRY_HASH_MISMATCH',
    `${what} has ${name} ${actual}, expected ${expected}`,
    {
      hint: 'The file is not what its index page promised: download it again; if it differs again, the index or a proxy is serving altered bytes.',
      details: { path: what, expected, actual },
    },
  );
}

const errCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;

export interface StoreOptions {
  readonly algorithm?: DigestAlgorithm;
  readonly lock?: LockOptions;
}

export interface HasOptions {
  /**
   * Make sure the bytes match the digest: hashed once, then trusted while the file stays as
   * it was (verified.ts); a damaged entry is removed.
   */
  readonly verify?: boolean;
}

export interface PutFileOptions {
  /** The caller already hashed `fromPath` (a downloader hashes while streaming). */
  readonly alreadyVerified?: boolean;
}

export class ContentStore {
  readonly dir: string;
  readonly algorithm: DigestAlgorithm;
  readonly verified: VerifiedRecord;
  readonly #lock: LockOptions;

  constructor(dir: string, options: StoreOptions = {}) {
    this.dir = dir;
    this.algorithm = options.algorithm ?? 'sha256';
    this.verified = new VerifiedRecord(join(dir, 'verified', this.algorithm));
    this.#lock = options.lock ?? {};
  }

  /** Where the entry for `digest` lives (present or not); refuses anything not a digest. */
  pathFor(digest: string): string {
    return entryPath(this.dir, normalizeDigest(digest, this.algorithm), this.algorithm);
  }

  /** Where data derived from the entry `digest` is kept: `<dir>/<kind>/<digest>`. */
  derivedPath(kind: string, digest: string): string {
    return join(this.dir, kind, normalizeDigest(digest, this.algorithm));
  }

  /** Whether the store holds `digest` (a non-empty regular file; with `verify`, the right bytes). */
  async has(digest: string, options: HasOptions = {}): Promise<boolean> {
    const sha = normalizeDigest(digest, this.algorithm);
    const path = entryPath(this.dir, sha, this.algorithm);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile() || info.size === 0) return false;
    if (options.verify !== true || (await this.verified.isVerified(path, sha))) return true;
    const actual = await hashFileWithSize(path, this.algorithm);
    if (actual.digest !== sha) {
      // Damaged on disk (or edited through a hard link): drop it so it is fetched again.
      await rm(path, { force: true });
      await this.verified.forget(sha);
      return false;
    }
    await this.verified.markVerified(path, sha).catch(() => undefined);
    return true;
  }

  /** Runs `task` as the only writer of `digest` in this store (across processes). */
  async withLock<T>(digest: string, task: () => Promise<T>): Promise<T> {
    const sha = normalizeDigest(digest, this.algorithm);
    const locks = join(this.dir, 'locks');
    await mkdir(locks, { recursive: true });
    return withFileLock(join(locks, `${this.algorithm}-${sha}.lock`), task, this.#lock);
  }

  /**
   * Verified write of bytes: written to a temporary file in the entry's folder, hashed, made
   * read-only, flushed and renamed into place. With `expected`, a mismatch removes the
   * temporary file and throws ERR_FERRY_HASH_MISMATCH naming `what`. Returns the digest and path.
   */
  async putBytes(
    bytes: Uint8Array,
    expected?: string,
    what = 'the data',
  ): Promise<{ digest: string; path: string }> {
    const actual = hashBytes(bytes, this.algorithm);
    if (expected !== undefined && actual !== normalizeDigest(expected, this.algorithm))
      throw digestMismatch(what, expected.toLowerCase(), actual, this.algorithm);
    const path = entryPath(this.dir, actual, this.algorithm);
    await mkdir(dirname(path), { recursive: true });
    await this.withLock(actual, async () => {
      if (await this.has(actual)) return;
      await writeFileAtomic(path, bytes, { mode: 0o444 });
    });
    await this.verified.markVerified(path, actual).catch(() => undefined);
    return { digest: actual, path };
  }

  /**
   * Moves the file `fromPath` into the store under `digest` (a rename; a copy through a
   * temporary file when it lies on another file system) and returns the entry's path. The
   * file is hashed first unless the caller already did; a mismatch throws
   * ERR_FERRY_HASH_MISMATCH and leaves the store as it was.
   */
  async putFile(digest: string, fromPath: string, options: PutFileOptions = {}): Promise<string> {
    const sha = normalizeDigest(digest, this.algorithm);
    if (options.alreadyVerified !== true) {
      const actual = await hashFileWithSize(fromPath, this.algorithm);
      if (actual.digest !== sha) throw digestMismatch(fromPath, sha, actual.digest, this.algorithm);
    }
    const target = entryPath(this.dir, sha, this.algorithm);
    await mkdir(dirname(target), { recursive: true });
    if (process.platform !== 'win32') await chmod(fromPath, 0o444).catch(() => undefined);
    await this.withLock(sha, async () => {
      try {
        await rename(fromPath, target);
      } catch (error) {
        if (errCode(error) === 'EXDEV') {
          const file = await AtomicFile.open(target, { mode: 0o444 });
          try {
            await file.close();
            await copyFile(fromPath, file.tempPath);
            await chmod(file.tempPath, 0o444);
            await file.commit();
          } catch (copyError) {
            await file.abort();
            throw copyError;
          }
          await rm(fromPath, { force: true });
        } else if (await this.has(sha)) {
          // Windows refuses to rename over an existing (read-only) file; the entry is there.
          await rm(fromPath, { force: true });
        } else {
          throw error;
        }
      }
    });
    await this.verified.markVerified(target, sha).catch(() => undefined);
    return target;
  }

  /** The entry's bytes, or undefined when it is absent (or, with `verify`, damaged). */
  async read(digest: string, options: HasOptions = {}): Promise<Buffer | undefined> {
    if (!(await this.has(digest, options))) return undefined;
    return readFile(this.pathFor(digest)).catch(() => undefined);
  }

  /**
   * Makes `dest` hold the entry: a hard link, else a clone or copy (link.ts), replacing `dest`
   * atomically. Throws ERR_FERRY_CACHE_MISS when the store does not hold it.
   */
  async linkTo(digest: string, dest: string, options: HasOptions = {}): Promise<LinkedBy> {
    if (!(await this.has(digest, options))) {
      throw new FerryError('ERR_FERRY_CACHE_MISS', `${digest} is not in the cache at ${this.dir}`, {
        hint: `Something removed it from ${this.dir} during the run; run the command again to download it.`,
      });
    }
    await mkdir(dirname(dest), { recursive: true });
    return linkOrCopy(this.pathFor(digest), dest);
  }

  /** Derived data of the entry `digest` (text), or undefined. */
  async readDerived(kind: string, digest: string): Promise<string | undefined> {
    return readFile(this.derivedPath(kind, digest), 'utf8').catch(() => undefined);
  }

  /** Keeps derived data of the entry `digest`; atomic, not flushed (it can be derived again). */
  async writeDerived(kind: string, digest: string, data: string | Uint8Array): Promise<void> {
    const path = this.derivedPath(kind, digest);
    const folder = dirname(path);
    // One mkdir per folder and process: a cold lock writes hundreds of entries into a few.
    // A folder removed since (a cache cleaned meanwhile) is made again.
    for (let attempt = 0; ; attempt++) {
      if (!madeFolders.has(folder)) {
        await mkdir(folder, { recursive: true });
        madeFolders.add(folder);
      }
      try {
        await writeFileAtomic(path, data, { sync: false });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw error;
        madeFolders.delete(folder);
      }
    }
  }
}
