/**
 * PEP 440 version specifiers (`>=2.6,<3`, `==2.1.*`, `~=2.6.2`, `===foo`), following
 * pypa/packaging `specifiers.py` and its range engine `_ranges.py` (26.x) rule for rule.
 *
 * https://packaging.python.org/en/latest/specifications/version-specifiers/
 *
 * Membership without a pre-release policy is a per-operator predicate (the interval each
 * operator maps to in `_ranges.standard_ranges`); a set is the conjunction of its members.
 * The pre-release policy (pip's: pre-releases only when nothing final matches, when a
 * specifier names one, or when asked) is applied on top, as in `SpecifierSet.filter`.
 */
import { caretLine, FerryError } from '../core/errors.js';
import { memoize } from '../core/memo.js';
import {
  compareVersions,
  formatVersion,
  isPrerelease,
  PY_WHITESPACE_CLASS,
  pyStrip,
  tryParseVersion,
  type Version,
} from './version.js';

export type SpecifierOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

/** `version` is the text after the operator, stripped but otherwise as written (as packaging keeps it). */
export interface Specifier {
  readonly operator: SpecifierOperator;
  readonly version: string;
}

export interface SpecifierSet {
  readonly specifiers: readonly Specifier[];
}

export interface PrereleaseOptions {
  /** true: allow pre-releases; false: never; undefined: packaging's default (see filterVersions). */
  readonly prereleases?: boolean;
}

export const SPECIFIER_OPERATORS = ['===', '~=', '==', '!=', '<=', '>=', '<', '>'] as const;

const WS = `[${PY_WHITESPACE_CLASS}]*`;
// One character at least: packaging 26.4 made the arbitrary string `[^\s;)]++` (it was `*`), so
// a bare `===` is no longer a specifier. PEP 440 "Arbitrary equality" compares against a version
// string, and an empty string names no version.
const NOT_WS = `[^${PY_WHITESPACE_CLASS};)]+`;
const EPOCH_RELEASE = 'v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*';
const PRE = '(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?';
const POST = '(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?';
const DEV = '(?:[-_.]?dev[-_.]?[0-9]*)?';
const LOCAL = '(?:\\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?';

/**
 * packaging's `Specifier._regex`. `===` takes one or more of anything but whitespace, `;` and
 * `)`; only `==` and `!=` take a `.*` wildcard or a local label; `~=` needs two release
 * components.
 * Case-insensitive, ASCII folding only (packaging's `(?a:...)`; see version.ts).
 */
const SPECIFIER_RE = new RegExp(
  `^${WS}(?:` +
    `===${WS}${NOT_WS}` +
    `|(?:==|!=)${WS}${EPOCH_RELEASE}(?:\\.\\*|${PRE}${POST}${DEV}${LOCAL})` +
    `|~=${WS}v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+${PRE}${POST}${DEV}` +
    `|(?:<=|>=|<|>)${WS}${EPOCH_RELEASE}${PRE}${POST}${DEV}` +
    `)${WS}$`,
  'i',
);

const OPERATOR_RE = /^(===|~=|==|!=|<=|>=|<|>)/;

const SPECIFIER_HINT =
  'a specifier is an operator (~= == != <= >= < > ===) and a PEP 440 version, e.g. ">=2.6,<3", ' +
  '"==2.6.2.post112", "==2.1.*", "~=2.6.0"';

interface Diagnosis {
  readonly offset: number;
  readonly length: number;
  readonly hint: string;
}

