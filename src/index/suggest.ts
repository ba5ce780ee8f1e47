/**
 * "Did you mean" for unknown project names: known names close to the asked one, compared in
 * their PEP 503 normalized form by edit distance (a swap of two neighbours counts as one edit,
 * as in Damerau's distance), closest first.
 *
 * Finding the known names must not cost more than the mistake: a full mirror's root page
 * (`/simple/`) is tens of megabytes. So suggestions come in three steps, cheapest first
 * (suggestProjectNames): names already at hand (local indexes, find-links, pages fetched in
 * this run); then the asked name's own near variants (neighbours swapped, a letter dropped,
 * separators changed), each asked of the index as an ordinary project page; and only when
 * those find nothing, the root page's list of every name, announced as progress, bounded in
 * time and size by the caller, and kept in the cache for a day so the next typo costs nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/index.js';

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * Optimal string alignment distance (Levenshtein plus swaps of neighbouring characters),
 * giving up (returning max + 1) once it must exceed `max`. `nmupy` → `numpy` is 1.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, beforePrevious[j - 2]! + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/** Whether `short` can be read out of `long` by dropping characters (a letter was left out). */
function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (const c of long) if (c === short[i]) i++;
  return i === short.length;
}

/**
 * Among names equally far from the asked one, the likelier slip first: two letters swapped,
 * then a letter left out, then one typed twice, then one mistyped.
 */
function slipRank(wanted: string, candidate: string): number {
  if (
    wanted.length === candidate.length &&
    [...wanted].sort().join('') === [...candidate].sort().join('')
  )
    return 0;
  if (isSubsequence(wanted, candidate)) return 1;
  if (isSubsequence(candidate, wanted)) return 2;
  return 3;
}

/**
 * Up to `limit` names from `known` within a distance that grows with the name's length
 * (1 for short names, up to 3), plus names that contain the asked one or are contained in it
 * (`paddle` → `paddlepaddle`).
 */
export function similarNames(name: string, known: Iterable<string>, limit = 3): string[] {
  const wanted = normalize(name);
  const max = wanted.length <= 4 ? 1 : wanted.length <= 8 ? 2 : 3;
  const bag = letterBag(wanted);
  const scored = new Map<string, { name: string; score: number }>();
  const keep = (candidate: string, n: string, score: number) => {
    const had = scored.get(n);
    if (had === undefined || score < had.score) scored.set(n, { name: candidate, score });
  };
  /** A quick look for the containment rule, before normalizing. */
  const nested = (candidate: string) => {
    const lower = candidate.toLowerCase();
    return lower.length > wanted.length ? lower.includes(wanted) : wanted.includes(lower);
  };
  for (const candidate of known) {
    // A full index lists some 900,000 names, most of them far from the asked one: cheap tests
    // (length, then the letters each has that the other lacks, a lower bound of the edit
    // distance) reject them before any string is built. Normalizing only shortens separator runs.
    if (Math.abs(candidate.length - wanted.length) > max + 2) {
      if (wanted.length < 4 || !nested(candidate)) continue;
      const n = normalize(candidate);
      if (n !== wanted && (n.includes(wanted) || wanted.includes(n)) && n.length >= 3)
        keep(candidate, n, max + 1 + Math.abs(n.length - wanted.length) / 100);
      continue;
    }
    if (bag.distance(candidate) > max && !(wanted.length >= 4 && nested(candidate))) continue;
    const n = normalize(candidate);
    if (n === wanted) continue;
    const distance = editDistance(wanted, n, max);
    if (distance <= max) keep(candidate, n, distance + slipRank(wanted, n) / 10);
    else if (wanted.length >= 4 && (n.includes(wanted) || wanted.includes(n)) && n.length >= 3)
      keep(candidate, n, max + 1 + Math.abs(n.length - wanted.length) / 100);
  }
  return [...scored.values()]
    .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map((s) => s.name);
}

/** Character code as a normalized name has it: lower case, separators as '-', the rest folded. */
function foldCode(c: number): number {
  if (c >= 65 && c <= 90) return c + 32;
  if (c === 95 || c === 46) return 45;
  return c & 127;
}

/**
 * The letters of `wanted`, to compare a candidate's against: the larger of "letters the
 * candidate lacks" and "letters it has too many of" never exceeds the edit distance.
 */
function letterBag(wanted: string): { distance(candidate: string): number } {
  const counts = new Int32Array(128);
  const distinct: number[] = [];
  for (let i = 0; i < wanted.length; i++) {
    const c = foldCode(wanted.charCodeAt(i));
    if (counts[c] === 0) distinct.push(c);
    counts[c] = (counts[c] as number) + 1;
  }
  return {
    distance(candidate: string): number {
      let extra = 0;
      for (let i = 0; i < candidate.length; i++) {
        const c = foldCode(candidate.charCodeAt(i));
        counts[c] = (counts[c] as number) - 1;
        if ((counts[c] as number) < 0) extra++;
      }
      let missing = 0;
      for (const c of distinct) if ((counts[c] as number) > 0) missing += counts[c] as number;
      for (let i = 0; i < candidate.length; i++) {
        const c = foldCode(candidate.charCodeAt(i));
        counts[c] = (counts[c] as number) + 1;
      }
      return Math.max(extra, missing);
    },
  };
}

