/** PEP 751 lock files: choosing what to install for one target (the specification's "Installation" steps). */
import { FerryError } from '../../core/errors.js';
import { parseWheelFilename } from '../../standards/filename.js';
import { evaluateMarker, type MarkerEnvironment, parseMarker } from '../../standards/marker.js';
import type { NormalizedName } from '../../standards/name.js';
import { parseSpecifierSet, specifierSetContains } from '../../standards/specifier.js';
import { bestWheelRank, tagRanking } from '../../standards/tags.js';

import type { PylockFile, PylockPackage, PylockWheel } from './types.js';

export interface LockSelection {
  readonly name: NormalizedName;
  readonly version: string;
  readonly package: PylockPackage;
  readonly wheel: PylockWheel;
}

export interface SelectOptions {
  /** The target's name, for messages. */
  readonly target?: string;
  /** Extras to install (the `extras` marker set); default none. */
  readonly extras?: readonly string[];
  /** Dependency groups; default the lock's default-groups. */
  readonly dependencyGroups?: readonly string[];
}

export function describeEnvironment(env: MarkerEnvironment, target: string | undefined): string {
  const facts = `${env.implementation_name} ${env.python_full_version}, ${env.sys_platform} ${env.platform_machine}`;
  return target === undefined ? `this environment (${facts})` : `target "${target}" (${facts})`;
}

/**
 * Chooses what to install for one environment, following the specification's installation
 * steps: lock and package requires-python, environments, package markers, one entry per name,
 * then the wheel whose best tag ranks highest in `tags` (best first). ferry installs wheels
 * only: a package with no fitting wheel is an error (ERR_FERRY_LOCK_NO_WHEEL) even when the
 * lock holds an sdist, so that a missing build is found before the media crosses the gap.
 */
export function selectFromLock(
  lock: PylockFile,
  env: MarkerEnvironment,
  tags: readonly string[],
  opts: SelectOptions = {},
): LockSelection[] {
  const where = describeEnvironment(env, opts.target);
  const python = env.python_full_version.endsWith('+')
    ? `${env.python_full_version}local`
    : env.python_full_version;
  if (
    lock.requiresPython !== undefined &&
    !specifierSetContains(parseSpecifierSet(lock.requiresPython), python)
  ) {
    throw new FerryError(
      'ERR_FERRY_LOCK_PYTHON',
      `${lock.source} requires Python ${lock.requiresPython}, but ${where} has ${python}`,
      {
        hint: 'Lock again for this target (ferry lock --target ...), or use a Python the lock was made for.',
      },
    );
  }
  // PEP 751: "If environments is specified, check that at least one of the environment marker
  // expressions is satisfied" -- an empty list is satisfied by none.
  if (lock.environments !== undefined) {
    const fits = lock.environments.some((e) => evaluateMarker(parseMarker(e), env));
    if (!fits) {
      throw new FerryError(
        'ERR_FERRY_LOCK_ENVIRONMENT',
        `${lock.source} was not made for ${where}: none of its ${lock.environments.length} environments match`,
        {
          hint: 'Lock again with this target added (ferry probe on the host gives its description).',
          details: { environments: lock.environments },
        },
      );
    }
  }
  const extras = opts.extras ?? [];
  const groups = opts.dependencyGroups ?? lock.defaultGroups ?? [];
  const chosen = new Map<string, { index: number; pkg: PylockPackage }>();
  lock.packages.forEach((pkg, index) => {
    if (pkg.marker !== undefined && !evaluateMarker(parseMarker(pkg.marker), env, extras, groups))
      return;
    if (
      pkg.requiresPython !== undefined &&
      !specifierSetContains(parseSpecifierSet(pkg.requiresPython), python)
    ) {
      throw new FerryError(
        'ERR_FERRY_LOCK_PYTHON',
        `${pkg.name} ${pkg.version ?? ''} in ${lock.source} (packages[${index}]) requires Python ${pkg.requiresPython}, but ${where} has ${python}`,
        { hint: 'Lock again for this target so that a version supporting its Python is chosen.' },
      );
    }
    const earlier = chosen.get(pkg.name);
    if (earlier !== undefined) {
      throw new FerryError(
        'ERR_FERRY_LOCK_AMBIGUOUS',
        `${lock.source} selects ${pkg.name} twice for ${where}: packages[${earlier.index}] and packages[${index}]`,
        {
          hint: 'Their markers overlap; write one lock per target (pylock.<target>.toml) or lock again.',
        },
      );
    }
    chosen.set(pkg.name, { index, pkg });
  });

  const ranking = tagRanking(tags);
  const missing: { name: string; version: string; wheels: string[]; sdist: boolean }[] = [];
  const out: LockSelection[] = [];
  for (const { pkg } of chosen.values()) {
    if (pkg.vcs !== undefined || pkg.directory !== undefined || pkg.archive !== undefined) {
      const kind =
        pkg.vcs !== undefined
          ? 'a VCS checkout'
          : pkg.directory !== undefined
            ? 'a local directory'
            : 'an archive';
      throw new FerryError(
        'ERR_FERRY_LOCK_UNSUPPORTED_SOURCE',
        `${pkg.name} in ${lock.source} comes from ${kind}; ferry carries wheels only`,
        {
          hint: 'Build a wheel of it, publish it to an index or a find-links folder, and lock again.',
        },
      );
    }
    let best: { wheel: PylockWheel; rank: number; build: number } | undefined;
    for (const wheel of pkg.wheels ?? []) {
      const parsed = parseWheelFilename(wheel.name);
      const rank = bestWheelRank(parsed, ranking);
      if (rank === undefined) continue;
      const build = parsed.build?.number ?? -1;
      // Lower rank wins; on a tie pip prefers the higher build number; then lock order.
      if (best === undefined || rank < best.rank || (rank === best.rank && build > best.build)) {
        best = { wheel, rank, build };
      }
    }
    const version =
      pkg.version ?? (pkg.wheels?.[0] ? parseWheelFilename(pkg.wheels[0].name).version : '');
    if (best === undefined) {
      missing.push({
        name: pkg.name,
        version,
        wheels: (pkg.wheels ?? []).map((w) => w.name),
        sdist: pkg.sdist !== undefined,
      });
      continue;
    }
    out.push({ name: pkg.name, version, package: pkg, wheel: best.wheel });
  }
  if (missing.length > 0) {
    const list = missing
      .map(
        (m) =>
          `${m.name} ${m.version}${m.wheels.length === 0 ? ' (no wheels)' : ` (wheels: ${m.wheels.join(', ')})`}`,
      )
      .join('; ');
    const sdistOnly = missing.filter((m) => m.sdist).map((m) => m.name);
    throw new FerryError(
      'ERR_FERRY_LOCK_NO_WHEEL',
      `${lock.source} has no wheel that fits ${where} for ${missing.length === 1 ? '' : `${missing.length} packages: `}${list}`,
      {
        hint:
          sdistOnly.length > 0
            ? `Only an sdist is locked for ${sdistOnly.join(', ')}: build a wheel on a machine like the target and add it, or lock for this target.`
            : 'Lock again for this target (its tags decide which wheels are chosen).',
        details: { target: opts.target, packages: missing, tags: tags.slice(0, 20) },
      },
    );
  }
  return out;
}