/** Says why `text` is not a specifier and where, for the error message. */
function diagnose(text: string): Diagnosis {
  const start = text.length - text.trimStart().length;
  const stripped = pyStrip(text);
  const op = OPERATOR_RE.exec(stripped)?.[1];
  if (op === undefined) {
    return { offset: start, length: Math.max(1, stripped.length), hint: SPECIFIER_HINT };
  }
  const rest = stripped.slice(op.length);
  const versionOffset = start + op.length + (rest.length - rest.trimStart().length);
  const version = pyStrip(rest);
  const at = (hint: string): Diagnosis => ({
    offset: versionOffset,
    length: Math.max(1, version.length),
    hint,
  });
  if (version === '') return at(`"${op}" must be followed by a version`);
  const equality = op === '==' || op === '!=';
  if (version.endsWith('.*') && !equality) {
    return at(`a ".*" wildcard is allowed only with == and != (PEP 440), not with "${op}"`);
  }
  if (version.endsWith('.*')) {
    return at('a ".*" wildcard may follow only a release such as 2.6 (no pre/post/dev/local)');
  }
  if (version.includes('+') && !equality) {
    return at(`a local label (+...) is allowed only with == and != (PEP 440), not with "${op}"`);
  }
  if (op === '~=' && /^v?(?:[0-9]+!)?[0-9]+(?![.0-9])/i.test(version)) {
    return at('"~=" needs at least two release components, e.g. "~=2.6" or "~=2.6.0"');
  }
  return at(`"${version}" is not a PEP 440 version; ${SPECIFIER_HINT}`);
}

function specifierError(text: string, context: string, offset: number): FerryError {
  const d = diagnose(text);
  const where = context === text ? '' : ` in "${context}"`;
  return new FerryError(
    'ERR_FERRY_INVALID_SPECIFIER',
    `Invalid version specifier "${pyStrip(text)}"${where}\n${caretLine(context, offset + d.offset, d.length)}`,
    { hint: d.hint },
  );
}

function parseAt(text: string, context: string, offset: number): Specifier {
  if (!SPECIFIER_RE.test(text)) throw specifierError(text, context, offset);
  const stripped = pyStrip(text);
  const operator = OPERATOR_RE.exec(stripped)![1] as SpecifierOperator;
  return Object.freeze({ operator, version: pyStrip(stripped.slice(operator.length)) });
}

/** Parses one specifier such as `>=2.6`; throws FerryError `ERR_FERRY_INVALID_SPECIFIER`. */
export function parseSpecifier(text: string): Specifier {
  return parseAt(text, text, 0);
}

/**
 * Parses a comma-separated specifier set; '' (or only commas and spaces) is the empty set,
 * which allows any version (packaging's `SpecifierSet.__init__`).
 */
/** Parses a comma-separated set; memoized, since the same Requires-Python repeats on every file. */
export const parseSpecifierSet: (text: string) => SpecifierSet = memoize(parseSpecifierSetUncached);

function parseSpecifierSetUncached(text: string): SpecifierSet {
  const specifiers: Specifier[] = [];
  let offset = 0;
  for (const item of text.split(',')) {
    if (pyStrip(item) !== '') specifiers.push(parseAt(item, text, offset));
    offset += item.length + 1;
  }
  return Object.freeze({ specifiers: Object.freeze(specifiers) });
}

/** `operator + version`, as `str(Specifier)`. */
export function formatSpecifier(s: Specifier): string {
  return `${s.operator}${s.version}`;
}

/** Python's str ordering: by code point (JS `<` orders by UTF-16 code unit). */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** packaging's `Specifier._canonical_spec`: what makes two specifiers equal (`==1.0` == `==1.0.0`). */
function canonicalKey(s: Specifier): string {
  if (s.operator === '===' || s.version.endsWith('.*')) return `${s.operator}\0${s.version}`;
  const v = requireVersion(s);
  if (s.operator === '~=') return `${s.operator}\0${formatVersion(v)}`;
  // Trailing zeros are dropped, keeping one (packaging's `_TrimmedRelease`).
  let end = v.release.length;
  while (end > 1 && v.release[end - 1] === 0) end--;
  return `${s.operator}\0${formatVersion({ ...v, release: v.release.slice(0, end) })}`;
}

/**
 * `str(SpecifierSet(text))`: specifiers sorted by their text and de-duplicated by meaning,
 * joined by commas without spaces.
 */
export function formatSpecifierSet(s: SpecifierSet): string {
  const sorted = [...s.specifiers].sort((a, b) =>
    compareCodePoints(formatSpecifier(a), formatSpecifier(b)),
  );
  const seen = new Set<string>();
  const out: string[] = [];
  for (const spec of sorted) {
    const key = canonicalKey(spec);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(formatSpecifier(spec));
  }
  return out.join(',');
}

function requireVersion(s: Specifier): Version {
  const text = s.version.endsWith('.*') ? s.version.slice(0, -2) : s.version;
  const v = tryParseVersion(text);
  if (v === undefined) throw specifierError(formatSpecifier(s), formatSpecifier(s), 0);
  return v;
}

