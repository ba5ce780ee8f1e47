/**
 * A content-addressed file cache: every file lives at `<dir>/sha256/ab/cdef…`, named by the
 * SHA-256 of its bytes, so a file that is in the cache is by construction the file the index
 * promised. Files enter only through `put` (after their hash was checked) by an atomic rename,
 * so a reader never sees a half-written entry, and they are made read-only because bundles
 * hard-link to them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { FERRY_ENV, readEnv } from '../core/env.js';
import { FerryError } from '../core/errors.js';

const SHA256_RE = /^[0-9a-f]{64}$/;

/** `$FERRY_CACHE_DIR`, else `$XDG_CACHE_HOME/ferry`, else `~/.cache/ferry`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = readEnv(FERRY_ENV.cacheDir, env);
  if (explicit !== undefined) return explicit;
  // XDG Base Directory spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = readEnv('XDG_CACHE_HOME', env);
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'ferry');
  return join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.cache', 'ferry');
}

/**
 * Checks and lower-cases a SHA-256 hex digest. A digest becomes part of a path, so anything
 * that is not exactly 64 hex digits is refused here, before it can name a file.
 */
export function normalizeSha256(sha256: string): string {
  const lower = sha256.toLowerCase();
  if (!SHA256_RE.test(lower)) {
    throw new FerryError('ERR_FERRY_INVALID_SHA256', `"${sha256}" is not a SHA-256 hex digest`, {
      hint: 'a SHA-256 digest is 64 hexadecimal characters; check the hash in the index or lock file',
    });
  }
  return lower;
}

/** SHA-256 (hex) and length of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export const tempSuffix = (): string =>
  `.ferry-tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

const errCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

export interface HasOptions {
  /** Re-hash the file (once per process and cache instance); a corrupt entry is removed. */
  readonly verify?: boolean;
}

export interface PutOptions {
  /** The caller already hashed `fromPath` (the downloader hashes while streaming). */
  readonly alreadyVerified?: boolean;
}

export class ContentCache {
  readonly dir: string;
  /** Entries whose bytes were re-hashed by this instance; verification is lazy and done once. */
  readonly #verified = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  pathFor(sha256: string): string {
    const sha = normalizeSha256(sha256);
    return join(this.dir, 'sha256', sha.slice(0, 2), sha.slice(2));
  }

  /** Where unfinished downloads are kept between runs (see download.ts). */
  get partialDir(): string {
    return join(this.dir, 'partial');
  }

  async has(sha256: string, options: HasOptions = {}): Promise<boolean> {
    const sha = normalizeSha256(sha256);
    const path = this.pathFor(sha);
    try {
      const info = await stat(path);
      if (!info.isFile() || info.size === 0) return false;
    } catch {
      return false;
    }
    if (options.verify !== true || this.#verified.has(sha)) return true;
    const actual = await hashFile(path);
    if (actual.sha256 !== sha) {
      // Damaged on disk (or edited through a hard link): drop it so it is fetched again.
      await removeQuietly(path);
      return false;
    }
    this.#verified.add(sha);
    return true;
  }

  /**
   * Moves `fromPath` into the cache under `sha256` (rename; a copy when it lies on another
   * file system) and returns the cache path. The file's hash is checked unless the caller
   * says it already did.
   */
  async put(sha256: string, fromPath: string, options: PutOptions = {}): Promise<string> {
    const sha = normalizeSha256(sha256);
    if (options.alreadyVerified !== true) {
      const actual = await hashFile(fromPath);
      if (actual.sha256 !== sha) {
        throw new FerryError(
          'ERR_FERRY_HASH_MISMATCH',
          `${fromPath} has SHA-256 ${actual.sha256}, expected ${sha}`,
          {
            hint: 'The file is not what its index page promised: download it again; if it differs again, the index or a proxy is serving altered bytes.',
            details: { path: fromPath, expected: sha, actual: actual.sha256 },
          },
        );
      }
    }
    const target = this.pathFor(sha);
    await mkdir(dirname(target), { recursive: true });
    if (process.platform !== 'win32') await chmod(fromPath, 0o444).catch(() => undefined);
    try {
      await rename(fromPath, target);
    } catch (error) {
      if (errCode(error) === 'EXDEV') {
        const tmp = target + tempSuffix();
        try {
          await copyFile(fromPath, tmp);
          await rename(tmp, target);
        } catch (copyError) {
          await removeQuietly(tmp);
          throw copyError;
        }
        await removeQuietly(fromPath);
      } else if (await this.has(sha)) {
        // Windows refuses to rename over an existing (read-only) file; the entry is already there.
        await removeQuietly(fromPath);
      } else {
        throw error;
      }
    }
    this.#verified.add(sha);
    return target;
  }

  /**
   * Makes `dest` hold the cached file: a hard link when the cache and `dest` share a file
   * system, else a copy. `dest` is replaced atomically (temp file + rename), so a reader
   * never sees it half-written.
   */
  async linkOrCopy(sha256: string, dest: string): Promise<void> {
    const source = this.pathFor(sha256);
    if (!(await this.has(sha256))) {
      throw new FerryError('ERR_FERRY_CACHE_MISS', `${sha256} is not in the cache at ${this.dir}`, {
        hint: `Something removed it from ${this.dir} during the run; run the command again to download it.`,
      });
    }
    await mkdir(dirname(dest), { recursive: true });
    const tmp = dest + tempSuffix();
    try {
      try {
        await link(source, tmp);
      } catch {
        // EXDEV (other file system), EPERM (no hard links there), ...: copy instead.
        await copyFile(source, tmp);
      }
      await rename(tmp, dest);
      // POSIX rename() is a no-op when both names already link to the same file: tidy up.
      await removeQuietly(tmp);
    } catch (error) {
      await removeQuietly(tmp);
      throw error;
    }
  }
}
