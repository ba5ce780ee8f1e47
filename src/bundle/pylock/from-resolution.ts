/** PEP 751 lock files: mapping a resolution for one or more targets to a lock. */
import { FerryError } from '../../core/errors.js';
import { evaluateMarker, type MarkerEnvironment, parseMarker } from '../../standards/marker.js';
import { compareVersions, tryParseVersion } from '../../standards/version.js';
import type { LockedFile, LockedPackage } from '../locked.js';
import { compareText, normalizeUploadTime } from './shared.js';
import type { LockFileInput, LockInput, LockPackageInput, LockTable } from './types.js';
import { safeNormalize } from './write.js';

/** The facts of a resolution that a lock records (the lead's `Locked` fits this shape). */
export interface ResolvedForLock {
  readonly targets: readonly { readonly name: string; readonly markers: MarkerEnvironment }[];
  readonly packages: readonly Pick<
    LockedPackage,
    'name' | 'version' | 'dependencies' | 'targets' | 'files'
  >[];
  /** Written to [tool.ferry] for the record. */
  readonly requirements?: readonly string[];
  readonly constraints?: readonly string[];
}

export function quoteMarkerValue(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/**
 * The environment marker that picks out a target: implementation, Python X.Y, OS and machine.
 * (glibc, CUDA and CPU features are not marker variables; targets differing only there share
 * a marker, and tags choose between their wheels.)
 */
export function environmentMarker(env: MarkerEnvironment): string {
  return [
    `implementation_name == ${quoteMarkerValue(env.implementation_name)}`,
    `python_version == ${quoteMarkerValue(env.python_version)}`,
    `sys_platform == ${quoteMarkerValue(env.sys_platform)}`,
    `platform_machine == ${quoteMarkerValue(env.platform_machine)}`,
  ].join(' and ');
}

/**
 * Maps a resolution for one or more targets to a lock: one `environments` marker per target;
 * a package needed by only some targets gets a marker naming theirs; `dependencies` carry a
 * version where a name has several entries. Throws ERR_FERRY_LOCK_AMBIGUOUS when two targets
 * that markers cannot tell apart need different versions of a package (one lock per target
 * is then the answer).
 */
export function lockInputFromResolution(resolved: ResolvedForLock): LockInput {
  const markerOf = new Map(resolved.targets.map((t) => [t.name, environmentMarker(t.markers)]));
  const environments = [...new Set(markerOf.values())].sort();
  const entriesByName = new Map<string, ResolvedForLock['packages'][number][]>();
  for (const p of resolved.packages) {
    const key = safeNormalize(p.name);
    entriesByName.set(key, [...(entriesByName.get(key) ?? []), p]);
  }
  const packages: LockPackageInput[] = resolved.packages.map((p) => {
    if (p.files.length === 0) {
      throw new FerryError(
        'ERR_FERRY_LOCK_NO_FILES',
        `${p.name} ${p.version} has no files to lock`,
        {
          hint: 'Every locked package needs at least one wheel or sdist with a SHA-256.',
        },
      );
    }
    const needed = [
      ...new Set(p.targets.map((t) => markerOf.get(t)).filter((m): m is string => m !== undefined)),
    ].sort();
    const marker =
      needed.length === 0 || needed.length === environments.length
        ? undefined
        : needed.map((m) => (needed.length === 1 ? m : `(${m})`)).join(' or ');
    const wheels = p.files.filter((f) => f.filename.endsWith('.whl'));
    const sdists = p.files
      .filter((f) => !f.filename.endsWith('.whl'))
      .sort((a, b) => compareText(a.filename, b.filename));
    const toDist = (f: LockedFile): LockFileInput => ({
      name: f.filename,
      url: f.url,
      ...(f.size === undefined ? {} : { size: f.size }),
      ...(f.uploadTime === undefined || normalizeUploadTime(f.uploadTime) === undefined
        ? {}
        : { uploadTime: f.uploadTime }),
      hashes: { sha256: f.sha256 },
    });
    const indexes = [...new Set(p.files.map((f) => f.index))];
    const requiresPython = [...new Set(p.files.map((f) => f.requiresPython ?? ''))];
    const dependencies: LockTable[] = [];
    for (const dep of [...new Set(p.dependencies.map(safeNormalize))].sort()) {
      const entries = entriesByName.get(dep) ?? [];
      if (entries.length <= 1) {
        dependencies.push({ name: dep });
        continue;
      }
      for (const e of entries) {
        if (e.targets.some((t) => p.targets.includes(t)))
          dependencies.push({ name: dep, version: e.version });
      }
    }
    return {
      name: safeNormalize(p.name),
      version: p.version,
      ...(marker === undefined ? {} : { marker }),
      ...(requiresPython.length === 1 && requiresPython[0] !== ''
        ? { requiresPython: requiresPython[0]! }
        : {}),
      ...(indexes.length === 1 && indexes[0] !== '' ? { index: indexes[0]! } : {}),
      dependencies,
      ...(sdists[0] === undefined ? {} : { sdist: toDist(sdists[0]) }),
      ...(wheels.length === 0 ? {} : { wheels: wheels.map(toDist) }),
      tool: { ferry: { targets: [...p.targets].sort() } },
    };
  });
  // Two entries of one name must never both hold for a target.
  for (const t of resolved.targets) {
    const seen = new Map<string, LockPackageInput>();
    for (const pkg of packages) {
      if (pkg.marker !== undefined && !evaluateMarker(parseMarker(pkg.marker), t.markers)) continue;
      const earlier = seen.get(pkg.name);
      if (earlier !== undefined && earlier.version !== pkg.version) {
        throw new FerryError(
          'ERR_FERRY_LOCK_AMBIGUOUS',
          `Target "${t.name}" would select both ${pkg.name} ${earlier.version} and ${pkg.version}: its marker (${markerOf.get(t.name)}) does not tell it apart from another target`,
          {
            hint: 'Targets that differ only in glibc, CUDA or CPU features need one lock each: lock them separately (pylock.<target>.toml).',
          },
        );
      }
      seen.set(pkg.name, pkg);
    }
  }
  const pythons = resolved.targets
    .map((t) => tryParseVersion(t.markers.python_version))
    .filter((v) => v !== undefined)
    .sort(compareVersions);
  const lowest = pythons[0];
  const tool: Record<string, unknown> = { targets: resolved.targets.map((t) => t.name) };
  if (resolved.requirements !== undefined) tool.requirements = [...resolved.requirements];
  if (resolved.constraints !== undefined && resolved.constraints.length > 0)
    tool.constraints = [...resolved.constraints];
  return {
    ...(environments.length === 0 ? {} : { environments }),
    ...(lowest === undefined ? {} : { requiresPython: `>=${lowest.release.join('.')}` }),
    createdBy: 'ferry',
    packages,
    tool: { ferry: tool },
  };
}