/** At most this many variants are asked of the index for one unknown name. */
const MAX_VARIANTS = 40;

/**
 * Names one slip away from `name`, to ask the index for directly: neighbours swapped
 * (`nmupy` → `numpy`), a letter dropped (`numpyy` → `numpy`), separators dropped or changed
 * (`paddle-paddle` → `paddlepaddle`, `scikitlearn` is not guessed). Normalized, without `name`.
 */
export function nameVariants(name: string): string[] {
  const n = normalize(name);
  const out = new Set<string>();
  const add = (v: string) => {
    const c = normalize(v).replace(/^-+|-+$/g, '');
    if (c.length >= 2 && c !== n) out.add(c);
  };
  add(n.replace(/-/g, ''));
  add(n.replace(/-/g, '_'));
  for (let i = 0; i + 1 < n.length; i++) add(n.slice(0, i) + n[i + 1] + n[i] + n.slice(i + 2));
  for (let i = 0; i < n.length; i++) add(n.slice(0, i) + n.slice(i + 1));
  return [...out].slice(0, MAX_VARIANTS);
}

/** Project names from a root page: PEP 691 JSON (`projects[].name`) or PEP 503 HTML anchors. */
export function namesFromRootPage(body: string, contentType: string): string[] {
  if (contentType.includes('json') || /^\s*\{/.test(body)) {
    const parsed = JSON.parse(body) as { projects?: unknown };
    if (!Array.isArray(parsed.projects)) return [];
    return parsed.projects
      .map((p) => (p as { name?: unknown })?.name)
      .filter((n): n is string => typeof n === 'string');
  }
  // Anchor texts only: the full link parser (URLs, data-* attributes) costs seconds on the
  // 40 MB root page of a full mirror, and a name never contains "<" or "&".
  const names: string[] = [];
  for (const m of body.matchAll(/<a\b[^>]*>\s*([^<\s]+)\s*<\/a>/gi)) names.push(m[1] as string);
  return names;
}

/** How long a root page's name list is reused from the cache. */
export const NAME_LIST_MAX_AGE_MS = 24 * 60 * 60 * 1000;

function nameListPath(cacheDir: string, rootUrl: string): string {
  return join(
    cacheDir,
    'names',
    `${createHash('sha256').update(rootUrl).digest('hex').slice(0, 32)}.txt`,
  );
}

/** The cached name list of a root page, when younger than `maxAgeMs`. */
export async function readCachedNames(
  cacheDir: string,
  rootUrl: string,
  maxAgeMs = NAME_LIST_MAX_AGE_MS,
  now = Date.now(),
): Promise<string[] | undefined> {
  const path = nameListPath(cacheDir, rootUrl);
  try {
    if (now - (await stat(path)).mtimeMs > maxAgeMs) return undefined;
    const [header, ...names] = (await readFile(path, 'utf8')).split('\n');
    // The first line names the URL: a hash collision or a foreign file is not trusted.
    if (header !== `# ${rootUrl}`) return undefined;
    return names.filter((n) => n !== '');
  } catch {
    return undefined;
  }
}

/** Keeps a root page's name list (one name a line) for the next unknown name. */
export async function writeCachedNames(
  cacheDir: string,
  rootUrl: string,
  names: readonly string[],
): Promise<void> {
  const path = nameListPath(cacheDir, rootUrl);
  try {
    await mkdir(join(cacheDir, 'names'), { recursive: true });
    await writeFileAtomic(path, `# ${rootUrl}\n${names.join('\n')}\n`, { sync: false });
  } catch {
    // A cache that cannot be written only means the list is fetched again next time.
  }
}

export interface SuggestIo {
  /** Names known without fetching anything big: local indexes, find-links, pages already fetched. */
  nearby(): Promise<readonly string[]>;
  /** Whether the indexes have a project page for this name (an ordinary page request). */
  exists(name: string): Promise<boolean>;
  /** Every name of the remote indexes (root pages, cached or fetched); absent when not allowed. */
  everything?: () => Promise<readonly string[]>;
  /** Requests in flight at once for the variants (default 8). */
  readonly concurrency?: number;
}

/** Up to `limit` known names close to `name`, best first, cheapest source first. */
export async function suggestProjectNames(
  name: string,
  io: SuggestIo,
  limit = 3,
): Promise<string[]> {
  const nearby = await io.nearby().catch(() => [] as readonly string[]);
  const variants = nameVariants(name).filter((v) => !nearby.some((n) => normalize(n) === v));
  const found: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < variants.length) {
      const v = variants[next++] as string;
      if (await io.exists(v).catch(() => false)) found.push(v);
    }
  };
  await Promise.all(Array.from({ length: io.concurrency ?? 8 }, worker));
  const close = similarNames(name, [...nearby, ...found], limit);
  if (close.length > 0 || io.everything === undefined) return close;
  const everything = await io.everything().catch(() => [] as readonly string[]);
  return similarNames(name, [...nearby, ...everything], limit);
}
