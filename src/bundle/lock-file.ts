/**
 * Between a resolution (`Locked`) and pylock.toml (PEP 751). ferry records each target in full
 * under [tool.ferry] so that `ferry bundle --lock` rebuilds exactly the bundle the lock
 * describes, with no resolution and no guessing about the targets.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { FerryError } from '../core/errors.js';
import { parseWheelFilename } from '../standards/filename.js';
import { evaluateMarker, parseMarker } from '../standards/marker.js';
import { normalizeName } from '../standards/name.js';
import { bestWheelRank, tagRanking } from '../standards/tags.js';
import type { Target } from '../standards/target.js';
import { targetTags } from '../standards/target.js';
import { writeFileAtomic } from '../store/index.js';
import type {
  Locked,
  LockedExclusion,
  LockedFile,
  LockedOverride,
  LockedPackage,
} from './locked.js';
import { formatPylock, lockInputFromResolution, type PylockFile } from './pylock.js';

export function formatLockFile(locked: Locked): string {
  const input = lockInputFromResolution(locked);
  const ferry = (input.tool?.ferry ?? {}) as Record<string, unknown>;
  // PEP 751 has no yanked field: a yanked release the user pinned is recorded in the
  // package's [packages.tool.ferry] as PEP 691 writes it (yanked = "reason", or true).
  const yanked = new Map(
    locked.packages
      .filter((p) => p.yanked !== undefined)
      .map((p) => [`${normalizeName(p.name)} ${p.version}`, p.yanked!]),
  );
  // An sdist to be built into a wheel on the bundling host (src/ops/build-sdists.ts) is marked
  // build = "host", so that `ferry bundle --lock` builds it rather than carrying it.
  const hostBuilt = new Set(
    locked.packages
      .filter((p) => p.build === 'host')
      .map((p) => `${normalizeName(p.name)} ${p.version}`),
  );
  const packages = input.packages.map((pkg) => {
    const key = `${normalizeName(pkg.name)} ${pkg.version ?? ''}`;
    const mark = yanked.get(key);
    if (mark === undefined && !hostBuilt.has(key)) return pkg;
    const tool = (pkg.tool ?? {}) as Record<string, unknown>;
    return {
      ...pkg,
      tool: {
        ...tool,
        ferry: {
          ...((tool.ferry ?? {}) as Record<string, unknown>),
          ...(mark === undefined ? {} : { yanked: mark }),
          ...(hostBuilt.has(key) ? { build: 'host' } : {}),
        },
      },
    };
  });
  return formatPylock({
    ...input,
    packages,
    tool: {
      ...input.tool,
      ferry: {
        ...ferry,
        indexes: [...locked.indexes],
        'target-details': locked.targets.map(targetRecord),
        // What was trimmed and why (docs/trimming.md): read back by `ferry bundle --lock`.
        ...(locked.exclusions === undefined || locked.exclusions.length === 0
          ? {}
          : {
              exclusions: locked.exclusions.map((e) => ({
                name: e.name,
                reason: e.reason,
                'required-by': [...e.requiredBy],
              })),
            }),
        ...(locked.overrides === undefined || locked.overrides.length === 0
          ? {}
          : {
              overrides: locked.overrides.map((o) => ({
                requirement: o.requirement,
                reason: o.reason,
                replaced: [...o.replaced],
              })),
            }),
      },
    },
  });
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const tables = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value)
    ? value.filter(
        (v): v is Record<string, unknown> =>
          typeof v === 'object' && v !== null && !Array.isArray(v),
      )
    : [];

/** [tool.ferry] exclusions and overrides as formatLockFile writes them. */
export function trimFromLockTool(ferry: Record<string, unknown>): {
  exclusions?: LockedExclusion[];
  overrides?: LockedOverride[];
} {
  const exclusions = tables(ferry.exclusions)
    .filter((e) => typeof e.name === 'string')
    .map((e) => ({
      name: e.name as string,
      reason: typeof e.reason === 'string' ? e.reason : '',
      requiredBy: strings(e['required-by']),
    }));
  const overrides = tables(ferry.overrides)
    .filter((o) => typeof o.requirement === 'string')
    .map((o) => ({
      requirement: o.requirement as string,
      reason: typeof o.reason === 'string' ? o.reason : '',
      replaced: strings(o.replaced),
    }));
  return {
    ...(exclusions.length === 0 ? {} : { exclusions }),
    ...(overrides.length === 0 ? {} : { overrides }),
  };
}

