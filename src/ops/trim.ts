/**
 * Trimming the closure: `--exclude NAME[=REASON]`, `--override "REQ[; reason=TEXT]"` and
 * ferry.toml's `[trim]` table (docs/trimming.md).
 *
 * - An excluded project is dropped from every requirement that names it, so the resolver never
 *   visits it, nor whatever only it needed; what something else needs stays.
 * - An override replaces every requirement on its project, as uv's `override-dependencies`
 *   does (docs.astral.sh/uv, "Dependency overrides"): `c>=4` in a's metadata becomes
 *   `c==3.20.2`. The original requirement's marker is kept and joined to the override's with
 *   `and`, so a dependency declared only for some platforms or extras stays only for them.
 *   An override adds no project: it applies only where something requires its project.
 *
 * Both work as a layer over the resolver's provider (metadata in, metadata out), so the
 * resolver itself knows nothing of them; what was dropped and replaced is remembered per
 * candidate, to say afterwards who needed an excluded project and what an override replaced.
 */
import type { LockedExclusion, LockedOverride } from '../bundle/locked.js';
import { FerryError } from '../core/errors.js';
import type { TrimSettings } from '../index/index-config.js';
import type {
  Candidate,
  CandidateMetadata,
  CandidatesAnswer,
  Provider,
} from '../resolver/provider.js';
import type { ResolvedPackage, SourcedRequirement } from '../resolver/resolve.js';
import { evaluateMarker, type Marker, type MarkerEnvironment } from '../standards/marker.js';
import { isValidProjectName, type NormalizedName, normalizeName } from '../standards/name.js';
import {
  assertNotUrlRequirement,
  formatRequirement,
  parseRequirement,
  type Requirement,
} from '../standards/requirement.js';

export interface ExcludeSpec {
  readonly name: NormalizedName;
  readonly reason: string;
  /** Where it was given: "--exclude", or the ferry.toml path. */
  readonly origin: string;
}

export interface OverrideSpec {
  readonly requirement: Requirement;
  readonly reason: string;
  readonly origin: string;
}

/** The settled trim: at most one exclusion or override per project. */
export interface Trim {
  readonly exclude: readonly ExcludeSpec[];
  readonly override: readonly OverrideSpec[];
}

export const NO_TRIM: Trim = { exclude: [], override: [] };

export const isTrimEmpty = (trim: Trim): boolean =>
  trim.exclude.length === 0 && trim.override.length === 0;

function trimError(message: string, hint: string): FerryError {
  return new FerryError('ERR_FERRY_USAGE', message, { hint });
}

/** `--exclude NAME[=REASON]`: the name, and the reason after the first "=". */
export function parseExcludeFlag(text: string): { name: string; reason?: string } {
  const eq = text.indexOf('=');
  const name = (eq < 0 ? text : text.slice(0, eq)).trim();
  const reason = eq < 0 ? undefined : text.slice(eq + 1).trim();
  if (!isValidProjectName(name))
    throw trimError(
      `--exclude "${text}": "${name}" is not a project name`,
      'Write --exclude NAME or --exclude "NAME=why it is left out", e.g. --exclude "matplotlib=no plots on the target".',
    );
  return { name, ...(reason === undefined || reason === '' ? {} : { reason }) };
}

/**
 * `--override "REQ[; reason=TEXT]"`: a PEP 508 requirement, then optionally "; reason=" and the
 * reason. `reason` is no marker variable (PEP 508), so the last "; reason=" cannot be part of
 * a valid marker and splits unambiguously, even after one (`c==3; python_version<"3.12"; reason=…`).
 */
export function parseOverrideFlag(text: string): { requirement: string; reason?: string } {
  const m = /^(.*?)\s*;\s*reason\s*=\s*(.*)$/s.exec(text);
  const requirement = (m === null ? text : m[1]!).trim();
  const reason = m?.[2]?.trim();
  if (requirement === '')
    throw trimError(
      `--override "${text}" names no requirement`,
      'Write --override "protobuf==3.20.2; reason=paddle 2.x needs the 3.20 API".',
    );
  return { requirement, ...(reason === undefined || reason === '' ? {} : { reason }) };
}

/**
 * ferry.toml's [trim] with the command line's entries over it (a project given on both takes
 * the command line's), the requirements parsed. A project both excluded and overridden is an
 * error: one of the two must go.
 */
