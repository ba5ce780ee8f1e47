/**
 * PEP 440 versions: parsing, normalisation and ordering, following pypa/packaging
 * (`packaging/version.py`, 26.x) rule for rule so that ferry picks the same files pip would.
 *
 * https://peps.python.org/pep-0440/
 * https://packaging.python.org/en/latest/specifications/version-specifiers/
 *
 * Deliberate differences from packaging, both stricter:
 * - legacy (non-PEP 440) versions such as "1.0-foo" are rejected, as packaging >= 22 does;
 * - a number above 2^53 - 1 (Number.MAX_SAFE_INTEGER) is rejected instead of silently losing
 *   precision; Python has arbitrary-precision ints, JS numbers do not.
 */
import { caretLine, FerryError } from '../core/errors.js';
import { memoize } from '../core/memo.js';

export interface Version {
  readonly epoch: number;
  readonly release: readonly number[];
  readonly pre?: readonly ['a' | 'b' | 'rc', number];
  readonly post?: number;
  readonly dev?: number;
  readonly local?: readonly (string | number)[];
}

export type PreReleaseLetter = 'a' | 'b' | 'rc';

/**
 * Python's `\s` (and `str.strip()`) in a str pattern: every char for which `str.isspace()` is
 * true. JS `\s` differs (it adds U+FEFF and lacks U+001C-U+001F and U+0085), so we spell it out.
 */
export const PY_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const PY_WS_EDGES = new RegExp(`^[${PY_WHITESPACE_CLASS}]+|[${PY_WHITESPACE_CLASS}]+$`, 'g');

/** Python's `str.strip()` with no argument. */
export function pyStrip(text: string): string {
  return text.replace(PY_WS_EDGES, '');
}

/**
 * packaging's VERSION_PATTERN, anchored and with the surrounding `\s*` that `Version()`
 * allows. Case-insensitive; the JS `i` flag without `u` folds ASCII only, which matches the
 * `(?a:...)` groups of the Python pattern. Python uses possessive quantifiers where it can;
 * none of them changes which strings match (no later group can start with what they consume).
 */
const VERSION_RE = new RegExp(
  [
    `^[${PY_WHITESPACE_CLASS}]*`,
    'v?',
    '(?:([0-9]+)!)?', // 1 epoch
    '([0-9]+(?:\\.[0-9]+)*)', // 2 release
    '(?:[._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?([0-9]+)?)?', // 3 pre_l, 4 pre_n
    '(?:-([0-9]+)|[._-]?(post|rev|r)[._-]?([0-9]+)?)?', // 5 post_n1, 6 post_l, 7 post_n2
    '(?:[._-]?(dev)[._-]?([0-9]+)?)?', // 8 dev_l, 9 dev_n
    '(?:\\+([a-z0-9]+(?:[._-][a-z0-9]+)*))?', // 10 local
    `[${PY_WHITESPACE_CLASS}]*$`,
  ].join(''),
  'i',
);

/** Alternative spellings PEP 440 normalises (packaging's `_LETTER_NORMALIZATION`). */
const PRE_LETTERS: Readonly<Record<string, PreReleaseLetter>> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

const VERSION_HINT =
  'PEP 440 versions look like 1.2.3, 1!2.0, 2.6.2rc1, 2.6.2.post112, 1.0.dev3 or 2.1.2+cu118; ' +
  'legacy versions such as "1.0-foo" are not accepted by current pip';

class NumberTooLarge extends Error {}

function toNumber(digits: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new NumberTooLarge(digits);
  return n;
}

function parseOrReasonUncached(text: string): Version | 'invalid' | 'too-large' {
  const m = VERSION_RE.exec(text);
  if (m === null) return 'invalid';
  try {
    const [, epoch, release, preL, preN, postN1, postL, postN2, devL, devN, local] = m;
    const v: {
      epoch: number;
      release: number[];
      pre?: readonly [PreReleaseLetter, number];
      post?: number;
      dev?: number;
      local?: (string | number)[];
    } = {
      epoch: epoch === undefined ? 0 : toNumber(epoch),
      release: (release ?? '0').split('.').map(toNumber),
    };
    // An omitted number is an implicit 0 ("1.0a" == "1.0a0", "1.0.post" == "1.0.post0").
    if (preL !== undefined) v.pre = [PRE_LETTERS[preL.toLowerCase()]!, toNumber(preN ?? '0')];
    // "1.0-1" is the implicit post-release spelling of "1.0.post1".
    if (postN1 !== undefined) v.post = toNumber(postN1);
    else if (postL !== undefined) v.post = toNumber(postN2 ?? '0');
    if (devL !== undefined) v.dev = toNumber(devN ?? '0');
    // Local segments are lower-cased; all-digit parts compare as numbers
    // (packaging's `_parse_local_version`).
    if (local !== undefined) {
      v.local = local
        .toLowerCase()
        .split(/[._-]/)
        .map((part) => (/^[0-9]+$/.test(part) ? toNumber(part) : part));
    }
    return v;
  } catch (error) {
    if (error instanceof NumberTooLarge) return 'too-large';
    throw error;
  }
}

/** Parses a PEP 440 version; throws FerryError `ERR_FERRY_INVALID_VERSION`. */
const parseOrReason = memoize(parseOrReasonUncached);

