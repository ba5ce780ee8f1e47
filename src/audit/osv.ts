/**
 * OSV advisories (the Open Source Vulnerability format, ossf/osv-schema docs/schema.md) for
 * the PyPI ecosystem, matched with ferry's own PEP 440 (src/standards/version.ts) — never a
 * semver library, since `1.0.post1`, `2.0rc1` or `1!0.5` order differently there.
 *
 * What is read: `id`, `aliases`, `summary`, `modified`, `published`, `withdrawn`, `severity`
 * (CVSS vectors), `database_specific.severity` (as GitHub's advisories write it),
 * `references`, and `affected[]` with `package` {ecosystem "PyPI", name — compared after
 * PEP 503 normalization}, `ranges[]` and `versions[]`. A withdrawn advisory matches nothing.
 *
 * Matching follows the schema's "Evaluation" pseudocode: a version is affected when it is in
 * `versions`, or inside any range: the range's events sorted by version ("0" first), walked
 * with `introduced` (v >= it: affected), `fixed` (v >= it: not), `last_affected` (v > it:
 * not), after a `limit` check (with limits present, v must be below one of them). Only
 * ECOSYSTEM and SEMVER ranges are evaluated (GIT ranges need the repository's history; the
 * `versions` list covers them).
 *
 * A bound that is not a PEP 440 version cannot be compared. A gate must not call a package
 * clean because of a typo in an advisory, so an unreadable `introduced` counts as "0" and an
 * unreadable `fixed`/`last_affected`/`limit` as absent, and the match says it was uncertain.
 */
import { normalizeName } from '../standards/name.js';
import { compareVersions, tryParseVersion, type Version } from '../standards/version.js';
import { type Severity, severityOf } from './severity.js';

export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

export interface OsvRange {
  readonly type: string;
  readonly events: readonly OsvEvent[];
}

export interface OsvAffected {
  /** PEP 503-normalized. */
  readonly name: string;
  readonly ranges: readonly OsvRange[];
  readonly versions: readonly string[];
}

export interface Advisory {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly published?: string;
  readonly modified?: string;
  readonly withdrawn?: string;
  readonly severity: Severity;
  readonly references: readonly string[];
  /** Only the PyPI entries. */
  readonly affected: readonly OsvAffected[];
}

export interface AdvisoryMatch {
  readonly advisory: Advisory;
  /** Each range and listed version the package's version falls in, as a person reads it. */
  readonly affectedRanges: readonly string[];
  /** Versions that fix it above the installed one, lowest first (the `fixed` events). */
  readonly fixedIn: readonly string[];
  /** Set when a bound in the advisory was not a PEP 440 version and was read conservatively. */
  readonly uncertain?: string;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const strings = (x: unknown): string[] =>
  Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];

/** PEP 503 name, or the lower-cased text for a name that is not a valid project name. */
function safeNormalize(name: string): string {
  try {
    return normalizeName(name.trim());
  } catch {
    return name.trim().toLowerCase();
  }
}

/**
 * One OSV record, or undefined when it is not one (no id) or names no PyPI package. Unknown
 * fields are ignored, as the schema allows.
 */