export function settleTrim(file: TrimSettings | undefined, cli: TrimSettings | undefined): Trim {
  const exclude = new Map<NormalizedName, ExcludeSpec>();
  const override = new Map<NormalizedName, OverrideSpec>();
  for (const source of [file, cli]) {
    for (const e of source?.exclude ?? []) {
      const name = normalizeName(e.name);
      exclude.set(name, { name, reason: e.reason ?? '', origin: e.origin });
    }
    for (const o of source?.override ?? []) {
      let requirement: Requirement;
      try {
        requirement = parseRequirement(o.requirement);
        assertNotUrlRequirement(requirement, o.origin);
      } catch (error) {
        throw trimError(
          `the override "${o.requirement}" (${o.origin}) is not a requirement: ${(error as Error).message}`,
          'An override is a PEP 508 requirement with a version, e.g. protobuf==3.20.2 or "numpy<2".',
        );
      }
      override.set(requirement.normalizedName, {
        requirement,
        reason: o.reason ?? '',
        origin: o.origin,
      });
    }
  }
  for (const name of exclude.keys()) {
    const o = override.get(name);
    if (o !== undefined)
      throw trimError(
        `${name} is both excluded (${exclude.get(name)!.origin}) and overridden (${formatRequirement(o.requirement)}, ${o.origin})`,
        'Keep one: an excluded project is left out entirely; an override changes which versions it may have.',
      );
  }
  return { exclude: [...exclude.values()], override: [...override.values()] };
}

/** The original requirement's marker joined to the override's with `and`. */
function withMarker(override: Requirement, original: Marker | undefined): Requirement {
  if (original === undefined) return override;
  if (override.marker === undefined) return { ...override, marker: original };
  return {
    ...override,
    marker: { kind: 'expression', terms: [original, override.marker], joiners: ['and'] },
  };
}

const candidateKey = (c: Pick<Candidate, 'name' | 'versionText'>): string =>
  `${c.name} ${c.versionText}`;

/** One requirement the trim took out or replaced, and where it came from. */
interface Touched {
  readonly original: Requirement;
}

/**
 * The provider seen through the trim: metadata (and build requirements) come back without the
 * excluded projects and with the overrides in place. It remembers, per candidate, what it took
 * out and what it replaced, for trimReport.
 */
export class TrimmingProvider implements Provider {
  private readonly excluded: ReadonlyMap<NormalizedName, ExcludeSpec>;
  private readonly overrides: ReadonlyMap<NormalizedName, OverrideSpec>;
  private readonly dropped = new Map<string, Touched[]>();
  private readonly replaced = new Map<string, Touched[]>();

  constructor(
    private readonly inner: Provider,
    readonly trim: Trim,
  ) {
    this.excluded = new Map(trim.exclude.map((e) => [e.name, e]));
    this.overrides = new Map(trim.override.map((o) => [o.requirement.normalizedName, o]));
  }

  candidates(name: NormalizedName): Promise<CandidatesAnswer> {
    return this.inner.candidates(name);
  }

  async metadata(candidate: Candidate): Promise<CandidateMetadata> {
    const metadata = await this.inner.metadata(candidate);
    return {
      ...metadata,
      requiresDist: this.apply(candidateKey(candidate), metadata.requiresDist),
    };
  }

  async buildRequirements(candidate: Candidate): Promise<readonly Requirement[]> {
    const build = (await this.inner.buildRequirements?.(candidate)) ?? [];
    return this.apply(candidateKey(candidate), build);
  }

  prefetch(name: NormalizedName): void {
    if (!this.excluded.has(name)) this.inner.prefetch?.(name);
  }

  /** The user's own requirements: overrides applied; an excluded one is a contradiction. */
  roots(requirements: readonly SourcedRequirement[]): SourcedRequirement[] {
    return requirements.map((r) => {
      const name = r.requirement.normalizedName;
      const excluded = this.excluded.get(name);
      if (excluded !== undefined)
        throw trimError(
          `${r.requirement.name} is required (${r.source}: ${formatRequirement(r.requirement)}) and excluded (${excluded.origin})`,
          `Drop the requirement, or the exclusion of ${name}.`,
        );
      const override = this.overrides.get(name);
      if (override === undefined) return r;
      this.record(this.replaced, r.source, r.requirement);
      return { ...r, requirement: withMarker(override.requirement, r.requirement.marker) };
    });
  }

  private apply(key: string, requirements: readonly Requirement[]): Requirement[] {
    const out: Requirement[] = [];
    for (const r of requirements) {
      if (this.excluded.has(r.normalizedName)) {
        this.record(this.dropped, key, r);
        continue;
      }
      const override = this.overrides.get(r.normalizedName);
      if (override === undefined) {
        out.push(r);
        continue;
      }
      this.record(this.replaced, key, r);
      out.push(withMarker(override.requirement, r.marker));
    }
    return out;
  }

  private record(into: Map<string, Touched[]>, key: string, original: Requirement): void {
    const list = into.get(key) ?? [];
    if (!list.some((t) => formatRequirement(t.original) === formatRequirement(original)))
      list.push({ original });
    into.set(key, list);
  }

  /** What each locked package asked for that the trim took out or replaced, for `name`. */
  touched(
    which: 'dropped' | 'replaced',
    key: string,
    name: NormalizedName,
  ): readonly Requirement[] {
    return ((which === 'dropped' ? this.dropped : this.replaced).get(key) ?? [])
      .map((t) => t.original)
      .filter((r) => r.normalizedName === name);
  }
}

export interface TrimReport {
  readonly exclusions: LockedExclusion[];
  readonly overrides: LockedOverride[];
}

