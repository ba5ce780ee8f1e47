/**
 * What the index client hands the resolver: one distribution file on an index or find-links
 * page (DistFile) and a project's files from every source (ProjectPage); and where such a
 * file lives in the content-addressed cache, written only after its SHA-256 was checked.
 */
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { NormalizedName } from '../standards/name.js';
import { hashBytes, tryNormalizeDigest } from '../store/hash.js';
import { ContentStore } from '../store/store.js';
import type { IndexStrategy } from './index-config.js';

export interface DistFile {
  readonly filename: string;
  /** Absolute URL without credentials or fragment. */
  readonly url: string;
  /** Redacted URL of the index (or find-links location) it came from. */
  readonly index: string;
  /** Algorithm (lower case) → hex digest (lower case). */
  readonly hashes: Readonly<Record<string, string>>;
  readonly requiresPython?: string;
  /** PEP 592: false, or the reason ('' when none was given). */
  readonly yanked: false | string;
  readonly size?: number;
  readonly uploadTime?: string;
  /** PEP 658/714: false, or the hashes of the `.metadata` file ({} when offered without hashes). */
  readonly coreMetadata: false | Readonly<Record<string, string>>;
  /** The configured name of the index it came from ("default", "extra-1", a ferry.toml name); absent for find-links. */
  readonly indexName?: string;
  /**
   * Priority of its source, 0 = first index; find-links come after every index. Under
   * `unsafe-first-match` a resolver prefers a lower rank before a higher version.
   */
  readonly indexRank?: number;
}

export interface ProjectPage {
  readonly name: NormalizedName;
  /** Indexes first (in priority order), then find-links, each in page order. */
  readonly files: readonly DistFile[];
  /** Redacted URLs of the pages that answered, comma-separated. */
  readonly source: string;
  /** The strategy that chose these files (for unsafe-first-match, see DistFile.indexRank). */
  readonly strategy?: IndexStrategy;
  /**
   * Files the client's `wanted` filter set aside (wheels for platforms no target takes), by
   * file name only: nothing was built for them but the name, for "no compatible file" reports.
   */
  readonly otherFiles?: readonly string[];
}

/** `<cacheDir>/metadata/<sha256>`: metadata of the file with that SHA-256 (ContentStore.derivedPath). */
export function metadataCachePath(cacheDir: string, sha256: string): string | undefined {
  const sha = tryNormalizeDigest(sha256);
  return sha === undefined ? undefined : new ContentStore(cacheDir).derivedPath('metadata', sha);
}

/** The content-addressed cache path of a file (ContentStore.pathFor), or undefined for a bad digest. */
export function cachePath(cacheDir: string, sha256: string): string | undefined {
  const sha = tryNormalizeDigest(sha256);
  return sha === undefined ? undefined : new ContentStore(cacheDir).pathFor(sha);
}

/** Writes bytes into the content cache: a verified, atomic, read-only store write. */
export async function storeInCache(cacheDir: string, sha256: string, body: Buffer): Promise<void> {
  if (tryNormalizeDigest(sha256) === undefined) return;
  await new ContentStore(cacheDir).putBytes(body, sha256);
}

/**
 * Checks downloaded bytes against the SHA-256 the index promised (ERR_FERRY_HASH_MISMATCH
 * naming the file and the URL) and keeps them in the content cache when there is one. A cache
 * that cannot be written only means the file is downloaded again next time.
 */
export async function checkAndStore(
  body: Buffer,
  file: Pick<DistFile, 'filename' | 'url'>,
  expected: string | undefined,
  cacheDir: string | undefined,
): Promise<Buffer> {
  const actual = hashBytes(body);
  if (expected !== undefined && actual !== expected.toLowerCase()) {
    throw new FerryError(
      'ERR_FERRY_HASH_MISMATCH',
      `${file.filename} from ${redactUrl(file.url)} has SHA-256 ${actual}, the index promised ${expected}`,
      {
        hint: 'The mirror may be serving a corrupt or changed file; try again later or use another index.',
        details: { filename: file.filename, url: redactUrl(file.url), expected, actual },
      },
    );
  }
  if (cacheDir !== undefined) await storeInCache(cacheDir, actual, body).catch(() => {});
  return body;
}
