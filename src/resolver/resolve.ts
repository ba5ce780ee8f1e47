/**
 * Backtracking resolution with conflict-directed backjumping.
 *
 * Each decision pins one project to one candidate. When a project cannot be pinned, the failure
 * carries its culprits: the projects whose pins introduced the clashing requirements. Unwinding
 * skips every decision that is not a culprit (it could not have helped), so a clash deep in the
 * graph does not make the resolver enumerate unrelated versions. Candidates are tried newest
 * first, like pip; the project with the fewest remaining candidates is decided first.
 */
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { evaluateMarker, type MarkerEnvironment } from '../standards/marker.js';
import type { NormalizedName } from '../standards/name.js';
import { formatRequirement, type Requirement } from '../standards/requirement.js';
import {
  filterVersions,
  formatSpecifierSet,
  parseSpecifierSet,
  type Specifier,
  type SpecifierSet,
  specifierContains,
  specifierSetContains,
} from '../standards/specifier.js';
import { formatVersion, type Version } from '../standards/version.js';
import { type Clash, describeClash } from './explain.js';
import type { Candidate, CandidateMetadata, CandidatesAnswer, Provider } from './provider.js';

/** A requirement and who asked for it ("the command line", "requirements.txt:3", "paddlepaddle 3.3.1"). */
export interface SourcedRequirement {
  readonly requirement: Requirement;
  readonly source: string;
}

/** One target the resolution must serve: its markers and interpreter version. */
export interface ResolveEnvironment {
  readonly name: string;
  readonly markers: MarkerEnvironment;
  /** The target interpreter's full version, for Requires-Python (PEP 345). */
  readonly pythonVersion: Version;
}

export interface ResolveOptions {
  readonly provider: Provider;
  /**
   * The targets: one set of versions must install on every one of them. A dependency is
   * followed when its marker holds on any target; each package records which targets need it.
   */
  readonly environments?: readonly ResolveEnvironment[];
  /** Shorthand for a single target (used when `environments` is not given). */
  readonly markers?: MarkerEnvironment;
  readonly pythonVersion?: Version;
  /** Constraints (-c): they narrow versions but never add a project. */
  readonly constraints?: readonly SourcedRequirement[];
  /** --pre: allow pre-releases everywhere. */
  readonly prereleases?: boolean;
  readonly events?: EventSink;
  /** Give up after this many decisions (default 50,000). */
  readonly maxDecisions?: number;
  /** Describes the target in "no compatible file" errors. */
  readonly target?: { readonly description: string; readonly tags: readonly string[] };
}

/**
 * One package of a resolution, as the resolver picks it and as a lock records it
 * (bundle/locked.ts): names are normalized here, plain text when read back from a lock.
 */
export interface PackageChoice<Name extends string = string> {
  readonly name: Name;
  readonly version: string;
  readonly extras: readonly Name[];
  /** Who required it, as "the command line" or "name version". */
  readonly requiredBy: readonly string[];
  readonly dependencies: readonly Name[];
  /** Names of the targets that need this package (all of them unless a marker excludes some). */
  readonly targets: readonly string[];
  /**
   * Set when the chosen release is yanked (PEP 592), which happens only when the user pinned it
   * exactly: the index's reason, or true when it gave none (PEP 691's convention).
   */
  readonly yanked?: true | string;
}

export interface ResolvedPackage extends PackageChoice<NormalizedName> {
  readonly candidate: Candidate;
}

export interface Resolution {
  readonly packages: readonly ResolvedPackage[];
  readonly decisions: number;
}

interface Constraint {
  readonly requirement: Requirement;
  /** The pinned project that introduced it; undefined for the user's own requirements. */
  readonly parent: NormalizedName | undefined;
  readonly source: string;
}

interface Pin {
  readonly candidate: Candidate;
  readonly dependencies: readonly NormalizedName[];
}

interface State {
  readonly pins: ReadonlyMap<NormalizedName, Pin>;
  readonly constraints: ReadonlyMap<NormalizedName, readonly Constraint[]>;
  /** Extras whose dependencies have already been added, per pinned project. */
  readonly expanded: ReadonlyMap<NormalizedName, ReadonlySet<NormalizedName>>;
}