/**
 * After the resolution: who in the closure required each excluded project (a requirement
 * whose marker holds for one of the package's targets, with its extras), and what each override
 * replaced. Candidates tried and given up by the resolver are not counted: only what was locked.
 */
export function trimReport(
  provider: TrimmingProvider,
  packages: readonly ResolvedPackage[],
  environments: readonly { readonly name: string; readonly markers: MarkerEnvironment }[],
  roots: readonly SourcedRequirement[],
): TrimReport {
  const applies = (r: Requirement, p: ResolvedPackage): boolean =>
    r.marker === undefined ||
    environments.some(
      (env) => p.targets.includes(env.name) && evaluateMarker(r.marker!, env.markers, p.extras),
    );
  const exclusions = provider.trim.exclude.map((e): LockedExclusion => {
    const requiredBy = packages
      .filter((p) =>
        provider.touched('dropped', candidateKey(p.candidate), e.name).some((r) => applies(r, p)),
      )
      .map((p) => `${p.name} ${p.version}`)
      .sort();
    return { name: e.name, reason: e.reason, requiredBy };
  });
  const overrides = provider.trim.override.map((o): LockedOverride => {
    const name = o.requirement.normalizedName;
    const replaced = [
      ...[...new Set(roots.map((r) => r.source))].flatMap((source) =>
        provider.touched('replaced', source, name).map((r) => `${source}: ${formatRequirement(r)}`),
      ),
      ...packages.flatMap((p) =>
        provider
          .touched('replaced', candidateKey(p.candidate), name)
          .filter((r) => applies(r, p))
          .map((r) => `${p.name} ${p.version}: ${formatRequirement(r)}`),
      ),
    ].sort();
    return { requirement: formatRequirement(o.requirement), reason: o.reason, replaced };
  });
  return { exclusions, overrides };
}

/** "matplotlib excluded (no plots): required by seaborn 0.13.2, paddlepaddle 2.6.2". */
export function describeExclusion(e: LockedExclusion): string {
  const why = e.reason === '' ? '' : ` (${e.reason})`;
  return e.requiredBy.length === 0
    ? `${e.name} excluded${why}, but nothing in the closure requires it`
    : `${e.name} excluded${why}: required by ${e.requiredBy.join(', ')}; they are installed without it and may fail where they import it`;
}

/** "protobuf==3.20.2 overrides paddlepaddle 2.6.2: protobuf>=3.20.2 (reason)". */
export function describeOverride(o: LockedOverride): string {
  const why = o.reason === '' ? '' : ` (${o.reason})`;
  return o.replaced.length === 0
    ? `the override ${o.requirement}${why} replaced nothing: nothing in the closure requires it`
    : `${o.requirement} overrides ${o.replaced.join(', ')}${why}`;
}

export interface PackageSize {
  readonly name: string;
  readonly version: string;
  readonly bytes: number;
  /** Files whose size the index did not give. */
  readonly unknownFiles: number;
}

export interface ClosureSize {
  /** Largest first (ties by name). */
  readonly packages: readonly PackageSize[];
  readonly totalBytes: number;
  readonly unknownFiles: number;
}

/** The closure's size by package, from the sizes the index pages gave (PEP 700 `size`). */
export function closureSize(
  packages: readonly {
    readonly name: string;
    readonly version: string;
    readonly files: readonly { readonly size?: number }[];
  }[],
): ClosureSize {
  const sized = packages
    .map((p) => ({
      name: p.name,
      version: p.version,
      bytes: p.files.reduce((s, f) => s + (f.size ?? 0), 0),
      unknownFiles: p.files.filter((f) => f.size === undefined).length,
    }))
    .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    packages: sized,
    totalBytes: sized.reduce((s, p) => s + p.bytes, 0),
    unknownFiles: sized.reduce((s, p) => s + p.unknownFiles, 0),
  };
}

/** The exclusions and overrides of several locks (`ferry sync`'s sets) as one record. */
export function mergeTrimRecords(
  locks: readonly {
    readonly exclusions?: readonly LockedExclusion[];
    readonly overrides?: readonly LockedOverride[];
  }[],
): { exclusions?: LockedExclusion[]; overrides?: LockedOverride[] } {
  const union = (a: readonly string[], b: readonly string[]): string[] =>
    [...new Set([...a, ...b])].sort();
  const exclusions = new Map<string, LockedExclusion>();
  const overrides = new Map<string, LockedOverride>();
  for (const lock of locks) {
    for (const e of lock.exclusions ?? []) {
      const have = exclusions.get(e.name);
      exclusions.set(
        e.name,
        have === undefined ? e : { ...have, requiredBy: union(have.requiredBy, e.requiredBy) },
      );
    }
    for (const o of lock.overrides ?? []) {
      const have = overrides.get(o.requirement);
      overrides.set(
        o.requirement,
        have === undefined ? o : { ...have, replaced: union(have.replaced, o.replaced) },
      );
    }
  }
  return {
    ...(exclusions.size === 0 ? {} : { exclusions: [...exclusions.values()] }),
    ...(overrides.size === 0 ? {} : { overrides: [...overrides.values()] }),
  };
}