/** Same epoch and release (ignoring trailing zeros) and the same pre-release. */
function sameReleaseAndPre(a: Version, b: Version): boolean {
  if (a.epoch !== b.epoch) return false;
  if (compareVersions({ epoch: 0, release: a.release }, { epoch: 0, release: b.release }) !== 0) {
    return false;
  }
  return a.pre?.[0] === b.pre?.[0] && a.pre?.[1] === b.pre?.[1];
}

const withoutLocal = (v: Version): Version => {
  if (v.local === undefined) return v;
  const { local: _local, ...rest } = v;
  return rest;
};

/** `release[:-1] + [release[-1] + 1]`, as a `.dev0` (packaging's `_next_prefix_dev0`). */
function nextPrefixDev0(epoch: number, release: readonly number[]): Version {
  const next = [...release.slice(0, -1), release[release.length - 1]! + 1];
  return { epoch, release: next, dev: 0 };
}

interface Compiled {
  /** Version membership, without any pre-release policy. Absent for `===`. */
  readonly match?: (v: Version) => boolean;
  /** For `===`: the lower-cased text an item must equal. */
  readonly arbitrary?: string;
  /** packaging's `Specifier.prereleases` (autodetected). */
  readonly prereleases: boolean | undefined;
}

/** The interval each operator denotes, from packaging's `_ranges.standard_ranges`/`wildcard_ranges`. */
function compile(s: Specifier): Compiled {
  const { operator: op, version: text } = s;
  if (op === '===') {
    const v = tryParseVersion(text);
    return {
      arbitrary: text.toLowerCase(),
      prereleases: v === undefined ? undefined : isPrerelease(v),
    };
  }
  const V = requireVersion(s);
  const cmp = compareVersions;

  if (text.endsWith('.*')) {
    // ==1.2.* is [1.2.dev0, 1.3.dev0); it names no pre-release, so never opts in.
    const lower: Version = { epoch: V.epoch, release: V.release, dev: 0 };
    const upper = nextPrefixDev0(V.epoch, V.release);
    const inside = (v: Version): boolean => cmp(v, lower) >= 0 && cmp(v, upper) < 0;
    if (op === '==') return { match: inside, prereleases: false };
    if (op === '!=') return { match: (v) => !inside(v), prereleases: false };
    throw specifierError(formatSpecifier(s), formatSpecifier(s), 0);
  }

  const pre = isPrerelease(V);
  switch (op) {
    case '>=':
      return { match: (v) => cmp(v, V) >= 0, prereleases: pre };
    case '<=':
      // <=V admits V's local builds (V+cu118): PEP 440 ignores the candidate's local label.
      return { match: (v) => cmp(withoutLocal(v), V) <= 0, prereleases: pre };
    case '>': {
      if (V.dev !== undefined) {
        // >V.devN: the next version up is V.dev(N+1); V.devN+local is excluded.
        const lower: Version = { ...withoutLocal(V), dev: V.dev + 1 };
        return { match: (v) => cmp(v, lower) >= 0, prereleases: pre };
      }
      if (V.post !== undefined) {
        // >V.postN: the next version up is V.post(N+1).dev0.
        const lower: Version = { ...withoutLocal(V), post: V.post + 1, dev: 0 };
        return { match: (v) => cmp(v, lower) >= 0, prereleases: pre };
      }
      // >V excludes V's post-releases and local builds unless V is itself a post-release
      // (PEP 440 "Exclusive ordered comparison"): >2.6.2 does not admit 2.6.2.post120.
      return { match: (v) => cmp(v, V) > 0 && !sameReleaseAndPre(v, V), prereleases: pre };
    }
    case '<': {
      // <V excludes V's pre-releases unless V is itself one: <3 does not admit 3.0rc1.
      const bound: Version = pre ? V : { ...withoutLocal(V), dev: 0 };
      return { match: (v) => cmp(v, bound) < 0, prereleases: pre };
    }
    case '==':
    case '!=': {
      // ==2.1.2 matches 2.1.2+cu118 (the candidate's local label is ignored when the
      // specifier has none); ==2.6.2 does not match 2.6.2.post118 (a different release).
      const equal =
        V.local === undefined
          ? (v: Version) => cmp(withoutLocal(v), V) === 0
          : (v: Version) => cmp(v, V) === 0;
      if (op === '==') return { match: equal, prereleases: pre };
      return { match: (v) => !equal(v), prereleases: false };
    }
    case '~=': {
      // ~=2.6.2 is >=2.6.2,==2.6.*: [V, 2.7.dev0).
      const upper = nextPrefixDev0(V.epoch, V.release.slice(0, -1));
      return { match: (v) => cmp(v, V) >= 0 && cmp(v, upper) < 0, prereleases: pre };
    }
  }
  throw specifierError(formatSpecifier(s), formatSpecifier(s), 0);
}

