/**
 * Names above the store: a name (a file name on an index, a project) maps to the digest of
 * the bytes it stands for. The bytes live once in the ContentStore however many names point
 * at them; changing what a name means is one atomic write of a small file, never a rewrite of
 * the bytes. Names are escaped into one path segment, so no name can reach outside `dir`.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { tryNormalizeDigest } from './hash.js';

/** A name as one safe file name: percent-encoded, with "." and ".." encoded too. */
const fileNameOf = (name: string): string =>
  encodeURIComponent(name).replace(/\./g, '%2E').replace(/\*/g, '%2A');

export class RefStore {
  constructor(readonly dir: string) {}

  /** The digest `name` points at, or undefined. */
  async get(name: string): Promise<string | undefined> {
    const text = await readFile(join(this.dir, fileNameOf(name)), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : tryNormalizeDigest(text.trim());
  }

  /** Points `name` at `digest` (atomically: a reader sees the old digest or the new one). */
  async set(name: string, digest: string): Promise<void> {
    const sha = tryNormalizeDigest(digest);
    if (sha === undefined) throw new TypeError(`"${digest}" is not a hex digest`);
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, fileNameOf(name)), `${sha}\n`);
  }

  async delete(name: string): Promise<void> {
    await rm(join(this.dir, fileNameOf(name)), { force: true });
  }
}
