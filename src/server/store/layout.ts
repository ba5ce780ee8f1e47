/**
 * Where everything lives in a store folder, and the one place a URL path or a name becomes a
 * file system path. docs/index-server.md draws the layout:
 *
 *   store.json  tokens.json  audit.log  .lock
 *   objects/sha256/ab/cdef…          the ContentStore (wheels, sdists, .metadata, SBOMs)
 *   files/ab/<sha256>/<filename>     hard links into objects/ (URL /files/… maps 1:1 here)
 *   bundles/<digest>/                SHA256SUMS, manifest.json, signatures/ of imported bundles
 *   generations/<N>/catalog.json     the data behind the pages
 *   generations/<N>/<index>/simple/[<project>/]index.html|index.json
 *   current -> generations/<N>       replaced by rename(2)
 *
 * Names are checked before they touch a path: an index name, a normalized project name, a
 * digest and a distribution file name each have a strict form, so nothing from a bundle, an
 * upload or a URL can reach outside the store.
 */
import { join } from 'node:path';
import { FerryError } from '../../core/errors.js';

export const STORE_FILES = {
  config: 'store.json',
  tokens: 'tokens.json',
  audit: 'audit.log',
  lock: '.lock',
  objects: 'objects',
  files: 'files',
  bundles: 'bundles',
  generations: 'generations',
  current: 'current',
  catalog: 'catalog.json',
} as const;

/** Index names: one lower-case path segment that cannot collide with the other URL roots. */
const INDEX_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const RESERVED_INDEX_NAMES = new Set(['files', 'ui', 'generations', 'bundles', 'simple']);
/** A PEP 503 normalized name: lower-case letters, digits and single dashes. */
const NORMALIZED = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** A distribution (or SBOM) file name: one segment, no dot-files, no control characters. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+!~-]{0,254}$/;

export const isIndexName = (name: string): boolean =>
  INDEX_NAME.test(name) && !RESERVED_INDEX_NAMES.has(name);
export const isNormalizedName = (name: string): boolean => NORMALIZED.test(name);
export const isSha256 = (text: string): boolean => SHA256.test(text);
export const isStoreFileName = (name: string): boolean =>
  FILE_NAME.test(name) && !name.includes('..');

export function assertIndexName(name: string): void {
  if (!isIndexName(name))
    throw new FerryError('ERR_FERRY_UNKNOWN_INDEX', `"${name}" cannot name an index`, {
      hint: `An index name is lower-case letters, digits, ".", "_" and "-" (not ${[...RESERVED_INDEX_NAMES].join(', ')}).`,
    });
}

/** `files/ab/<sha256>/<filename>`: the URL path (without the leading "/") and the store path. */
export function fileUrl(sha256: string, filename: string): string {
  if (!isSha256(sha256) || !isStoreFileName(filename))
    throw new FerryError(
      'ERR_FERRY_UNSAFE_FILENAME',
      `"${filename}" (${sha256}) cannot name a file`,
      {
        hint: 'A file name is one path segment of letters, digits and . _ + ! ~ -, not starting with a dot.',
      },
    );
  return `${STORE_FILES.files}/${sha256.slice(0, 2)}/${sha256}/${filename}`;
}

/** The PEP 658 metadata file beside a distribution. */
export const metadataUrl = (url: string): string => `${url}.metadata`;

export const generationDir = (store: string, generation: number): string =>
  join(store, STORE_FILES.generations, String(generation));

/**
 * '/files/ab/<sha256>/<filename>' (percent-encoded or not) → `<store>/files/…`, or undefined
 * for anything else: other roots, a wrong prefix, '..', encoded slashes or NUL, dot-files.
 */
export function filePathIn(store: string, urlPath: string): string | undefined {
  const bare = urlPath.split(/[?#]/, 1)[0] ?? '';
  const parts = bare.split('/');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== STORE_FILES.files) return undefined;
  const [, , prefix, sha, encoded] = parts as [string, string, string, string, string];
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  if (!isSha256(sha) || sha.slice(0, 2) !== prefix) return undefined;
  // The .metadata companion is a file name too; the same rule covers it.
  if (!isStoreFileName(name)) return undefined;
  return join(store, STORE_FILES.files, prefix, sha, name);
}