/** A Target as plain TOML-friendly data (no undefined values). */
function targetRecord(t: Target): Record<string, unknown> {
  return JSON.parse(JSON.stringify(t)) as Record<string, unknown>;
}

/**
 * The packages and files a lock names, for the given targets: the targets recorded in the lock
 * by ferry, or (for a lock written by another tool) the ones given on the command line.
 */
export function lockedFromPylock(lock: PylockFile, fallbackTargets: readonly Target[]): Locked {
  const ferry = (lock.tool?.ferry ?? {}) as Record<string, unknown>;
  const recorded = Array.isArray(ferry['target-details'])
    ? (ferry['target-details'] as Target[])
    : undefined;
  const targets = recorded ?? [...fallbackTargets];
  if (targets.length === 0) {
    throw new FerryError(
      'ERR_FERRY_BAD_LOCK',
      `${lock.source} does not say which targets it is for.`,
      {
        hint: 'Pass the targets with --target (as when it was made).',
      },
    );
  }
  const rankings = targets.map((t) => tagRanking(targetTags(t)));
  const packages: LockedPackage[] = [];
  for (const pkg of lock.packages) {
    const forTargets = targets.filter(
      (t) => pkg.marker === undefined || evaluateMarker(parseMarker(pkg.marker), t.markers),
    );
    if (forTargets.length === 0) continue;
    const recordedTargets =
      ((pkg.tool?.ferry as Record<string, unknown> | undefined)?.targets as string[] | undefined) ??
      forTargets.map((t) => t.name);
    const files: LockedFile[] = [];
    for (const wheel of pkg.wheels ?? []) {
      // Only the wheels some target can install: a lock may list wheels for other platforms.
      const parsed = parseWheelFilename(wheel.name);
      const fits = targets.some(
        (t, i) =>
          recordedTargets.includes(t.name) && bestWheelRank(parsed, rankings[i]!) !== undefined,
      );
      if (!fits && recorded === undefined) continue;
      const sha256 = wheel.hashes.sha256;
      if (sha256 === undefined || wheel.url === undefined) {
        throw new FerryError(
          'ERR_FERRY_BAD_LOCK',
          `${lock.source}: ${pkg.name} ${pkg.version ?? ''} wheel ${wheel.name} has no ${sha256 === undefined ? 'sha256 hash' : 'url'}.`,
          {
            hint: 'ferry downloads from the URL a lock records and checks the SHA-256 it records; regenerate the lock with ferry lock.',
          },
        );
      }
      files.push({
        filename: wheel.name,
        url: wheel.url,
        index: pkg.index ?? '',
        sha256,
        ...(wheel.size === undefined ? {} : { size: wheel.size }),
        ...(wheel.uploadTime === undefined ? {} : { uploadTime: wheel.uploadTime }),
      });
    }
    // An sdist ferry locked to be built on the bundling host (build = "host"); other sdists are
    // still refused below, as before.
    const ferryTool = pkg.tool?.ferry as Record<string, unknown> | undefined;
    const hostBuild = ferryTool?.build === 'host';
    if (hostBuild && pkg.sdist?.url !== undefined && pkg.sdist.hashes.sha256 !== undefined) {
      files.push({
        filename: pkg.sdist.name,
        url: pkg.sdist.url,
        index: pkg.index ?? '',
        sha256: pkg.sdist.hashes.sha256,
        ...(pkg.sdist.size === undefined ? {} : { size: pkg.sdist.size }),
        ...(pkg.sdist.uploadTime === undefined ? {} : { uploadTime: pkg.sdist.uploadTime }),
      });
    }
    if (files.length === 0) {
      throw new FerryError(
        'ERR_FERRY_LOCK_NO_WHEEL',
        `${lock.source}: ${pkg.name} ${pkg.version ?? ''} has no wheel for ${forTargets.map((t) => t.name).join(', ')}.`,
        {
          hint: 'Lock again for these targets (ferry lock --target ...).',
        },
      );
    }
    const yanked = (pkg.tool?.ferry as Record<string, unknown> | undefined)?.yanked;
    packages.push({
      name: pkg.name,
      version: pkg.version ?? '',
      ...(yanked === true || (typeof yanked === 'string' && yanked !== '') ? { yanked } : {}),
      extras: [],
      requiredBy: [],
      dependencies: (pkg.dependencies ?? []).map((d) => String(d.name)),
      targets: recordedTargets,
      files,
      ...(hostBuild && files.some((f) => !f.filename.endsWith('.whl'))
        ? { build: 'host' as const }
        : {}),
    });
  }
  return {
    targets,
    packages,
    requirements: Array.isArray(ferry.requirements) ? (ferry.requirements as string[]) : [],
    constraints: Array.isArray(ferry.constraints) ? (ferry.constraints as string[]) : [],
    indexes: Array.isArray(ferry.indexes) ? (ferry.indexes as string[]) : [],
    ...trimFromLockTool(ferry),
  };
}

