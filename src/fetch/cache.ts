/**
 * The download cache: a content-addressed store (src/store/) at `<dir>/sha256/ab/cdef…`, so a
 * file that is in the cache is by construction the file the index promised. Files enter only
 * through `put` (after their hash was checked) by an atomic rename, so a reader never sees a
 * half-written entry, and they are made read-only because bundles hard-link to them. This
 * class keeps the cache's API for the downloader and the bundle writer; the work is the store's.
 */
import { join } from 'node:path';
import { hashFileWithSize, normalizeDigest } from '../store/hash.js';
import { ContentStore, type HasOptions, type PutFileOptions } from '../store/store.js';

export { defaultCacheDir } from '../store/cache-dir.js';

/**
 * Checks and lower-cases a SHA-256 hex digest. A digest becomes part of a path, so anything
 * that is not exactly 64 hex digits is refused here, before it can name a file.
 */
export const normalizeSha256 = (sha256: string): string => normalizeDigest(sha256, 'sha256');

/** SHA-256 (hex) and length of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const { digest, size } = await hashFileWithSize(path, 'sha256');
  return { sha256: digest, size };
}

export type { HasOptions };
export type PutOptions = PutFileOptions;

export class ContentCache {
  readonly dir: string;
  readonly store: ContentStore;

  constructor(dir: string) {
    this.dir = dir;
    this.store = new ContentStore(dir);
  }

  pathFor(sha256: string): string {
    return this.store.pathFor(sha256);
  }

  /** Where unfinished downloads are kept between runs (see download.ts). */
  get partialDir(): string {
    return join(this.dir, 'partial');
  }

  /**
   * Whether the entry is there; with `verify`, that its bytes match (hashed once, then trusted
   * while the file is unchanged); a damaged entry is removed.
   */
  has(sha256: string, options: HasOptions = {}): Promise<boolean> {
    return this.store.has(sha256, options);
  }

  /**
   * Moves `fromPath` into the cache under `sha256` (rename; a copy when it lies on another
   * file system) and returns the cache path. The file's hash is checked unless the caller
   * says it already did.
   */
  put(sha256: string, fromPath: string, options: PutOptions = {}): Promise<string> {
    return this.store.putFile(sha256, fromPath, options);
  }

  /**
   * Makes `dest` hold the cached file: a hard link when the cache and `dest` share a file
   * system, else a clone or a copy. `dest` is replaced atomically (temp file + rename), so a
   * reader never sees it half-written. The entry is checked against the store's verified
   * record first (a few stats when it is unchanged, a re-hash when it is not), so the caller may
   * take `dest`'s digest as `sha256` without hashing it (the bundle's SHA256SUMS does).
   */
  async linkOrCopy(sha256: string, dest: string): Promise<void> {
    await this.store.linkTo(sha256, dest, { verify: true });
  }
}