type Outcome =
  | { readonly ok: true; readonly state: State }
  | { readonly ok: false; readonly culprits: ReadonlySet<NormalizedName> };

const ROOT_LABEL = 'the command line';

export async function resolve(
  requirements: readonly SourcedRequirement[],
  options: ResolveOptions,
): Promise<Resolution> {
  return new Resolver(options).run(requirements);
}

class Resolver {
  private decisions = 0;
  private firstClash: Clash | undefined;
  private readonly answers = new Map<NormalizedName, Promise<CandidatesAnswer>>();
  private readonly metadataCache = new Map<string, Promise<CandidateMetadata>>();
  /** Names (with the specifier they were asked with) already walked ahead (speculate). */
  private readonly speculated = new Set<string>();
  private readonly userConstraints = new Map<NormalizedName, Constraint[]>();
  /** Exact pins (== without a wildcard, ===) in the user's requirements and constraints. */
  private readonly exactPins = new Map<NormalizedName, Specifier[]>();
  /**
   * Learnt clashes: a candidate whose own (base) dependencies exclude a version of another
   * project clashes with that version in every branch of the search, so once seen it is set
   * aside without a decision while that version stays pinned. Without this, a clash between a
   * deep dependency and an early pin (botocore's python-dateutil<3 against a python-dateutil
   * 4 pinned for pandas) is rediscovered for every version of every project above it (boto3 ×
   * s3transfer × botocore), and the search gives up.
   */
  private readonly learntClashes = new Map<
    string,
    { readonly project: NormalizedName; readonly version: string }[]
  >();
  /**
   * Projects that were pinned when a later dependency's requirement excluded their version: the
   * search restarts and decides them after the others, when every requirement on them is known
   * (as pip's resolver prefers its backtrack causes, and a SAT solver restarts with what it
   * learnt). A python-dateutil pinned early for pandas is then chosen under botocore's <3 too.
   */
  private readonly deferred = new Set<NormalizedName>();
  private restartWanted = false;
  private restarts = 0;
  /** Yanked versions the last look at a project set aside, for the error if nothing else fits. */
  private readonly refusedYanks = new Map<NormalizedName, readonly Candidate[]>();
  private readonly environments: readonly ResolveEnvironment[];

  constructor(private readonly options: ResolveOptions) {
    if (options.environments !== undefined && options.environments.length > 0)
      this.environments = options.environments;
    else if (options.markers !== undefined && options.pythonVersion !== undefined) {
      this.environments = [
        { name: 'target', markers: options.markers, pythonVersion: options.pythonVersion },
      ];
    } else throw new Error('resolve() needs environments, or markers and pythonVersion');
    for (const c of options.constraints ?? []) {
      // pip ignores a constraint whose marker is false for the target.
      if (!this.applies(c.requirement, [])) continue;
      const list = this.userConstraints.get(c.requirement.normalizedName) ?? [];
      list.push({ requirement: c.requirement, parent: undefined, source: c.source });
      this.userConstraints.set(c.requirement.normalizedName, list);
      this.noteExactPins(c.requirement);
    }
  }

  /**
   * PEP 592 leaves it to installers when a yanked release may be chosen; ferry follows uv
   * (uv-resolver `AllowedYanks::from_manifest`): only when the user pinned that very version
   * with == or === in a requirement or a constraint. A dependency's pin does not count: a
   * package that pins a since-yanked release of its dependency must not pull it in silently.
   */
  private noteExactPins(requirement: Requirement): void {
    const exact = requirement.specifier.specifiers.filter(
      (s) => s.operator === '===' || (s.operator === '==' && !s.version.endsWith('*')),
    );
    if (exact.length === 0) return;
    const name = requirement.normalizedName;
    this.exactPins.set(name, [...(this.exactPins.get(name) ?? []), ...exact]);
  }

  /** Did the user pin exactly this version of the candidate's project? */
  private pinnedByUser(candidate: Candidate): boolean {
    return (this.exactPins.get(candidate.name) ?? []).some((s) =>
      specifierContains(s, s.operator === '===' ? candidate.versionText : candidate.version, {
        prereleases: true,
      }),
    );
  }

