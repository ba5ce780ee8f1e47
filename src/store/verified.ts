/**
 * What the store has already verified: for each digest, the size, modification time (ns),
 * inode and device of the file whose bytes were hashed and found to match. A later check that
 * finds the same four facts skips re-hashing (a warm run reads nothing); any write to the file
 * changes its mtime or size, a replaced file has another inode, so a changed file is hashed
 * again. The change time is left out on purpose: hard-linking an entry into a bundle changes
 * it without touching the bytes. Records are tiny files `<dir>/<digest>`, written atomically.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';

async function fingerprint(path: string): Promise<string | undefined> {
  const info = await stat(path, { bigint: true }).catch(() => undefined);
  if (info === undefined || !info.isFile()) return undefined;
  return `${info.size} ${info.mtimeNs} ${info.ino} ${info.dev}`;
}

export class VerifiedRecord {
  constructor(readonly dir: string) {}

  #recordPath(digest: string): string {
    return join(this.dir, digest);
  }

  /** Whether `path` is, unchanged, the file that was verified to have `digest`. */
  async isVerified(path: string, digest: string): Promise<boolean> {
    const [now, then] = await Promise.all([
      fingerprint(path),
      readFile(this.#recordPath(digest), 'utf8').catch(() => undefined),
    ]);
    return now !== undefined && then !== undefined && then.trim() === now;
  }

  /** Records that `path`, as it is now, has `digest` (the caller has just hashed it). */
  async markVerified(path: string, digest: string): Promise<void> {
    const now = await fingerprint(path);
    if (now === undefined) return;
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.#recordPath(digest), `${now}\n`, { sync: false });
  }

  async forget(digest: string): Promise<void> {
    await rm(this.#recordPath(digest), { force: true });
  }
}
