/**
 * `ferry sync`: the scheduled update. Each requirement set is locked for the targets, the
 * locks are merged into one closure, and only what the base lacks (the ledger of bundles
 * written here, an inventory sent back, or the store it publishes into) is downloaded into a
 * dated delta bundle `OUTDIR/ferry-YYYYMMDD-HHMMSS/`. When nothing is new nothing is written,
 * and the CLI exits with a status of its own (11), so a timer carries media only when needed.
 * docs/deltas.md shows a systemd timer and a cron line.
 */
import { join } from 'node:path';
import type { Locked, LockedPackage } from '../bundle/locked.js';
import { signBundle } from '../bundle/sign.js';
import type { EventSink } from '../core/events.js';
import type { ContentCache } from '../fetch/cache.js';
import type { IndexClient } from '../index/client.js';
import { normalizeName } from '../standards/name.js';
import type { SecretKey } from '../trust/keys.js';
import { type BuildBundleResult, bundle } from './bundle.js';
import { type DeltaBase, splitAgainstBase } from './delta.js';
import { type ImportResult, importBundle } from './import.js';
import { mergeTrimRecords } from './trim.js';

/** `ferry-YYYYMMDD-HHMMSS` in UTC: sorts by time, one per run. */
export function datedBundleName(now: Date): string {
  const iso = now.toISOString(); // 2026-01-31T08:05:09.123Z
  return `ferry-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * One closure from several locks: a package (name and version) once, with the union of its
 * files, targets and who requires it; requirements and constraints of every set. Two versions
 * of one project (two sets that disagree) are both kept: the store serves both.
 */
export function mergeLocks(locks: readonly Locked[]): Locked {
  const [first] = locks;
  if (first === undefined) throw new Error('mergeLocks: no lock');
  if (locks.length === 1) return first;
  const packages = new Map<string, LockedPackage>();
  for (const lock of locks)
    for (const pkg of lock.packages) {
      const key = `${normalizeName(pkg.name)}@${pkg.version}`;
      const have = packages.get(key);
      if (have === undefined) {
        packages.set(key, pkg);
        continue;
      }
      const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];
      packages.set(key, {
        ...have,
        files: [
          ...have.files,
          ...pkg.files.filter((f) => !have.files.some((g) => g.sha256 === f.sha256)),
        ],
        targets: union(have.targets, pkg.targets),
        requiredBy: union(have.requiredBy, pkg.requiredBy),
        extras: union(have.extras, pkg.extras),
        dependencies: union(have.dependencies, pkg.dependencies),
      });
    }
  const unionStrings = (pick: (l: Locked) => readonly string[]): string[] => [
    ...new Set(locks.flatMap(pick)),
  ];
  return {
    targets: first.targets,
    packages: [...packages.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1,
    ),
    requirements: unionStrings((l) => l.requirements),
    constraints: unionStrings((l) => l.constraints),
    indexes: unionStrings((l) => l.indexes),
    ...mergeTrimRecords(locks),
  };
}

export interface SyncRequest {
  /** One lock per requirement set (each for all the targets). */
  readonly locks: readonly Locked[];
  readonly client: IndexClient;
  readonly cache: ContentCache;
  readonly base: DeltaBase;
  readonly outDir: string;
  readonly toolVersion: string;
  readonly ledger?: string;
  /** Sign the bundle with this key once it is written. */
  readonly key?: SecretKey;
  /** Publish it into this store (`--into`), verified with these key files. */
  readonly into?: { readonly store: string; readonly keyFiles: readonly string[] };
  readonly now?: () => Date;
  readonly concurrency?: number;
  readonly events?: EventSink;
}

export interface SyncResult {
  /** false: nothing new since the base; nothing was written. */
  readonly wrote: boolean;
  readonly bundle?: string;
  readonly packages: number;
  readonly carried: number;
  readonly inBase: number;
  readonly bytes: number;
  readonly digest?: string;
  readonly imported?: ImportResult;
}

export async function sync(request: SyncRequest): Promise<SyncResult> {
  const locked = mergeLocks(request.locks);
  const split = splitAgainstBase(locked, request.base);
  const carried = split.carried.packages.reduce((n, p) => n + p.files.length, 0);
  if (carried === 0)
    return {
      wrote: false,
      packages: locked.packages.length,
      carried: 0,
      inBase: split.baseFiles.length,
      bytes: 0,
    };
  const now = request.now?.() ?? new Date();
  const outDir = join(request.outDir, datedBundleName(now));
  const built: BuildBundleResult = await bundle({
    locked,
    client: request.client,
    cache: request.cache,
    outDir,
    toolVersion: request.toolVersion,
    fromLockFile: false,
    createdAt: now,
    since: request.base,
    ...(request.ledger === undefined ? {} : { ledger: request.ledger }),
    now: () => now,
    ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
    ...(request.events === undefined ? {} : { events: request.events }),
  });
  if (request.key !== undefined) await signBundle(built.outDir, request.key);
  const imported =
    request.into === undefined
      ? undefined
      : await importBundle({
          bundle: built.outDir,
          store: request.into.store,
          keyFiles: request.into.keyFiles,
          ...(request.events === undefined ? {} : { events: request.events }),
          now: () => now,
        });
  return {
    wrote: true,
    bundle: built.outDir,
    packages: locked.packages.length,
    carried: built.files.length,
    inBase: built.baseFiles?.length ?? 0,
    bytes: built.bytes,
    ...(built.digest === undefined ? {} : { digest: built.digest }),
    ...(imported === undefined ? {} : { imported }),
  };
}
