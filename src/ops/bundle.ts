/**
 * The bundle use case: download every file a lock names (parallel, hash-checked, cached) and
 * write the bundle folder. The lock comes from a fresh resolution (lock.ts) or from a
 * pylock.toml; either way the bundle holds exactly the files the lock names and nothing else.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, resolve as resolvePath } from 'node:path';
import type { Policy } from '../audit/policy.js';
import { uvToolPath } from '../bundle/installer-tool.js';
import { ledgerRecordOf, recordInLedger } from '../bundle/ledger.js';
import { formatLockFile, lockedFromPylock } from '../bundle/lock-file.js';
import type { Locked, LockedFile } from '../bundle/locked.js';
import {
  BUNDLE_FORMAT_VERSION,
  type Manifest,
  type ManifestBase,
  type ManifestBaseFile,
  type ManifestBuilt,
  type ManifestFile,
  type ManifestTool,
  manifestTrim,
} from '../bundle/manifest.js';
import { formatPylock, parsePylock, relocatePylock } from '../bundle/pylock.js';
import { formatRequirementsTxt } from '../bundle/requirements-txt.js';
import { writeBundleFolder } from '../bundle/write-folder.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import type { ContentCache } from '../fetch/cache.js';
import { downloadAll } from '../fetch/download.js';
import type { IndexClient } from '../index/client.js';
import { mirrorFileUrls } from '../index/mirror-files.js';
import { describeTarget, type Target, targetTags } from '../standards/target.js';
import { enforceLicencePolicy, enforcePolicyOnLock } from './audit.js';
import { buildSdistsOnHost } from './build-sdists.js';
import { installerTools, type ToolDownload } from './bundle-installer.js';
import { type DeltaBase, splitAgainstBase } from './delta.js';

/**
 * A lock read back from pylock.toml, for `ferry bundle --lock`. The targets come from the lock
 * when ferry recorded them there; `targets` is asked only for a lock written by another tool.
 */
export async function lockedFromLockText(
  text: string,
  source: string,
  targets: () => Promise<readonly Target[]>,
): Promise<Locked> {
  const lock = parsePylock(text, source);
  const recorded = Array.isArray(
    (lock.tool?.ferry as Record<string, unknown> | undefined)?.['target-details'],
  );
  return lockedFromPylock(lock, recorded ? [] : [...(await targets())]);
}

export interface BundleRequest {
  readonly locked: Locked;
  /** The index client the lock was made with (or one for the same indexes): credentials, mirrors. */
  readonly client: IndexClient;
  readonly cache: ContentCache;
  readonly outDir: string;
  readonly toolVersion: string;
  /** The lock came from a pylock.toml (`--lock`), not from a fresh resolution. */
  readonly fromLockFile: boolean;
  /** SOURCE_DATE_EPOCH, when set. */
  readonly createdAt?: Date;
  readonly force?: boolean;
  readonly concurrency?: number;
  readonly sm3?: boolean;
  readonly events?: EventSink;
  /** ferry-policy.toml (`--policy`): checked before the download, licences after it. */
  readonly policy?: Policy;
  /** `--since`: carry only the files this base lacks (a delta bundle, docs/deltas.md). */
  readonly since?: DeltaBase;
  /** Record the bundle in this ledger folder (src/bundle/ledger.ts) once it is written. */
  readonly ledger?: string;
  /** The time recorded in the ledger (default now). */
  readonly now?: () => Date;
  /**
   * `--installer`: 'uv' (default) carries uv's wheel for the targets it runs on, so the target
   * installs with uv (src/ops/bundle-installer.ts); 'pip' leaves it out.
   */
  readonly installer?: 'uv' | 'pip';
}

/**
 * The bundle use case: the bundle carries its own lock (paths pointing at its wheels/), and
 * every file is fetched from its index or, when that fails, from the index's mirrors.
 */