const compiledCache = new WeakMap<Specifier, Compiled>();

function compiled(s: Specifier): Compiled {
  let c = compiledCache.get(s);
  if (c === undefined) {
    c = compile(s);
    compiledCache.set(s, c);
  }
  return c;
}

/**
 * packaging's `Specifier.prereleases`: whether the specifier itself opts in to pre-releases
 * (`>=2.0rc1` does; `!=2.0rc1` and `==2.*` do not; `===foo` does not know).
 */
export function specifierAllowsPrereleases(s: Specifier): boolean | undefined {
  return compiled(s).prereleases;
}

/**
 * packaging's `SpecifierSet.prereleases`: true when any member names a pre-release,
 * otherwise undefined (use the default policy).
 */
export function specifierSetAllowsPrereleases(s: SpecifierSet): boolean | undefined {
  return s.specifiers.some((spec) => compiled(spec).prereleases === true) ? true : undefined;
}

/** Membership with no pre-release policy; `text` is what `===` compares against. */
function matchesAll(
  specs: readonly Specifier[],
  parsed: Version | undefined,
  text: () => string,
): boolean {
  for (const spec of specs) {
    const c = compiled(spec);
    if (c.match === undefined) {
      if (text().toLowerCase() !== c.arbitrary) return false;
    } else if (parsed === undefined || !c.match(parsed)) {
      return false;
    }
  }
  return true;
}

function asParsed(version: Version | string): { parsed: Version | undefined; text: () => string } {
  if (typeof version === 'string') return { parsed: tryParseVersion(version), text: () => version };
  return { parsed: version, text: () => formatVersion(version) };
}

/**
 * `Specifier.contains`. A single version has no alternatives, so with prereleases undefined a
 * pre-release inside the range matches (packaging >= 26); only `prereleases: false` excludes
 * it. A string that is not a valid version matches only `===` (and the empty set).
 */
export function specifierContains(
  s: Specifier,
  version: Version | string,
  opts: PrereleaseOptions = {},
): boolean {
  return specifierSetContains({ specifiers: [s] }, version, opts);
}

/** `SpecifierSet.contains`; see specifierContains. The empty set contains everything. */
export function specifierSetContains(
  s: SpecifierSet,
  version: Version | string,
  opts: PrereleaseOptions = {},
): boolean {
  const { parsed, text } = asParsed(version);
  if (opts.prereleases === false && parsed !== undefined && isPrerelease(parsed)) return false;
  return matchesAll(s.specifiers, parsed, text);
}

/**
 * `SpecifierSet.filter(items, key=key)`, keeping order. Pre-releases are kept when
 * `prereleases` is true, when a specifier names one (`>=2.0rc1`), or when no final release
 * matches at all; `prereleases: false` drops them always (PEP 440 "Handling of pre-releases").
 */
export function filterVersions<T>(
  s: SpecifierSet,
  items: readonly T[],
  key: (t: T) => Version,
  opts: PrereleaseOptions = {},
): T[] {
  const prereleases = opts.prereleases ?? specifierSetAllowsPrereleases(s);
  const matched: { item: T; pre: boolean }[] = [];
  for (const item of items) {
    const v = key(item);
    if (!matchesAll(s.specifiers, v, () => formatVersion(v))) continue;
    const pre = isPrerelease(v);
    if (prereleases === false && pre) continue;
    matched.push({ item, pre });
  }
  if (prereleases === undefined && matched.some((m) => !m.pre)) {
    return matched.filter((m) => !m.pre).map((m) => m.item);
  }
  return matched.map((m) => m.item);
}