export function parseVersion(text: string): Version {
  const result = parseOrReason(text);
  if (typeof result === 'object') return result;
  if (result === 'too-large') {
    throw new FerryError(
      'ERR_FERRY_INVALID_VERSION',
      `Version "${text}" has a number larger than ${Number.MAX_SAFE_INTEGER}`,
      { hint: 'ferry compares version numbers exactly only up to 2^53 - 1' },
    );
  }
  // Point at the first character no PEP 440 version can contain, when there is one.
  const bad = text.search(/[^0-9a-z.!+_-]/i);
  const where = bad >= 0 && pyStrip(text) !== '' ? `\n${caretLine(text, bad)}` : '';
  throw new FerryError('ERR_FERRY_INVALID_VERSION', `Invalid version: "${text}"${where}`, {
    hint: VERSION_HINT,
  });
}

/** Like parseVersion, but returns undefined for anything that is not a valid version. */
export function tryParseVersion(text: string): Version | undefined {
  const result = parseOrReason(text);
  return typeof result === 'object' ? result : undefined;
}

/** The normalised form, equal to `str(packaging.version.Version(text))`. */
export function formatVersion(v: Version): string {
  let out = v.release.join('.');
  if (v.epoch !== 0) out = `${v.epoch}!${out}`;
  if (v.pre !== undefined) out += `${v.pre[0]}${v.pre[1]}`;
  if (v.post !== undefined) out += `.post${v.post}`;
  if (v.dev !== undefined) out += `.dev${v.dev}`;
  if (v.local !== undefined && v.local.length > 0) out += `+${v.local.join('.')}`;
  return out;
}

/** The release without trailing zeros: 1.0.0 == 1 (packaging's `_cmpkey`). */
function trimmedLength(release: readonly number[]): number {
  let end = release.length;
  while (end > 0 && release[end - 1] === 0) end--;
  return end;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

function compareReleases(a: readonly number[], b: readonly number[]): number {
  const la = trimmedLength(a);
  const lb = trimmedLength(b);
  for (let i = 0; i < Math.min(la, lb); i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return sign(d);
  }
  return sign(la - lb);
}

const PRE_RANK: Readonly<Record<PreReleaseLetter, number>> = { a: 0, b: 1, rc: 2 };

/**
 * The 6-number suffix of packaging's `_cmpkey`: (pre_rank, pre_n, post_rank, post_n, dev_rank,
 * dev_n). A dev-only release sorts before every a/b/rc of the same release (1.0.dev1 < 1.0a1);
 * a release with no pre-release sorts after its rc; a dev release sorts before its non-dev.
 */
function suffixKey(v: Version): readonly number[] {
  let preRank: number;
  let preN = 0;
  if (v.pre !== undefined) {
    preRank = PRE_RANK[v.pre[0]];
    preN = v.pre[1];
  } else if (v.post === undefined && v.dev !== undefined) {
    preRank = -1;
  } else {
    preRank = 3;
  }
  return [
    preRank,
    preN,
    v.post === undefined ? 0 : 1,
    v.post ?? 0,
    v.dev === undefined ? 1 : 0,
    v.dev ?? 0,
  ];
}

/**
 * PEP 440 local ordering: a version without a local label sorts before one with; segments
 * compare pairwise, numbers numerically, strings lexically, any string before any number,
 * and a shorter label before a longer one that it prefixes.
 */
function compareLocals(
  a: readonly (string | number)[] | undefined,
  b: readonly (string | number)[] | undefined,
): number {
  if (a === undefined || b === undefined) {
    return a === undefined ? (b === undefined ? 0 : -1) : 1;
  }
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return sign(x - y);
    } else if (typeof x === 'string' && typeof y === 'string') {
      if (x !== y) return x < y ? -1 : 1;
    } else {
      return typeof x === 'string' ? -1 : 1;
    }
  }
  return sign(a.length - b.length);
}

/**
 * Orders two versions exactly as packaging does (`Version._key`); returns -1, 0 or 1. The one
 * version comparison in ferry: framework releases, CUDA and driver versions (535.54.03) and
 * glibc versions are dotted numbers, which PEP 440 orders numerically part by part, with
 * missing parts as 0 (`525` == `525.0.0`). Text is parsed with parseVersion, which throws
 * ERR_FERRY_INVALID_VERSION for anything PEP 440 does not accept.
 */
export function compareVersions(x: Version | string, y: Version | string): number {
  const a = typeof x === 'string' ? parseVersion(x) : x;
  const b = typeof y === 'string' ? parseVersion(y) : y;
  if (a.epoch !== b.epoch) return sign(a.epoch - b.epoch);
  const release = compareReleases(a.release, b.release);
  if (release !== 0) return release;
  const sa = suffixKey(a);
  const sb = suffixKey(b);
  for (let i = 0; i < sa.length; i++) {
    if (sa[i] !== sb[i]) return sign(sa[i]! - sb[i]!);
  }
  return compareLocals(a.local, b.local);
}

/** packaging's `is_prerelease`: an a/b/rc or a dev release (1.0.post1.dev0 counts too). */
export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

/** packaging's `is_postrelease`: `2.6.2.post118` is a post-release of `2.6.2`. */
export function isPostrelease(v: Version): boolean {
  return v.post !== undefined;
}

/** The version without its local label (`2.1.2+cu118` -> `2.1.2`). */
export function publicVersion(v: Version): Version {
  if (v.local === undefined) return v;
  const { local: _local, ...rest } = v;
  return rest;
}

/** Epoch and release only (`1!2.0rc1.post3+x` -> `1!2.0`), like packaging's `base_version`. */
export function baseVersion(v: Version): Version {
  return { epoch: v.epoch, release: v.release };
}

/** Whether `a` and `b` compare equal (`1.0` == `1.0.0`; local labels count). */
export function versionsEqual(a: Version, b: Version): boolean {
  return compareVersions(a, b) === 0;
}

/** Normalises a version string; throws like parseVersion. */
export function normalizeVersion(text: string): string {
  return formatVersion(parseVersion(text));
}