export function parseAdvisory(json: unknown): Advisory | undefined {
  if (!isObject(json) || typeof json.id !== 'string' || json.id === '') return undefined;
  const affected: OsvAffected[] = [];
  for (const a of Array.isArray(json.affected) ? json.affected : []) {
    if (!isObject(a) || !isObject(a.package)) continue;
    if (a.package.ecosystem !== 'PyPI' || typeof a.package.name !== 'string') continue;
    const ranges: OsvRange[] = [];
    for (const r of Array.isArray(a.ranges) ? a.ranges : []) {
      if (!isObject(r) || typeof r.type !== 'string') continue;
      const events: OsvEvent[] = [];
      for (const e of Array.isArray(r.events) ? r.events : []) {
        if (!isObject(e)) continue;
        // The schema allows one kind per event object; take the first one present.
        for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
          const value = e[kind];
          if (typeof value === 'string') {
            events.push({ [kind]: value } as OsvEvent);
            break;
          }
        }
      }
      ranges.push({ type: r.type, events });
    }
    affected.push({ name: safeNormalize(a.package.name), ranges, versions: strings(a.versions) });
  }
  if (affected.length === 0) return undefined;
  const text = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
  const published = text(json.published);
  const modified = text(json.modified);
  const withdrawn = text(json.withdrawn);
  const perPackage = (Array.isArray(json.affected) ? json.affected : [])
    .filter(isObject)
    .flatMap((a) => (Array.isArray(a.severity) ? a.severity : []));
  return {
    id: json.id,
    aliases: strings(json.aliases),
    summary: text(json.summary) ?? '',
    ...(published === undefined ? {} : { published }),
    ...(modified === undefined ? {} : { modified }),
    ...(withdrawn === undefined ? {} : { withdrawn }),
    severity: severityOf(
      [...(Array.isArray(json.severity) ? json.severity : []), ...perPackage],
      isObject(json.database_specific) ? json.database_specific.severity : undefined,
    ),
    references: (Array.isArray(json.references) ? json.references : [])
      .filter(isObject)
      .map((r) => r.url)
      .filter((u): u is string => typeof u === 'string'),
    affected,
  };
}

type Bound = { readonly kind: keyof UnionKeys; readonly text: string; readonly v?: Version };
type UnionKeys = { introduced: 1; fixed: 1; last_affected: 1; limit: 1 };

function boundOf(event: OsvEvent): Bound {
  const [kind, text] = Object.entries(event)[0] as [keyof UnionKeys, string];
  // "0" sorts before every version (schema, "Special values"); "*" in a limit is infinity.
  if (kind === 'introduced' && text === '0') return { kind, text };
  const v = tryParseVersion(text);
  return v === undefined ? { kind, text } : { kind, text, v };
}

/** Does `version` fall in this range? And what the range says, for people. */
function inRange(
  version: Version,
  range: OsvRange,
): { hit: boolean; text: string; fixed: string[]; uncertain?: string } {
  const bounds = range.events.map(boundOf);
  const unreadable = bounds.filter(
    (b) => b.v === undefined && !(b.kind === 'introduced' && b.text === '0') && b.text !== '*',
  );
  const uncertain =
    unreadable.length === 0
      ? undefined
      : `the advisory's version${unreadable.length > 1 ? 's' : ''} ${unreadable.map((b) => `"${b.text}"`).join(', ')} ${unreadable.length > 1 ? 'are' : 'is'} not PEP 440; read conservatively`;
  const limits = bounds.filter((b) => b.kind === 'limit');
  // BeforeLimits: no limit means an implicit "*"; an unreadable limit cannot narrow the range.
  const beforeLimits =
    limits.length === 0 ||
    limits.some((b) => b.text === '*' || b.v === undefined || compareVersions(version, b.v) < 0);
  // sorted(range.events): "0" (and unreadable introduced, read as "0") first; stable otherwise.
  const key = (b: Bound): Version | undefined => b.v;
  const sorted = bounds
    .map((b, i) => ({ b, i }))
    .filter(({ b }) => b.kind !== 'limit')
    .sort((x, y) => {
      const a = key(x.b);
      const b = key(y.b);
      if (a === undefined && b === undefined) return x.i - y.i;
      if (a === undefined) return x.b.kind === 'introduced' ? -1 : 1;
      if (b === undefined) return y.b.kind === 'introduced' ? 1 : -1;
      return compareVersions(a, b) || x.i - y.i;
    })
    .map(({ b }) => b);
  let vulnerable = false;
  for (const b of sorted) {
    if (b.kind === 'introduced') {
      if (b.v === undefined || compareVersions(version, b.v) >= 0) vulnerable = true;
    } else if (b.v === undefined) {
      // An unreadable fixed / last_affected cannot end the range.
    } else if (b.kind === 'fixed' && compareVersions(version, b.v) >= 0) vulnerable = false;
    else if (b.kind === 'last_affected' && compareVersions(version, b.v) > 0) vulnerable = false;
  }
  const fixed = sorted
    .filter((b) => b.kind === 'fixed' && b.v !== undefined && compareVersions(b.v, version) > 0)
    .map((b) => b.text);
  return {
    hit: beforeLimits && vulnerable,
    text: describeRange(sorted, limits),
    fixed,
    ...(uncertain === undefined ? {} : { uncertain }),
  };
}

