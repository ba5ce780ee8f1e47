/**
 * `--framework`: which build of the framework to lock, and the fallback rule. Without
 * `--framework-version` the newest release of the series fits the target on paper (the table
 * says so), but a new release often has no wheel yet for aarch64 or an old glibc; then the next
 * older release of the same series is tried, and the user is told (docs/frameworks.md).
 */
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { isCudaBuild } from '../frameworks/accelerators.js';
import type { Availability } from '../frameworks/availability.js';
import { chooseFramework, type FrameworkRequest } from '../frameworks/framework-request.js';
import { loadFrameworkTable } from '../frameworks/table.js';
import type { SourcedConstraint, VariantChoice } from '../frameworks/variants.js';
import type { SettledTarget } from '../host/target-spec.js';
import type { RequirementsFileResult } from '../resolver/requirements-file.js';
import { parseRequirement } from '../standards/requirement.js';
import { compareVersions, parseVersion } from '../standards/version.js';
import type { AvailabilityDiscovery } from './framework-availability.js';
import { userPinsProject, vendorIndexError } from './framework-messages.js';

/** An index pinned to one project for one lock (e.g. --framework's vendor index). */
export interface ExtraIndexPin {
  readonly project: string;
  readonly name: string;
  readonly url: string;
}

/** One resolution attempt: the requirements with the framework's pin, and its index pins. */
export type LockAttempt<T> = (
  requirements: RequirementsFileResult,
  pins: readonly ExtraIndexPin[],
) => Promise<T>;

export interface FrameworkLockOptions {
  readonly request: FrameworkRequest;
  readonly targets: readonly SettledTarget[];
  /** The user's own requirements and constraints, the framework's are added to them. */
  readonly base: RequirementsFileResult;
  /** --index-for values: a project the user pinned keeps that index over the table's. */
  readonly indexFor: readonly string[];
  readonly events?: EventSink;
  /**
   * Reads which releases the chosen build's index holds (and what the configured indexes hold
   * when it cannot be reached); without it the recorded availability decides.
   */
  readonly discovery?: AvailabilityDiscovery;
}

/**
 * Locks the framework build chosen for the targets, falling back to older releases of its
 * series (only when no version was asked for) while the framework itself has no wheel for the
 * target. Any other failure, or the last release failing, is thrown (with the vendor index
 * named when it is the one that could not be reached).
 */
export async function lockFramework<T>(
  options: FrameworkLockOptions,
  attempt: LockAttempt<T>,
): Promise<T> {
  const { request, targets, base, events, discovery } = options;
  // pip applies constraints to every requirement, the framework's pin too: a release they
  // exclude is never chosen (the resolver would refuse it).
  const constraints = base.constraints;
  const first = await chooseDiscovered(request, targets, discovery, constraints);
  const availability = discovery?.availability;
  const releases = request.version === undefined ? olderReleases(first) : [first.version];
  const said = new Set<string>();
  for (const [i, release] of releases.entries()) {
    const choice =
      i === 0
        ? first
        : chooseForTargets({ ...request, version: release }, targets, availability, constraints);
    const { reqs, pins: vendorPins } = withFramework(base, choice, request.framework);
    // Each note once, however many releases are tried.
    for (const note of choice.notes.filter((n) => !said.has(n))) {
      said.add(note);
      events?.({ type: 'info', message: note });
    }
    // The user's own --index-for PROJECT=NAME wins over the table's vendor index.
    const pins = userPinsProject(options.indexFor, choice.project) ? [] : vendorPins;
    try {
      return await attempt(reqs, pins);
    } catch (error) {
      const next = releases[i + 1];
      if (!hasNoWheel(error, choice) || next === undefined)
        throw vendorIndexError(error, choice) ?? error;
      events?.({
        type: 'warning',
        code: 'ERR_FERRY_VARIANT_FALLBACK',
        message: `${choice.requirement} has no wheel for the target; trying ${request.framework} ${next} (pin one with --framework-version)`,
      });
    }
  }
  throw new Error('unreachable: the loop returns or throws');
}

/** The resolution failed because the framework project itself has no file for the target. */
function hasNoWheel(error: unknown, choice: VariantChoice): boolean {
  return (
    error instanceof FerryError &&
    (error.code === 'ERR_FERRY_NO_COMPATIBLE_FILE' ||
      error.code === 'ERR_FERRY_RESOLUTION_IMPOSSIBLE') &&
    error.details?.project === choice.project
  );
}

/**
 * Chooses, reads the chosen build's index, and chooses again until nothing new is learnt: the
 * pin then names a release the index (or, when it is unreachable, the recorded availability or
 * the configured indexes) holds for the target.
 */
export async function chooseDiscovered(
  request: FrameworkRequest,
  targets: readonly SettledTarget[],
  discovery: AvailabilityDiscovery | undefined,
  constraints: readonly SourcedConstraint[],
): Promise<VariantChoice> {
  if (discovery === undefined) return chooseForTargets(request, targets, undefined, constraints);
  // Each round reads one more (index, project); the table names a handful of indexes per project.
  for (let round = 0; ; round++) {
    const choice = chooseForTargets(request, targets, discovery.availability, constraints);
    if (round > 32 || !(await discovery.learn(choice.index, choice.project))) return choice;
  }
}

/** One build for every target, or a refusal naming the builds they would need. */
export function chooseForTargets(
  request: FrameworkRequest,
  targets: readonly SettledTarget[],
  availability?: Availability,
  constraints: readonly SourcedConstraint[] = [],
): VariantChoice {
  const choices = targets.map((s) =>
    chooseFramework(request, s.target, s.profile, availability, constraints),
  );
  const builds = [...new Set(choices.map((c) => c.requirement))];
  if (builds.length > 1) {
    throw new FerryError(
      'ERR_FERRY_VARIANT_TARGETS_DIFFER',
      `The targets need different builds of ${request.framework}: ${builds.join(', ')}.`,
      {
        hint: 'Bundle each target separately, or pass --framework-version and --cuda so that one build fits all.',
      },
    );
  }
  return choices[0]!;
}

/** The chosen release and the older ones of its series in ferry's table, newest first. */
export function olderReleases(choice: VariantChoice): string[] {
  const series = loadFrameworkTable().series.find(
    (s) => s.framework === choice.framework && s.versions.includes(choice.version),
  );
  const versions = (series?.versions ?? [choice.version]).filter(
    (v) => compareVersions(parseVersion(v), parseVersion(choice.version)) <= 0,
  );
  return versions.sort((a, b) => compareVersions(parseVersion(b), parseVersion(a)));
}

function withFramework(
  base: RequirementsFileResult,
  choice: VariantChoice,
  framework: string,
): { reqs: RequirementsFileResult; pins: ExtraIndexPin[] } {
  const source = `--framework ${framework}`;
  const pins: ExtraIndexPin[] = [];
  // The vendor's own index, pinned for this project only (never searched for anything else).
  if (choice.index !== 'default')
    pins.push({
      project: choice.project,
      name: `${choice.project}-${isCudaBuild(choice.cuda) ? `cu${choice.cuda.replace('.', '')}` : choice.cuda}`,
      url: choice.index,
    });
  return {
    reqs: {
      ...base,
      requirements: [
        ...base.requirements,
        { requirement: parseRequirement(choice.requirement), source },
        ...(choice.alsoRequires ?? []).map((r) => ({ requirement: parseRequirement(r), source })),
      ],
      constraints: [
        ...base.constraints,
        ...choice.constraints.map((c) => ({ requirement: parseRequirement(c), source })),
      ],
    },
    pins,
  };
}