  async run(requirements: readonly SourcedRequirement[]): Promise<Resolution> {
    const started = Date.now();
    this.options.events?.({
      type: 'resolve-start',
      requirements: requirements.map((r) => formatRequirement(r.requirement)),
    });
    let constraints = new Map<NormalizedName, readonly Constraint[]>();
    for (const r of requirements) {
      if (!this.environments.some((env) => this.appliesIn(env, r.requirement, []))) continue;
      this.noteExactPins(r.requirement);
      constraints = withConstraint(constraints, {
        requirement: r.requirement,
        parent: undefined,
        source: r.source,
      });
    }
    const state: State = { pins: new Map(), constraints, expanded: new Map() };
    for (const [name, list] of constraints)
      for (const c of list) this.speculate(name, c.requirement.specifier);
    let outcome: Outcome;
    for (;;) {
      try {
        outcome = await this.solve(state);
        break;
      } catch (error) {
        if (!(error instanceof RestartSearch)) throw error;
        // What was learnt (deferred projects, clashes, every page and metadata) is kept.
        this.restarts += 1;
        this.restartWanted = false;
        this.firstClash = undefined;
      }
    }
    if (!outcome.ok) {
      const clash = this.firstClash;
      if (clash === undefined) {
        throw new FerryError(
          'ERR_FERRY_RESOLUTION_IMPOSSIBLE',
          'The requirements cannot be satisfied together.',
          {
            hint: 'Loosen the version pins and constraints (-c) that narrow the same projects, then lock again.',
          },
        );
      }
      throw describeClash(clash, this.decisions);
    }
    const needs = this.neededTargets(outcome.state);
    const packages = [...outcome.state.pins.entries()]
      .map(([name, pin]): ResolvedPackage => {
        const list = outcome.state.constraints.get(name) ?? [];
        const yanked = yankedMark(pin.candidate);
        return {
          name,
          version: pin.candidate.versionText,
          candidate: pin.candidate,
          extras: [...(outcome.state.expanded.get(name) ?? [])].sort(),
          requiredBy: [...new Set(list.map((c) => c.source))].sort(),
          dependencies: pin.dependencies,
          targets: this.environments
            .filter((_, i) => needs.get(name)?.has(i))
            .map((env) => env.name),
          ...(yanked === undefined ? {} : { yanked }),
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const p of packages) {
      if (p.yanked === undefined) continue;
      this.options.events?.({
        type: 'warning',
        code: 'W_FERRY_YANKED',
        message:
          `${p.name} ${p.version} is yanked (${p.yanked === true ? 'no reason given' : `reason: ${p.yanked}`}); ` +
          'it is used because you pinned it exactly. The lock and the bundle manifest record it.',
      });
    }
    this.options.events?.({
      type: 'resolve-done',
      packages: packages.length,
      seconds: (Date.now() - started) / 1000,
    });
    return { packages, decisions: this.decisions };
  }

  /** Does a requirement apply on one target, for the given extras of its parent? */
  private appliesIn(
    env: ResolveEnvironment,
    requirement: Requirement,
    extras: readonly string[],
  ): boolean {
    if (requirement.marker === undefined) return true;
    if (extras.length === 0) return evaluateMarker(requirement.marker, env.markers, []);
    return extras.some((extra) => evaluateMarker(requirement.marker!, env.markers, [extra]));
  }

  /** Does it apply on any target? */
  private applies(requirement: Requirement, extras: readonly string[]): boolean {
    return this.environments.some((env) => this.appliesIn(env, requirement, extras));
  }

  /**
   * Which targets need each project, as far as the search has got: the user's requirements
   * whose markers hold there, then every dependency whose parent is needed there and whose
   * marker holds there (with the parent's requested extras). A fixpoint over the constraints.
   */
  private neededTargets(state: State): Map<NormalizedName, Set<number>> {
    const needs = new Map<NormalizedName, Set<number>>();
    const all = [...state.constraints.values()].flat();
    for (let changed = true; changed; ) {
      changed = false;
      for (const c of all) {
        const parentEnvs = c.parent === undefined ? undefined : needs.get(c.parent);
        if (c.parent !== undefined && parentEnvs === undefined) continue;
        const extras = c.parent === undefined ? [] : [...(state.expanded.get(c.parent) ?? [])];
        const name = c.requirement.normalizedName;
        let set = needs.get(name);
        this.environments.forEach((env, i) => {
          if (set?.has(i) || (parentEnvs !== undefined && !parentEnvs.has(i))) return;
          if (
            !this.appliesIn(env, c.requirement, extras) &&
            !(extras.length > 0 && this.appliesIn(env, c.requirement, []))
          )
            return;
          if (set === undefined) {
            set = new Set<number>();
            needs.set(name, set);
          }
          set.add(i);
          changed = true;
        });
      }
    }
    return needs;
  }

  private answer(name: NormalizedName): Promise<CandidatesAnswer> {
    let promise = this.answers.get(name);
    if (promise === undefined) {
      promise = this.options.provider.candidates(name);
      // Avoid unhandled rejections for prefetches; the error resurfaces when awaited.
      promise.catch(() => {});
      this.answers.set(name, promise);
    }
    return promise;
  }

  /**
   * Walks ahead of the search: the newest final version within `specifier` is nearly always the
   * one tried first, so its metadata is fetched now, and then the pages of its dependencies and,
   * in turn, theirs. The depth-first search finds them on their way instead of asking for each
   * level of the graph only when it gets there, one network round trip per level. A guess that
   * turns out wrong costs requests, never the answer: the search asks for what it decides on.
   */
  private speculate(name: NormalizedName, specifier: SpecifierSet | undefined): void {
    const key = `${name} ${specifier === undefined ? '' : formatSpecifierSet(specifier)}`;
    if (this.speculated.has(key)) return;
    this.speculated.add(key);
    this.options.provider.prefetch?.(name);
    this.answer(name).then(
      (answer) => {
        if (answer.kind !== 'found') return;
        const newest = answer.candidates.find(
          (c) =>
            !c.yanked &&
            c.version.pre === undefined &&
            c.version.dev === undefined &&
            (specifier === undefined || specifierSetContains(specifier, c.version)),
        );
        // A wheel's metadata is a small read; an sdist's may be a build: that waits for the search.
        if (newest === undefined || !newest.file.filename.endsWith('.whl')) return;
        this.metadata(newest).then(
          (metadata) => {
            for (const requirement of metadata.requiresDist)
              if (requirement.normalizedName !== name && this.applies(requirement, []))
                this.speculate(requirement.normalizedName, requirement.specifier);
          },
          () => {},
        );
      },
      () => {},
    );
  }

  private metadata(candidate: Candidate): Promise<CandidateMetadata> {
    const key = `${candidate.name}@${candidate.file.url}`;
    let promise = this.metadataCache.get(key);
    if (promise === undefined) {
      promise = this.options.provider.metadata(candidate);
      promise.catch(() => {});
      this.metadataCache.set(key, promise);
    }
    return promise;
  }

  private async solve(state: State): Promise<Outcome> {
    // 1. Pinned projects asked for with new extras: add those extras' dependencies.
    for (const [name, pin] of state.pins) {
      const wanted = requestedExtras(state.constraints.get(name) ?? []);
      const done = state.expanded.get(name) ?? new Set<NormalizedName>();
      const missing = wanted.filter((e) => !done.has(e));
      if (missing.length === 0) continue;
      const metadata = await this.metadata(pin.candidate);
      const next = this.addDependencies(state, name, pin.candidate, metadata, missing, false);
      if (!next.ok) {
        const askers = (state.constraints.get(name) ?? [])
          .filter((c) => c.requirement.extras.some((e) => missing.includes(e)))
          .map((c) => c.parent)
          .filter((p): p is NormalizedName => p !== undefined);
        return { ok: false, culprits: new Set([...next.culprits, ...askers, name]) };
      }
      return this.solve(next.state);
    }

    // 2. Every pinned version must have a file for each target that now needs it (a new
    //    dependency edge can bring a package to another target).
    const needs = this.neededTargets(state);
    for (const [name, pin] of state.pins) {
      const uncovered = [...(needs.get(name) ?? [])].filter(
        (i) => pin.candidate.files[i] === undefined,
      );
      if (uncovered.length === 0) continue;
      this.recordUncovered(name, state, [pin.candidate], uncovered);
      return { ok: false, culprits: new Set([name, ...this.parentsOf(name, state)]) };
    }

    // 3. Choose the undecided project with the fewest candidates left; a project no target
    //    needs (its markers exclude every target that reaches it) is not decided at all.
    const undecided = [...state.constraints.keys()].filter(
      (n) => !state.pins.has(n) && (needs.get(n)?.size ?? 0) > 0,
    );
    if (undecided.length === 0) return { ok: true, state };
    let best: { name: NormalizedName; candidates: Candidate[] } | undefined;
    const first = undecided.filter((n) => !this.deferred.has(n));
    for (const name of first.length > 0 ? first : undecided) {
      const candidates = await this.matching(name, state, needs.get(name)!);
      if (best === undefined || candidates.length < best.candidates.length) {
        best = { name, candidates };
      }
      if (candidates.length === 0) break;
    }
    const { name, candidates } = best!;
    const constraints = state.constraints.get(name) ?? [];
    const parents = this.parentsOf(name, state);
    if (candidates.length === 0) {
      await this.recordNoMatch(name, state);
      return { ok: false, culprits: parents };
    }

    const culprits = new Set<NormalizedName>(parents);
    const pythonRefusals: string[] = [];
    for (const candidate of candidates) {
      if (this.restartWanted) throw new RestartSearch();
      const clash = this.learntClash(candidate, state);
      if (clash !== undefined) {
        culprits.add(clash);
        continue;
      }
      this.decisions += 1;
      if (this.decisions > (this.options.maxDecisions ?? 50_000)) {
        throw new FerryError(
          'ERR_FERRY_RESOLUTION_TOO_COMPLEX',
          `Gave up after ${this.decisions - 1} decisions without finding a consistent set of versions.`,
          {
            hint: 'Pin some of the requirements more tightly (e.g. name==version), or add a constraints file with -c.',
          },
        );
      }
      const metadata = await this.metadata(candidate);
      if (!this.pythonFits(metadata.requiresPython, needs.get(name)!)) {
        pythonRefusals.push(`${candidate.versionText} requires Python ${metadata.requiresPython}`);
        continue;
      }
      const pinned: State = {
        ...state,
        pins: new Map(state.pins).set(name, { candidate, dependencies: [] }),
      };
      const extras = requestedExtras(constraints);
      const next = this.addDependencies(pinned, name, candidate, metadata, extras, true);
      if (!next.ok) {
        for (const c of next.culprits) if (c !== name) culprits.add(c);
        continue;
      }
      const outcome = await this.solve(next.state);
      if (outcome.ok) return outcome;
      if (!outcome.culprits.has(name)) return outcome; // backjump: this decision was not to blame
      for (const c of outcome.culprits) if (c !== name) culprits.add(c);
    }
    if (pythonRefusals.length === candidates.length) {
      this.recordClash(name, state, [], undefined, undefined, pythonRefusals);
    }
    return { ok: false, culprits };
  }

  private learnClash(candidate: Candidate, project: NormalizedName, version: string): void {
    const key = candidateKey(candidate);
    const list = this.learntClashes.get(key) ?? [];
    if (!list.some((c) => c.project === project && c.version === version))
      list.push({ project, version });
    this.learntClashes.set(key, list);
  }

  /** The pinned project a learnt clash rules this candidate out by, if any. */
  private learntClash(candidate: Candidate, state: State): NormalizedName | undefined {
    for (const c of this.learntClashes.get(candidateKey(candidate)) ?? []) {
      if (state.pins.get(c.project)?.candidate.versionText === c.version) return c.project;
    }
    return undefined;
  }

  private parentsOf(name: NormalizedName, state: State): Set<NormalizedName> {
    return new Set(
      [...(state.constraints.get(name) ?? []), ...(this.userConstraints.get(name) ?? [])]
        .map((c) => c.parent)
        .filter((p): p is NormalizedName => p !== undefined),
    );
  }

  /**
   * Candidates of `name` allowed by every constraint on it (pip's pre-release and yank rules)
   * that have a file for every target that needs it.
   */
  private async matching(
    name: NormalizedName,
    state: State,
    needed: ReadonlySet<number>,
  ): Promise<Candidate[]> {
    const answer = await this.answer(name);
    if (answer.kind === 'not-found') return [];
    const all = [...(state.constraints.get(name) ?? []), ...(this.userConstraints.get(name) ?? [])];
    const set = combined(all.map((c) => c.requirement.specifier));
    const allowed = filterVersions(set, answer.candidates, (c) => c.version, {
      prereleases: this.options.prereleases ? true : undefined,
    });
    // PEP 592: a yanked release only when the user pinned it exactly (noteExactPins).
    const unyanked = allowed.filter((c) => !c.yanked || this.pinnedByUser(c));
    const refused = allowed.filter((c) => c.yanked && !this.pinnedByUser(c));
    if (refused.length > 0) this.refusedYanks.set(name, refused);
    else this.refusedYanks.delete(name);
    const covered = unyanked.filter((c) => [...needed].every((i) => c.files[i] !== undefined));
    if (covered.length === 0 && unyanked.length > 0) {
      const lacking = [...needed].filter((i) => unyanked.every((c) => c.files[i] === undefined));
      this.recordUncovered(name, state, unyanked, lacking.length > 0 ? lacking : [...needed]);
    }
    return covered;
  }

  /** A candidate must install on every target that needs it. */
  private pythonFits(requiresPython: string | undefined, needed: ReadonlySet<number>): boolean {
    if (requiresPython === undefined || requiresPython.trim() === '') return true;
    try {
      const set = parseSpecifierSet(requiresPython);
      return this.environments.every(
        (env, i) =>
          !needed.has(i) || specifierSetContains(set, env.pythonVersion, { prereleases: true }),
      );
    } catch {
      return true; // pip ignores an invalid Requires-Python (it warns); so do we.
    }
  }

  /**
   * Adds the dependencies of a pinned candidate (its base dependencies when `base`, and those of
   * `extras`). Fails when a dependency excludes an already pinned version.
   */
  private addDependencies(
    state: State,
    name: NormalizedName,
    candidate: Candidate,
    metadata: CandidateMetadata,
    extras: readonly NormalizedName[],
    base: boolean,
  ): Outcome {
    const label = `${name} ${candidate.versionText}`;
    let constraints = new Map(state.constraints);
    const deps: NormalizedName[] = [...(state.pins.get(name)?.dependencies ?? [])];
    for (const requirement of metadata.requiresDist) {
      const forBase = base && this.applies(requirement, []);
      const forExtras =
        extras.length > 0 &&
        requirement.marker !== undefined &&
        this.environments.some((env) =>
          extras.some((e) => evaluateMarker(requirement.marker!, env.markers, [e])),
        );
      if (!forBase && !forExtras) continue;
      const depName = requirement.normalizedName;
      if (depName === name) continue; // a package asking for its own extras: handled via constraints below
      const pinned = state.pins.get(depName);
      if (
        pinned !== undefined &&
        !specifierSetContains(requirement.specifier, pinned.candidate.version, {
          prereleases: true,
        })
      ) {
        this.recordClash(
          depName,
          state,
          [{ requirement, parent: name, source: label }],
          pinned.candidate,
        );
        // A base dependency clashes whatever extras are asked for: remember it (learntClash).
        if (forBase) this.learnClash(candidate, depName, pinned.candidate.versionText);
        if (!this.deferred.has(depName) && this.restarts < MAX_RESTARTS) {
          this.deferred.add(depName);
          this.restartWanted = true;
        }
        return { ok: false, culprits: new Set([depName]) };
      }
      constraints = withConstraint(constraints, { requirement, parent: name, source: label });
      if (!deps.includes(depName)) deps.push(depName);
      this.speculate(depName, requirement.specifier);
    }
    // Self-references like `pkg[extra]` inside pkg's own metadata.
    for (const requirement of metadata.requiresDist) {
      if (requirement.normalizedName !== name || !this.applies(requirement, extras)) continue;
      constraints = withConstraint(constraints, { requirement, parent: name, source: label });
    }
    const expanded = new Map(state.expanded);
    expanded.set(name, new Set([...(state.expanded.get(name) ?? []), ...extras]));
    const pins = new Map(state.pins).set(name, { candidate, dependencies: deps.sort() });
    return { ok: true, state: { pins, constraints, expanded } };
  }

  private recordUncovered(
    name: NormalizedName,
    state: State,
    versions: readonly Candidate[],
    targets: readonly number[],
  ): void {
    if (this.firstClash !== undefined) return;
    this.recordClash(name, state, [], undefined);
    this.firstClash = {
      ...this.firstClash!,
      uncovered: {
        targets: targets.map((i) => this.environments[i]!.name),
        versions: versions.map(
          (c) =>
            `${c.versionText} (${this.environments
              .filter((_, i) => targets.includes(i) && c.files[i] === undefined)
              .map((e) => `no wheel for target ${e.name}`)
              .join('; ')})`,
        ),
      },
    };
  }

  private async recordNoMatch(name: NormalizedName, state: State): Promise<void> {
    if (this.firstClash !== undefined) return;
    const answer = await this.answer(name);
    this.recordClash(name, state, [], undefined, answer);
  }

  private recordClash(
    name: NormalizedName,
    state: State,
    extra: readonly Constraint[],
    pinned: Candidate | undefined,
    answer?: CandidatesAnswer,
    requiresPython?: readonly string[],
  ): void {
    if (this.firstClash !== undefined) return;
    const all = [
      ...(state.constraints.get(name) ?? []),
      ...(this.userConstraints.get(name) ?? []),
      ...extra,
    ];
    this.firstClash = {
      name,
      requirements: all.map((c) => ({
        text: formatRequirement(c.requirement),
        specifier: formatSpecifierSet(c.requirement.specifier),
        source: c.source === '' ? ROOT_LABEL : c.source,
      })),
      pinned: pinned === undefined ? undefined : formatVersion(pinned.version),
      answer,
      prereleasesAllowed: this.options.prereleases === true,
      ...(this.options.target === undefined ? {} : { target: this.options.target }),
      ...(requiresPython === undefined ? {} : { requiresPython }),
      ...(pinned === undefined && this.refusedYanks.has(name)
        ? {
            yanked: this.refusedYanks.get(name)!.map((c) => {
              const mark = yankedMark(c);
              return {
                version: c.versionText,
                ...(typeof mark === 'string' ? { reason: mark } : {}),
              };
            }),
          }
        : {}),
    };
  }
}

/** Restarts at most this often; after that the search goes on with what it has learnt. */
const MAX_RESTARTS = 32;

/** Thrown to unwind the whole search when it should start again (Resolver.deferred). */
class RestartSearch extends Error {}

function candidateKey(candidate: Candidate): string {
  return `${candidate.name}@${candidate.versionText}@${candidate.file.url}`;
}

/** A candidate's yank as PEP 691 writes it: the reason, true without one, undefined if not yanked. */
function yankedMark(candidate: Candidate): true | string | undefined {
  if (!candidate.yanked) return undefined;
  const reasons = candidate.files
    .map((f) => f?.yanked)
    .filter((y): y is string => typeof y === 'string' && y.trim() !== '');
  return reasons[0]?.trim() ?? true;
}

function withConstraint(
  map: ReadonlyMap<NormalizedName, readonly Constraint[]>,
  constraint: Constraint,
): Map<NormalizedName, readonly Constraint[]> {
  const next = new Map(map);
  const name = constraint.requirement.normalizedName;
  next.set(name, [...(map.get(name) ?? []), constraint]);
  return next;
}

function requestedExtras(constraints: readonly Constraint[]): NormalizedName[] {
  return [...new Set(constraints.flatMap((c) => c.requirement.extras))].sort();
}

function combined(sets: readonly SpecifierSet[]): SpecifierSet {
  return { specifiers: sets.flatMap((s) => s.specifiers) };
}