export async function bundle(request: BundleRequest): Promise<BuildBundleResult> {
  const { client, policy } = request;
  if (policy !== undefined) enforcePolicyOnLock(policy, request.locked);
  // Sdists the lock marks for this host are built into wheels first (src/ops/build-sdists.ts):
  // from here on the bundle carries, hashes and signs the wheels like any downloaded one.
  const host = await buildSdistsOnHost({
    locked: request.locked,
    client,
    cache: request.cache,
    ...(request.createdAt === undefined ? {} : { createdAt: request.createdAt }),
    ...(request.events ? { events: request.events } : {}),
  });
  const locked = host.locked;
  const bundled = relocatePylock(parsePylock(formatLockFile(locked), 'pylock.toml'), 'wheels');
  const createdAt =
    request.createdAt ?? (request.fromLockFile ? newestUploadTime(locked) : undefined);
  const tools = await installerTools(
    request.installer ?? 'uv',
    client,
    locked.targets,
    request.events,
    request.cache.dir,
  );
  // A delta downloads and carries only what the base lacks; the lock it carries is the whole one.
  const split = request.since === undefined ? undefined : splitAgainstBase(locked, request.since);
  const result = await buildBundle({
    locked: split?.carried ?? locked,
    ...(split === undefined ? {} : { base: split.base, baseFiles: split.baseFiles }),
    outDir: request.outDir,
    cache: request.cache,
    toolVersion: request.toolVersion,
    withCredentials: (url) => client.withCredentials(url),
    mirrorsFor: (file) => {
      // --mirror a,b: a file that fails on one mirror is fetched from the others.
      const index = client.config.indexes.find((i) =>
        [i.url, ...i.fallbacks].some((u) => redactUrl(u) === file.index),
      );
      return index === undefined ? [] : mirrorFileUrls(file.url, [index.url, ...index.fallbacks]);
    },
    ...(request.events ? { events: request.events } : {}),
    force: request.force === true,
    pylockToml: formatPylock(bundled),
    ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
    ...(createdAt === undefined ? {} : { createdAt }),
    sm3: request.sm3 === true,
    ...(host.built.size === 0 ? {} : { built: host.built }),
    ...(tools.length === 0 ? {} : { tools }),
    ...(policy === undefined
      ? {}
      : { checkFiles: (files: CheckedFile[]) => enforceLicencePolicy(policy, files) }),
  });
  if (request.ledger !== undefined) {
    const record = await ledgerRecordOf(
      result.outDir,
      basename(result.outDir),
      request.now?.() ?? new Date(),
    );
    await recordInLedger(request.ledger, record);
    return { ...result, digest: record.digest };
  }
  return result;
}

/**
 * For a bundle built from a lock: the newest upload time among its files, so that the same
 * lock rebuilds the same bytes (SOURCE_DATE_EPOCH, when set, is taken over it).
 */
export function newestUploadTime(locked: Locked): Date {
  const times = locked.packages.flatMap((p) =>
    p.files.map((f) => (f.uploadTime === undefined ? 0 : Date.parse(f.uploadTime))),
  );
  return new Date(Math.max(0, ...times.filter((t) => Number.isFinite(t))));
}

export interface BuildBundleOptions {
  readonly locked: Locked;
  readonly outDir: string;
  readonly cache: ContentCache;
  readonly toolVersion: string;
  /** Adds credentials back to a file URL for the download (IndexClient.withCredentials). */
  readonly withCredentials?: (url: string) => string;
  /** Other places the same file can be fetched from when its URL fails (the index's mirrors). */
  readonly mirrorsFor?: (file: LockedFile) => readonly string[];
  readonly events?: EventSink;
  readonly concurrency?: number;
  /** Replace a destination that is not a ferry bundle. */
  readonly force?: boolean;
  /** Fixed creation time (SOURCE_DATE_EPOCH) for reproducible manifests. */
  readonly createdAt?: Date;
  /** pylock.toml text to carry inside the bundle (paths relative to the bundle). */
  readonly pylockToml?: string;
  /** Record SM3 digests too (--sm3). */
  readonly sm3?: boolean;
  /** Called once every file is downloaded, before the folder is written (a policy's licence rule). */
  readonly checkFiles?: (files: CheckedFile[]) => Promise<void>;
  /** Wheels built on this host from sdists, by file name: their provenance for the manifest. */
  readonly built?: ReadonlyMap<string, ManifestBuilt>;
  /** A delta: what it builds on, and the files of the closure it relies on but does not carry. */
  readonly base?: ManifestBase;
  readonly baseFiles?: readonly ManifestBaseFile[];
  /** Tools carried in tools/ besides the closure (uv's wheel), downloaded hash-checked too. */
  readonly tools?: readonly ToolDownload[];
}

export interface CheckedFile {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  /** Where the downloaded file is (in the cache). */
  readonly path: string;
}

export interface BuildBundleResult {
  readonly outDir: string;
  readonly files: readonly ManifestFile[];
  readonly downloaded: number;
  readonly fromCache: number;
  readonly bytes: number;
  /** A delta: the files it relies on but does not carry. */
  readonly baseFiles?: readonly ManifestBaseFile[];
  /** SHA-256 of SHA256SUMS, when the bundle was recorded in a ledger. */
  readonly digest?: string;
}