/** ">=1.0, <1.2; >=2.0, <=2.3" from the sorted events. */
function describeRange(sorted: readonly Bound[], limits: readonly Bound[]): string {
  const parts: string[] = [];
  let open: string | undefined;
  for (const b of sorted) {
    if (b.kind === 'introduced') {
      if (open === undefined) open = b.text === '0' ? '' : `>=${b.text}`;
    } else if (open !== undefined) {
      const end = b.kind === 'fixed' ? `<${b.text}` : `<=${b.text}`;
      parts.push(open === '' ? end : `${open}, ${end}`);
      open = undefined;
    }
  }
  if (open !== undefined) parts.push(open === '' ? 'every version' : open);
  const limit = limits.filter((l) => l.text !== '*').map((l) => `<${l.text}`);
  return `${parts.join('; ')}${limit.length > 0 ? ` (limit ${limit.join(', ')})` : ''}`;
}

/**
 * The schema's IsVulnerable for one package: undefined when `version` of `name` is not
 * affected (or the advisory is withdrawn), else what matched.
 */
export function matchAdvisory(
  advisory: Advisory,
  name: string,
  version: string,
): AdvisoryMatch | undefined {
  if (advisory.withdrawn !== undefined) return undefined;
  const wanted = safeNormalize(name);
  const v = tryParseVersion(version);
  const affectedRanges: string[] = [];
  const fixedIn = new Set<string>();
  const uncertain: string[] = [];
  for (const entry of advisory.affected) {
    if (entry.name !== wanted) continue;
    // IncludedInVersions: equal as PEP 440 versions (1.0 == 1.0.0), else as text.
    const listed = entry.versions.find((x) => {
      const p = tryParseVersion(x);
      return p !== undefined && v !== undefined ? compareVersions(p, v) === 0 : x === version;
    });
    if (listed !== undefined) affectedRanges.push(`==${listed}`);
    for (const range of entry.ranges) {
      if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
      if (v === undefined) {
        // A version PEP 440 cannot read is compared by the versions list alone.
        continue;
      }
      const r = inRange(v, range);
      if (r.hit) {
        affectedRanges.push(r.text);
        for (const f of r.fixed) fixedIn.add(f);
        if (r.uncertain !== undefined) uncertain.push(r.uncertain);
      }
    }
  }
  if (affectedRanges.length === 0) return undefined;
  return {
    advisory,
    affectedRanges: [...new Set(affectedRanges)],
    fixedIn: [...fixedIn].sort((a, b) => compareVersions(a, b)),
    ...(uncertain.length === 0 ? {} : { uncertain: [...new Set(uncertain)].join('; ') }),
  };
}

/** Advisories indexed by PEP 503 name, for matching a whole lock quickly. */
export class AdvisoryIndex {
  private readonly byName = new Map<string, Advisory[]>();
  readonly size: number;
  readonly withdrawn: number;

  constructor(advisories: readonly Advisory[]) {
    let withdrawn = 0;
    for (const a of advisories) {
      if (a.withdrawn !== undefined) withdrawn++;
      for (const name of new Set(a.affected.map((e) => e.name))) {
        const list = this.byName.get(name) ?? [];
        list.push(a);
        this.byName.set(name, list);
      }
    }
    this.size = advisories.length;
    this.withdrawn = withdrawn;
  }

  /** Every advisory affecting `name` at `version`, sorted by id. */
  match(name: string, version: string): AdvisoryMatch[] {
    const out: AdvisoryMatch[] = [];
    for (const a of this.byName.get(safeNormalize(name)) ?? []) {
      const m = matchAdvisory(a, name, version);
      if (m !== undefined) out.push(m);
    }
    return out.sort((x, y) => (x.advisory.id < y.advisory.id ? -1 : 1));
  }
}