function destination(path: string, problem: string, hint: string): FerryError {
  return new FerryError('ERR_FERRY_DESTINATION', `Cannot write "${path}": ${problem}`, { hint });
}

/**
 * Checks the path a lock is to be written to, before the (slow) resolution: not empty, not a
 * folder, and in a folder that exists. Returns how to write it: through a temporary file and
 * a rename (a regular file, or nothing yet), or straight into it (a character device or a
 * pipe, e.g. /dev/stdout, which a rename would replace).
 */
export async function checkLockOutput(path: string): Promise<'replace' | 'direct'> {
  if (path.trim() === '')
    throw destination(path, 'the path is empty', 'Give a file name, e.g. -o pylock.toml.');
  const full = resolvePath(path);
  const st = await stat(full).catch(() => undefined);
  if (st?.isDirectory() === true)
    throw destination(
      path,
      'it is a folder',
      `Name the file to write, e.g. -o ${join(path, 'pylock.toml')}.`,
    );
  if (st !== undefined && (st.isCharacterDevice() || st.isFIFO())) return 'direct';
  if (st !== undefined && !st.isFile())
    throw destination(path, 'it exists and is not a regular file', 'Choose another -o path.');
  const parent = dirname(full);
  const dir = await stat(parent).catch(() => undefined);
  if (dir === undefined)
    throw destination(
      path,
      `the folder "${dirname(path)}" does not exist`,
      `Create it first (mkdir -p ${dirname(path)}) or choose another -o path.`,
    );
  if (!dir.isDirectory())
    throw destination(path, `"${dirname(path)}" is not a folder`, 'Choose another -o path.');
  return 'replace';
}

/**
 * Writes a lock (or its requirements.txt export) whole or not at all: into a temporary file
 * beside it, renamed over it at the end, so a reader never sees half a lock and a failure
 * (a full disk, a folder removed meanwhile) leaves the earlier file as it was and no
 * temporary file behind.
 */
export async function writeLockOutput(path: string, text: string): Promise<void> {
  const how = await checkLockOutput(path);
  try {
    if (how === 'direct') {
      await writeFile(path, text);
      return;
    }
    await writeFileAtomic(resolvePath(path), text);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw destination(path, e.message, 'Check the path and that its disk has room.');
  }
}