export async function buildBundle(options: BuildBundleOptions): Promise<BuildBundleResult> {
  const outDir = resolvePath(options.outDir);
  await checkDestination(outDir, options.force === true);
  const { locked, events } = options;
  const entries = locked.packages.flatMap((p) => p.files.map((file) => ({ pkg: p, file })));
  const toolFiles = options.tools ?? [];
  const fetched = await downloadAll(
    [
      ...entries.map(({ file }) => ({
        url: options.withCredentials?.(file.url) ?? file.url,
        mirrors: (options.mirrorsFor?.(file) ?? []).map(
          (url) => options.withCredentials?.(url) ?? url,
        ),
        filename: file.filename,
        sha256: file.sha256,
        ...(file.size === undefined ? {} : { size: file.size }),
      })),
      ...toolFiles.map((t) => ({
        url: options.withCredentials?.(t.url) ?? t.url,
        filename: t.filename,
        sha256: t.sha256,
        ...(t.size === undefined ? {} : { size: t.size }),
      })),
    ],
    {
      cache: options.cache,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(events ? { events } : {}),
    },
  );
  const downloads = fetched.slice(0, entries.length);
  const tools: ManifestTool[] = toolFiles.map((t, i) => ({
    path: uvToolPath(t.filename),
    size: fetched[entries.length + i]!.size,
    sha256: fetched[entries.length + i]!.sha256,
    tool: t.tool,
    url: t.url,
    index: t.index,
  }));

  const files: ManifestFile[] = entries.map(({ pkg, file }, i) => ({
    path: `wheels/${file.filename}`,
    name: pkg.name,
    version: pkg.version,
    size: downloads[i]!.size,
    sha256: downloads[i]!.sha256,
    url: file.url,
    index: file.index,
    ...(options.built?.has(file.filename) === true
      ? { built: options.built.get(file.filename)! }
      : {}),
  }));
  await options.checkFiles?.(
    entries.map(({ pkg, file }, i) => ({
      name: pkg.name,
      version: pkg.version,
      filename: file.filename,
      path: options.cache.pathFor(downloads[i]!.sha256),
    })),
  );
  const manifest: Manifest = {
    formatVersion: BUNDLE_FORMAT_VERSION,
    tool: `ferry ${options.toolVersion}`,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    targets: locked.targets.map((t) => ({
      name: t.name,
      python: t.interpreter.fullVersion,
      implementation: t.interpreter.implementation,
      platform: describeTarget(t),
      tags: targetTags(t),
      markers: { ...t.markers },
    })),
    indexes: [...locked.indexes],
    requirements: [...locked.requirements],
    constraints: [...locked.constraints],
    packages: locked.packages.map((p) => ({
      name: p.name,
      version: p.version,
      requiredBy: [...p.requiredBy],
      extras: [...p.extras],
      dependencies: [...p.dependencies],
      targets: [...p.targets],
      // So the review sees it: a yanked release is in the bundle because someone pinned it.
      ...(p.yanked === undefined ? {} : { yanked: p.yanked }),
    })),
    files,
    ...(options.base === undefined
      ? {}
      : { base: options.base, baseFiles: [...(options.baseFiles ?? [])] }),
    ...manifestTrim(locked),
    ...(tools.length === 0 ? {} : { tools }),
  };
  const description = locked.targets.map(describeTarget).join('; ');
  // Source distributions are built by pip on the target (it then needs their build
  // requirements, bundled as wheels, and maybe a compiler): say so where people look first.
  const sdists = files
    .filter((f) => !f.path.endsWith('.whl'))
    .map((f) => f.path.slice('wheels/'.length));
  await writeBundleFolder(outDir, {
    manifest,
    wheels: downloads.map((d) => ({ filename: d.filename, sha256: d.sha256 })),
    ...(tools.length === 0
      ? {}
      : { tools: tools.map((t) => ({ path: t.path, sha256: t.sha256 })) }),
    requirementsTxt: formatRequirementsTxt(
      [
        ...entries.map(({ pkg }, i) => ({
          name: pkg.name,
          version: pkg.version,
          sha256: downloads[i]!.sha256,
        })),
        // A delta installs the whole closure: its base files are found with --base.
        ...(options.baseFiles ?? []),
      ],
      [
        `Written by ferry ${options.toolVersion} for ${description}.`,
        ...(sdists.length === 0
          ? [
              'Install offline: pip install --no-index --find-links wheels --require-hashes -r requirements.txt',
            ]
          : [
              'Install offline: pip install --no-index --find-links wheels --require-hashes -r requirements.txt',
              `Built on the target from source: ${sdists.join(', ')} (may need gcc/g++ and the Python headers).`,
            ]),
      ],
    ),
    cache: options.cache,
    ...(options.pylockToml === undefined ? {} : { pylockToml: options.pylockToml }),
    sm3: options.sm3 === true,
  });
  return {
    outDir,
    files,
    downloaded: downloads.filter((d) => !d.fromCache).length,
    fromCache: downloads.filter((d) => d.fromCache).length,
    bytes: downloads.reduce((sum, d) => sum + d.size, 0),
    ...(options.baseFiles === undefined ? {} : { baseFiles: options.baseFiles }),
  };
}

/** Refuses to overwrite a folder that is not a ferry bundle unless forced. */
async function checkDestination(outDir: string, force: boolean): Promise<void> {
  const info = await stat(outDir).catch(() => undefined);
  if (info === undefined || force) return;
  if (!info.isDirectory()) {
    throw new FerryError('ERR_FERRY_DESTINATION', `"${outDir}" exists and is not a folder.`, {
      hint: 'Choose another -o path.',
    });
  }
  const entries = await readdir(outDir);
  if (entries.length > 0 && !entries.includes('manifest.json')) {
    throw new FerryError(
      'ERR_FERRY_DESTINATION',
      `"${outDir}" exists and is not a ferry bundle; refusing to replace it.`,
      {
        hint: 'Choose an empty or new -o path, or pass --force to replace it.',
      },
    );
  }
}
