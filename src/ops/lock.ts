/**
 * The lock use case: resolution for one or more targets through the index client and the
 * resolver's provider, in the shape the bundle pipeline consumes (src/bundle/locked.ts). With
 * --allow-sdist it runs rounds: a chosen sdist's build requirements become roots, until they
 * stop changing. `ferry lock` writes the result as pylock.toml; `ferry bundle` downloads it.
 */

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SdistBuilder } from '../build/builder.js';
import { buildSourcesOf, withSdistFile } from '../build/sources.js';
import type { Locked, LockedFile, LockedPackage } from '../bundle/locked.js';
import { FerryError, isFerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import { ContentCache } from '../fetch/cache.js';
import { cudaVariantWarning } from '../frameworks/cuda-variants.js';
import type { FrameworkRequest } from '../frameworks/framework-request.js';
import type { SettledTarget } from '../host/target-spec.js';
import { type DistFile, IndexClient } from '../index/client.js';
import type { FormatPolicy } from '../index/format-control.js';
import { localFileSha256 } from '../index/http.js';
import type { IndexConfig, TrimSettings } from '../index/index-config.js';
import { prefetchKey, readPrefetchNames, writePrefetchNames } from '../index/prefetch.js';
import { SdistReader } from '../index/sdist-metadata.js';
import type { NetSettings } from '../net/settings.js';
import { IndexProvider, wantedFiles } from '../resolver/index-provider.js';
import { ParsedMetadataCache } from '../resolver/parsed-metadata.js';
import type { Candidate } from '../resolver/provider.js';
import type { RequirementsFileResult } from '../resolver/requirements-file.js';
import { type Resolution, resolve, type SourcedRequirement } from '../resolver/resolve.js';
import { type NormalizedName, normalizeName } from '../standards/name.js';
import { formatRequirement, type Requirement } from '../standards/requirement.js';
import { describeTarget, type Target, targetTags } from '../standards/target.js';
import { parseVersion } from '../standards/version.js';
import { availabilityDiscovery } from './framework-availability.js';
import { type ExtraIndexPin, lockFramework } from './framework-fallback.js';
import { frameworkPinError } from './framework-messages.js';
import {
  describeExclusion,
  describeOverride,
  isTrimEmpty,
  NO_TRIM,
  settleTrim,
  type Trim,
  TrimmingProvider,
  trimReport,
} from './trim.js';

export interface LockOptions {
  readonly requirements: readonly SourcedRequirement[];
  readonly constraints: readonly SourcedRequirement[];
  readonly prereleases: boolean;
  readonly targets: readonly Target[];
  readonly client: IndexClient;
  readonly indexes: readonly string[];
  readonly events?: EventSink;
  /**
   * --allow-sdist: project names (or ':all:') whose source distribution may be carried when a
   * version has no wheel for a target. Their PEP 517/518 build requirements are resolved for
   * the target too, so the target can build them offline.
   */
  readonly allowSdist?: readonly string[];
  /** Content cache folder: sdists read for their metadata are downloaded into it. */
  readonly cacheDir?: string;
  /**
   * A project that publishes only sdists is locked with its sdist, to be built into a wheel on
   * this host by ferry bundle (src/build/). `lock()` turns it on; off, such a project is refused
   * as having no compatible file (the resolver alone, as the scenarios test it).
   */
  readonly buildOnHost?: boolean;
  /** `--exclude` / `--override` and ferry.toml's [trim], settled (src/ops/trim.ts). */
  readonly trim?: Trim;
}

/** What `ferry lock` and `ferry bundle` ask for, with every setting already settled. */
export interface LockRequest {
  /** Requirements and constraints as given: arguments, -r and -c files, pip's `constraint`. */
  readonly requirements: RequirementsFileResult;
  /** `--framework`: the build is chosen for the targets and added to the requirements. */
  readonly framework?: FrameworkRequest;
  readonly targets: readonly SettledTarget[];
  /** `--pre` or pip's `pre` (a requirements file's own --pre counts too). */
  readonly prereleases: boolean;
  /** `--allow-sdist` names, or ':all:'. */
  readonly allowSdist: readonly string[];
  /** The download and metadata cache folder. */
  readonly cacheDir: string;
  /** `--refresh`: revalidate every cached index page, even one within its max-age. */
  readonly refresh?: boolean;
  readonly formats?: FormatPolicy;
  readonly net?: NetSettings;
  readonly maxPageBytes?: number;
  /** `--index-for` values: a project the user pinned keeps that index over the table's. */
  readonly indexFor: readonly string[];
  /** `--exclude` / `--override` from the command line, over ferry.toml's [trim]. */
  readonly trim?: TrimSettings;
  /**
   * Where packages come from for one attempt: the requirements files' own index options and
   * the extra pins (a vendor index) over the command's settings and pip's configuration.
   */
  readonly indexSettings: (
    requirements: RequirementsFileResult,
    pins: readonly ExtraIndexPin[],
  ) => Promise<IndexConfig>;
  readonly events?: EventSink;
}

export interface LockOutcome {
  readonly locked: Locked;
  /** The client that resolved it: `ferry bundle` downloads through it (credentials, mirrors). */
  readonly client: IndexClient;
  readonly cache: ContentCache;
}

/**
 * The lock use case: one resolution for all targets, with `--framework`'s build and its
 * fallback to older releases (framework-fallback.ts), and a hand-pinned framework CUDA build
 * that the index lacks pointed at the `--framework` form.
 */
export async function lock(request: LockRequest): Promise<LockOutcome> {
  const attempt = async (
    requirements: RequirementsFileResult,
    pins: readonly ExtraIndexPin[],
  ): Promise<LockOutcome> => {
    const settings = await request.indexSettings(requirements, pins);
    const cache = new ContentCache(request.cacheDir);
    const client = new IndexClient({
      settings,
      cacheDir: cache.dir,
      // Wheels no target takes are named only, not built into entries (most of a big page).
      ...wantedFilter(request.targets.map((s) => targetTags(s.target))),
      ...(request.refresh === true ? { refresh: true } : {}),
      ...(request.events ? { events: request.events } : {}),
      ...(request.formats === undefined ? {} : { formats: request.formats }),
      ...(request.net === undefined ? {} : { net: request.net }),
      ...(request.maxPageBytes === undefined ? {} : { maxPageBytes: request.maxPageBytes }),
    });
    // The pages the same question needed last time, all at once (index/prefetch.ts).
    const question = prefetchKey([
      requirements,
      request.targets,
      settings,
      request.allowSdist,
      request.prereleases,
      request.trim ?? null,
    ]);
    if (question !== undefined) client.prefetch(await readPrefetchNames(cache.dir, question));
    const locked = await lockRequirements({
      requirements: requirements.requirements,
      constraints: requirements.constraints,
      prereleases: request.prereleases || requirements.pre,
      targets: request.targets.map((s) => s.target),
      client,
      indexes: indexDescriptions(settings),
      ...(request.events ? { events: request.events } : {}),
      allowSdist: request.allowSdist,
      cacheDir: cache.dir,
      buildOnHost: true,
      trim: settleTrim(settings.trim, request.trim),
    });
    if (question !== undefined)
      await writePrefetchNames(cache.dir, question, client.requestedProjects());
    await client.settled();
    return { locked, client, cache };
  };
  if (request.framework === undefined) {
    return attempt(request.requirements, []).catch((error: unknown) => {
      throw frameworkPinError(error, request.requirements) ?? error;
    });
  }
  return lockFramework(
    {
      request: request.framework,
      targets: request.targets,
      base: request.requirements,
      indexFor: request.indexFor,
      ...(request.events ? { events: request.events } : {}),
      discovery: availabilityDiscovery(
        {
          configured: () => request.indexSettings(request.requirements, []),
          cacheDir: request.cacheDir,
          ...(request.net === undefined ? {} : { net: request.net }),
          ...(request.maxPageBytes === undefined ? {} : { maxPageBytes: request.maxPageBytes }),
        },
        request.events,
      ),
    },
    attempt,
  );
}

/** The client's `wanted` filter for these targets' tags, and its key for the parsed-page cache. */
function wantedFilter(tags: readonly (readonly string[])[]): {
  wanted: (filename: string) => boolean;
  wantedKey: string;
} {
  const key = createHash('sha256');
  for (const set of tags) key.update(`${set.join(' ')}\n`);
  return { wanted: wantedFiles(tags.map((t) => ({ tags: t }))), wantedKey: key.digest('hex') };
}

/** Rounds of "resolve, then add the build requirements of the sdists chosen" before giving up. */
const MAX_BUILD_ROUNDS = 5;

const isWheel = (filename: string): boolean => filename.endsWith('.whl');

/** The indexes and find-links searched, credentials redacted, for messages and the manifest. */
export function indexDescriptions(settings: IndexConfig): string[] {
  return [
    ...settings.indexes.map((i) =>
      i.explicit ? `${redactUrl(i.url)} (only for pinned projects)` : redactUrl(i.url),
    ),
    ...settings.findLinks.map(redactUrl),
  ];
}

export function indexClientFor(
  settings: IndexConfig,
  cacheDir: string,
  events?: EventSink,
): IndexClient {
  return new IndexClient({ settings, cacheDir, ...(events ? { events } : {}) });
}

export async function lockRequirements(options: LockOptions): Promise<Locked> {
  const { targets, client, events } = options;
  const providerTargets = targets.map((t) => ({
    name: t.name,
    tags: targetTags(t),
    pythonVersion: parseVersion(t.interpreter.fullVersion),
  }));
  const allowed = allowSdistPredicate(options.allowSdist ?? []);
  // An sdist not carried for the target (--allow-sdist) is built into a wheel on this host by
  // ferry bundle (src/build/): its build requirements are the builder's, not the target's.
  const buildsOnHost = (name: string): boolean =>
    options.buildOnHost === true && allowed?.(normalizeName(name)) !== true;
  let builder: SdistBuilder | undefined;
  const parsedMetadata =
    options.cacheDir === undefined ? undefined : new ParsedMetadataCache(options.cacheDir);
  const index = new IndexProvider({
    client,
    targets: providerTargets,
    searched: options.indexes,
    ...(parsedMetadata === undefined ? {} : { parsedMetadata }),
    // Only on the error path: the root page of a big index is large, so it is bounded in time and size.
    suggest: (name) => client.suggestNames(name, { remote: true, maxBytes: 96 << 20 }),
    ...(allowed === undefined ? {} : { allowSdist: allowed }),
    buildSourceOnly: options.buildOnHost === true,
    hostBuildsFor: targets.map(
      (t) =>
        t.platform.os === HOST_OS && t.platform.arch === (HOST_ARCH[process.arch] ?? process.arch),
    ),
    sdists: new SdistReader({
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      withCredentials: (url) => client.withCredentials(url),
      metadataFile: (file) => client.getMetadata(file),
      ...(events ? { events } : {}),
      // The backend's metadata hook runs here, network cut, for an sdist this host builds and
      // for one carried to the target (--allow-sdist) alike, as uv does when it resolves for
      // another platform: only the backend knows dynamic dependencies. For a carried one the
      // answer is this host's, which a setup.py that picks dependencies by platform could
      // change on the target; the warning says so.
      dynamic: async (file, bytes, build) => {
        const name = file.filename.replace(/-[^-]*\.(?:tar\.gz|zip)$/, '');
        if (!buildsOnHost(name))
          events?.({
            type: 'warning',
            code: 'W_FERRY_SDIST_METADATA_FROM_HOST',
            message: `${file.filename} is carried to be built on the target, but its dependencies are dynamic: they were read by running its build backend on this host, and a setup.py that chooses them by platform could differ there`,
          });
        builder ??= new SdistBuilder({
          sources: buildSourcesOf(client.config, (url) => client.withCredentials(url)),
          ...(events ? { events } : {}),
        });
        const hook = builder;
        events?.({
          type: 'info',
          message: `${file.filename}: running its build backend (prepare_metadata_for_build_wheel) in an isolated environment for its dependencies`,
        });
        return withSdistFile(bytes, file.filename, async (path) => {
          const answer = await hook.metadata(path, file.filename, build.requires).catch((e) => {
            // The builder's hint offers --allow-sdist as a way out; this sdist already has it.
            if (!isFerryError(e) || e.code !== 'ERR_FERRY_SDIST_BUILD_FAILED' || buildsOnHost(name))
              throw e;
            throw new FerryError(e.code, e.message, {
              hint: `Its dependencies are needed to lock it: list them as explicit requirements, or build a wheel on a host like the target and pass its folder with --find-links.`,
              ...(e.details === undefined ? {} : { details: e.details }),
              cause: e,
            });
          });
          return answer.metadata;
        });
      },
    }),
  });
  // --exclude and --override work on what the index answers (trim.ts); the resolver sees the
  // trimmed metadata only.
  const trim = options.trim ?? NO_TRIM;
  const provider = new TrimmingProvider(index, trim);
  const requirements = provider.roots(options.requirements);
  const environments = targets.map((t, i) => ({
    name: t.name,
    markers: t.markers,
    pythonVersion: providerTargets[i]!.pythonVersion,
  }));
  const resolveWith = (roots: readonly SourcedRequirement[]) =>
    resolve(roots, {
      provider,
      environments,
      constraints: options.constraints,
      prereleases: options.prereleases,
      ...(events ? { events } : {}),
      target: {
        description: targets.map(describeTarget).join('; '),
        tags: providerTargets[0]!.tags,
      },
    });
  // A chosen sdist brings its build requirements as extra roots; they may choose other versions
  // (or other sdists), so resolve again until the set of build requirements stops changing.
  let buildRoots: SourcedRequirement[] = [];
  let resolution: Resolution = await resolveWith(requirements);
  for (let round = 1; ; round++) {
    const wanted = await buildRequirementsOf(resolution, provider, targets, buildsOnHost);
    if (sameRoots(wanted, buildRoots)) break;
    if (round >= MAX_BUILD_ROUNDS) {
      throw new FerryError(
        'ERR_FERRY_RESOLUTION_TOO_COMPLEX',
        `The build requirements of the source distributions kept changing the resolution after ${round} rounds.`,
        {
          hint: 'Pin the projects allowed with --allow-sdist (name==version) and their build requirements explicitly.',
        },
      );
    }
    buildRoots = wanted;
    resolution = await resolveWith([...requirements, ...buildRoots]);
  }
  for (const p of resolution.packages) {
    const sdists = p.candidate.files.filter(
      (f, i): f is DistFile =>
        f !== undefined && p.targets.includes(targets[i]!.name) && !isWheel(f.filename),
    );
    if (sdists.length === 0) continue;
    if (buildsOnHost(p.name)) {
      events?.({
        type: 'warning',
        code: 'W_FERRY_SDIST_BUILT_ON_HOST',
        message: `${p.name} ${p.version} has no wheel for ${targets.length === 1 ? 'the target' : 'these targets'}, only a source distribution: ferry bundle will build it into a wheel on this host`,
      });
      continue;
    }
    const build = buildRoots
      .filter((r) => r.source === buildSource(p.name, p.version))
      .map((r) => formatRequirement(r.requirement));
    events?.({
      type: 'warning',
      code: 'W_FERRY_SDIST_CARRIED',
      message:
        `${p.name} ${p.version} is carried as a source distribution (${[...new Set(sdists.map((f) => f.filename))].join(', ')}): ` +
        'building it on the target may need a compiler (gcc/g++) and the Python headers there' +
        (build.length > 0
          ? `; its build requirements (${build.join(', ')}) are bundled as wheels`
          : ''),
    });
  }
  for (const root of requirements) {
    const chosen = resolution.packages.find((p) => p.name === root.requirement.normalizedName);
    if (chosen === undefined) continue;
    const warning = cudaVariantWarning(
      root.requirement,
      root.source,
      chosen.candidate.version,
      chosen.version,
    );
    if (warning !== undefined)
      events?.({ type: 'warning', code: 'ERR_FERRY_CUDA_BUILD_NOT_PINNED', message: warning });
  }
  const localHashes = await hashChosenLocalFiles(resolution, targets, options.cacheDir);
  const packages = resolution.packages.map((p): LockedPackage => {
    const files = new Map<string, LockedFile>();
    p.candidate.files.forEach((file, i) => {
      // A target that does not need the package does not need its file either.
      if (file === undefined || !p.targets.includes(targets[i]!.name)) return;
      const sha256 = file.hashes.sha256 ?? localHashes.get(file.url);
      if (sha256 === undefined) {
        throw new FerryError(
          'ERR_FERRY_NO_HASH',
          `The index gave no SHA-256 for ${file.filename} (${redactUrl(file.url)}).`,
          {
            hint: 'Use an index that publishes hashes (PEP 503 #sha256= fragments or PEP 691 JSON), or a local --find-links folder.',
          },
        );
      }
      files.set(file.filename, {
        filename: file.filename,
        url: redactUrl(file.url),
        index: file.index,
        sha256,
        ...(file.size === undefined ? {} : { size: file.size }),
        ...(file.uploadTime === undefined ? {} : { uploadTime: file.uploadTime }),
        ...(file.requiresPython === undefined ? {} : { requiresPython: file.requiresPython }),
      });
    });
    return {
      name: p.name,
      version: p.version,
      extras: p.extras,
      requiredBy: p.requiredBy,
      dependencies: p.dependencies,
      targets: p.targets,
      files: [...files.values()].sort((a, b) => (a.filename < b.filename ? -1 : 1)),
      ...([...files.values()].some((f) => !isWheel(f.filename)) && buildsOnHost(p.name)
        ? { build: 'host' as const }
        : {}),
      ...(p.yanked === undefined ? {} : { yanked: p.yanked }),
    };
  });
  const trimmed = isTrimEmpty(trim)
    ? undefined
    : trimReport(provider, resolution.packages, environments, options.requirements);
  for (const e of trimmed?.exclusions ?? [])
    events?.({
      type: 'warning',
      code: e.requiredBy.length === 0 ? 'W_FERRY_TRIM_UNUSED' : 'W_FERRY_EXCLUDED_REQUIRED',
      message: describeExclusion(e),
    });
  for (const o of trimmed?.overrides ?? [])
    events?.(
      o.replaced.length === 0
        ? { type: 'warning', code: 'W_FERRY_TRIM_UNUSED', message: describeOverride(o) }
        : { type: 'info', message: describeOverride(o) },
    );
  await parsedMetadata?.settled();
  return {
    targets,
    packages,
    requirements: options.requirements.map((r) => formatRequirement(r.requirement)),
    constraints: options.constraints.map((r) => formatRequirement(r.requirement)),
    indexes: options.indexes,
    ...(trimmed === undefined || trimmed.exclusions.length === 0
      ? {}
      : { exclusions: trimmed.exclusions }),
    ...(trimmed === undefined || trimmed.overrides.length === 0
      ? {}
      : { overrides: trimmed.overrides }),
  };
}

/** This host as targets name it (platform.system().lower(), platform.machine()), for hostBuildsFor. */
const HOST_OS =
  ({ win32: 'windows', darwin: 'macos' } as Record<string, string>)[process.platform] ??
  process.platform;
const HOST_ARCH: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };

/** `--allow-sdist` names (normalized) or ':all:'; undefined when none are allowed. */
function allowSdistPredicate(
  names: readonly string[],
): ((name: NormalizedName) => boolean) | undefined {
  if (names.length === 0) return undefined;
  if (names.includes(':all:')) return () => true;
  const set = new Set(names.map((n) => normalizeName(n)));
  return (name) => set.has(name);
}

const buildSource = (name: string, version: string): string =>
  `build requirements of ${name} ${version}`;

/**
 * SHA-256s of the chosen files that come from find-links folders (listed by name only, so that
 * listing a folder hashes nothing it does not lock): file URL → digest, from the fact cache
 * while each file is unchanged.
 */
async function hashChosenLocalFiles(
  resolution: Resolution,
  targets: readonly Target[],
  cacheDir: string | undefined,
): Promise<Map<string, string>> {
  const urls = new Set<string>();
  for (const p of resolution.packages)
    p.candidate.files.forEach((file, i) => {
      if (file === undefined || file.hashes.sha256 !== undefined) return;
      if (p.targets.includes(targets[i]!.name) && file.url.startsWith('file:')) urls.add(file.url);
    });
  const hashed = await Promise.all(
    [...urls].map(async (url) => [url, await localFileSha256(fileURLToPath(url), cacheDir)]),
  );
  return new Map(hashed as [string, string][]);
}

/** The build requirements of every sdist the resolution carries, as extra root requirements. */
async function buildRequirementsOf(
  resolution: Resolution,
  provider: { buildRequirements(candidate: Candidate): Promise<readonly Requirement[]> },
  targets: readonly Target[],
  buildsOnHost: (name: string) => boolean,
): Promise<SourcedRequirement[]> {
  const out: SourcedRequirement[] = [];
  for (const p of resolution.packages) {
    if (buildsOnHost(p.name)) continue;
    const carried = p.candidate.files.some(
      (f, i) => f !== undefined && p.targets.includes(targets[i]!.name) && !isWheel(f.filename),
    );
    if (!carried) continue;
    const source = buildSource(p.name, p.version);
    for (const requirement of await provider.buildRequirements(p.candidate))
      out.push({ requirement, source });
  }
  return out;
}

function sameRoots(a: readonly SourcedRequirement[], b: readonly SourcedRequirement[]): boolean {
  const key = (r: SourcedRequirement) => `${r.source}\u0000${formatRequirement(r.requirement)}`;
  const left = new Set(a.map(key));
  const right = new Set(b.map(key));
  return left.size === right.size && [...left].every((k) => right.has(k));
}
