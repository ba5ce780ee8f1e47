/**
 * The project pages a resolution asked for, remembered per question, so that the same question
 * asked again fetches all of them at once instead of round by round.
 *
 * A resolver learns which pages it needs only from the metadata of the versions it picked, so a
 * cold run fetches pages in rounds that follow the depth of the graph (paddlepaddle → its nine
 * dependencies → theirs → …), each round waiting on the network. An index that sends no
 * `Cache-Control`, `ETag` or `Last-Modified` (page-cache.ts) leaves nothing to reuse, so every
 * warm run paid the same rounds again. Knowing last run's pages, the client starts them all
 * together (up to its concurrency) and the resolver finds each one already on its way. A page
 * remembered but no longer needed costs one request; a page needed but not remembered is
 * fetched as before; so a stale entry can cost time, never correctness.
 *
 * An entry is `<cacheDir>/prefetch/<sha256 of the question>.json`: the normalized names only
 * (no URLs, so no credentials). The question is whatever decides which pages are asked for:
 * the requirements and constraints, the targets and the index configuration.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';

/** A digest of what decides which pages a resolution asks for; undefined when it cannot be written out. */
export function prefetchKey(question: unknown): string | undefined {
  try {
    return createHash('sha256')
      .update(JSON.stringify(question) ?? '')
      .digest('hex');
  } catch {
    return undefined;
  }
}

const pathOf = (cacheDir: string, key: string): string => join(cacheDir, 'prefetch', `${key}.json`);

/** The names remembered for `key`; none when there is no entry or it cannot be read. */
export async function readPrefetchNames(cacheDir: string, key: string): Promise<string[]> {
  try {
    const names: unknown = JSON.parse(await readFile(pathOf(cacheDir, key), 'utf8'));
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/** Remembers `names` for `key` (sorted, so identical runs write identical entries). */
export async function writePrefetchNames(
  cacheDir: string,
  key: string,
  names: readonly string[],
): Promise<void> {
  const path = pathOf(cacheDir, key);
  const text = JSON.stringify([...new Set(names)].sort());
  try {
    if ((await readFile(path, 'utf8').catch(() => undefined)) === text) return;
    await mkdir(join(path, '..'), { recursive: true });
    await writeFileAtomic(path, text, { sync: false });
  } catch {
    // An entry that cannot be written only costs the next run its rounds.
  }
}
