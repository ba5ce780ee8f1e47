/**
 * SHA256SUMS in the format coreutils' `sha256sum -c` reads: "<64 hex>  <path>\n" per file,
 * sorted by path in byte order (what `LC_ALL=C sort` gives), LF line endings, relative POSIX
 * paths. It lists every file of a bundle except itself and the signatures/ folder; it is
 * the file the signatures cover, so this list is what makes a bundle tamper-evident.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../core/errors.js';
import { hashFile } from '../core/hash-file.js';

export const SHA256SUMS_FILE = 'SHA256SUMS';

export interface Sha256Entry {
  /** Relative POSIX path inside the bundle. */
  path: string;
  /** Lower-case hex SHA-256. */
  sha256: string;
}

export interface Sha256Check {
  ok: string[];
  mismatched: { path: string; expected: string; actual: string }[];
  missing: string[];
  /** Files present but not listed (outside signatures/ and SHA256SUMS itself). */
  extra: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;

const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Why a relative path is unsafe, or undefined when it is fine. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (path.startsWith('/')) return 'absolute path';
  if (path.includes('\\')) return 'backslash in path';
  if (/[\0\n\r]/.test(path)) return 'control character in path';
  if (path.split('/').some((seg) => seg === '' || seg === '.' || seg === '..'))
    return 'empty, "." or ".." path segment';
  return undefined;
}

/** Formats entries as SHA256SUMS text (sorted, LF). */
export function formatSha256Sums(entries: readonly Sha256Entry[]): string {
  const seen = new Set<string>();
  for (const entry of entries) {
    const reason = unsafePathReason(entry.path);
    if (reason !== undefined)
      throw new FerryError(
        'ERR_FERRY_BAD_PATH',
        `Cannot list "${entry.path}" in ${SHA256SUMS_FILE}: ${reason}`,
        {
          hint: `Remove or rename "${entry.path}"; a bundle holds only plain, safe relative names.`,
        },
      );
    if (!HEX64.test(entry.sha256))
      throw new FerryError(
        'ERR_FERRY_BAD_HASH',
        `"${entry.sha256}" is not a lower-case SHA-256 hex digest (for ${entry.path})`,
        {
          hint: 'A SHA-256 digest is 64 lower-case hex characters; rebuild the bundle with ferry bundle.',
        },
      );
    if (seen.has(entry.path))
      throw new FerryError('ERR_FERRY_BAD_PATH', `"${entry.path}" is listed twice`, {
        hint: `List each file once in ${SHA256SUMS_FILE}; rebuild the bundle with ferry bundle.`,
      });
    seen.add(entry.path);
  }
  return [...entries]
    .sort((a, b) => byteOrder(a.path, b.path))
    .map((e) => `${e.sha256}  ${e.path}\n`)
    .join('');
}

/**
 * Parses SHA256SUMS text. Accepts text ("  ") and binary (" *") markers and CRLF; rejects
 * anything else, unsafe paths and duplicates, reporting every bad line at once.
 */
export function parseSha256Sums(text: string): Sha256Entry[] {
  const entries: Sha256Entry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '') return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (m === null) {
      problems.push(
        `line ${index + 1}: expected "<sha256>  <path>", got ${JSON.stringify(line.slice(0, 120))}`,
      );
      return;
    }
    const path = m[2]!;
    const reason = unsafePathReason(path);
    if (reason !== undefined) {
      problems.push(`line ${index + 1}: "${path}": ${reason}`);
      return;
    }
    if (seen.has(path)) {
      problems.push(`line ${index + 1}: "${path}" is listed twice`);
      return;
    }
    seen.add(path);
    entries.push({ path, sha256: m[1]!.toLowerCase() });
  });
  if (problems.length > 0) {
    throw new FerryError(
      'ERR_FERRY_BAD_SHA256SUMS',
      `${SHA256SUMS_FILE} cannot be read:\n  ${problems.join('\n  ')}`,
      {
        hint: `Each line is "SHA256  PATH". Copy the bundle again from its source, or rebuild it with ferry bundle; do not install it as it is.`,
        details: { problems },
      },
    );
  }
  return entries;
}

/** Relative paths of all regular files under `dir`, sorted; links and special files are refused. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(join(dir, prefix))) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const st = await lstat(join(dir, rel));
    if (st.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (st.isFile()) out.push(rel);
    else
      throw new FerryError(
        'ERR_FERRY_UNSUPPORTED_FILE',
        `"${rel}" in ${dir} is not a regular file or folder (links are not allowed in a bundle)`,
        { hint: `Replace "${rel}" with the file it points to, or remove it from ${dir}.` },
      );
  }
  return out.sort(byteOrder);
}

const isCovered = (path: string): boolean =>
  path !== SHA256SUMS_FILE && !path.startsWith('signatures/');

/** Hashes every bundle file under `dir` except SHA256SUMS and signatures/. */
export async function computeSha256Sums(
  dir: string,
  /**
   * Digests already known for paths in `dir`: the wheels, hard-linked or copied just now from
   * store entries verified under that digest (src/store/verified.ts). Hashing 200 MB of them
   * again would re-prove what the store proved; every other file is hashed.
   */
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Sha256Entry[]> {
  const entries: Sha256Entry[] = [];
  for (const path of (await listFiles(dir)).filter(isCovered)) {
    entries.push({ path, sha256: known.get(path) ?? (await hashFile(join(dir, path))) });
  }
  return entries;
}

/** Compares `dir` against SHA256SUMS text: changed, missing and unlisted files. */
export async function checkSha256Sums(dir: string, text: string): Promise<Sha256Check> {
  const entries = parseSha256Sums(text);
  const present = new Set((await listFiles(dir)).filter(isCovered));
  const result: Sha256Check = { ok: [], mismatched: [], missing: [], extra: [] };
  for (const entry of entries) {
    if (!present.has(entry.path)) {
      result.missing.push(entry.path);
      continue;
    }
    present.delete(entry.path);
    const actual = await hashFile(join(dir, entry.path));
    if (actual === entry.sha256) result.ok.push(entry.path);
    else result.mismatched.push({ path: entry.path, expected: entry.sha256, actual });
  }
  result.extra = [...present].sort(byteOrder);
  return result;
}

/** Like checkSha256Sums, but throws ERR_FERRY_INTEGRITY naming every problem. */
export async function verifySha256Sums(dir: string, text: string): Promise<Sha256Check> {
  const result = await checkSha256Sums(dir, text);
  const lines = [
    ...result.mismatched.map((m) => `  ${m.path}: SHA-256 is ${m.actual}, expected ${m.expected}`),
    ...result.missing.map((p) => `  ${p}: missing`),
    ...result.extra.map((p) => `  ${p}: not listed in ${SHA256SUMS_FILE}`),
  ];
  if (lines.length > 0) {
    throw new FerryError(
      'ERR_FERRY_INTEGRITY',
      `The bundle in ${dir} does not match its ${SHA256SUMS_FILE}:\n${lines.join('\n')}`,
      {
        hint: 'The bundle was changed or damaged in transit. Copy it again from the source; do not install it.',
        details: { ...result },
      },
    );
  }
  return result;
}
