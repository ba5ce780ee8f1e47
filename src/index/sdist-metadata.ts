/**
 * What a source distribution needs and provides, read statically: ferry never runs a build
 * backend (or any code from an sdist) on the jump host.
 *
 * (The one exception is opt-in: for an sdist that ferry bundle will build on this host anyway,
 * the caller may pass `dynamic`, which runs PEP 517's prepare_metadata_for_build_wheel in an
 * isolated build environment, src/build/.)
 *
 * Dependencies, cheapest trustworthy source first:
 *   1. PKG-INFO (or a PEP 658 `.metadata` file) with Metadata-Version >= 2.2 whose
 *      Requires-Dist and Requires-Python are not listed in `Dynamic` (PEP 643: then the
 *      built wheel must carry exactly these values);
 *   2. pyproject.toml `[project]` (PEP 621) when `dependencies`, `optional-dependencies` and
 *      `requires-python` are not `dynamic` (an absent, non-dynamic field means "none");
 *   3. otherwise only the build backend knows: ERR_FERRY_SDIST_DYNAMIC_METADATA.
 *
 * Build requirements (PEP 517/518): `[build-system].requires`, or PEP 518's default
 * `setuptools>=40.8.0` + `wheel` when there is no pyproject.toml or no `[build-system]` table.
 * What a backend adds through `get_requires_for_build_wheel` cannot be known without running
 * it; for setuptools backends (which historically ask for `wheel` that way) `wheel` is added.
 *
 * The archive is kept in the content store (`<cache>/sha256/ab/cdef…`, src/store/) after its
 * SHA-256 was checked, so the bundle step finds it there.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { gunzipBounded } from '../archive/gunzip.js';
import { readTarFiles as readArchiveTar } from '../archive/read-tar.js';
import { FerryError, isFerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { onceFor } from '../core/once-for.js';
import { type CoreMetadata, parseCoreMetadata } from '../standards/metadata.js';
import { normalizeName } from '../standards/name.js';
import { tryNormalizeDigest } from '../store/hash.js';
import { ContentStore } from '../store/store.js';
import { checkAndStore, type DistFile } from './client.js';
import { type FetchOptions, fetchBytes } from './http.js';
import { bufferReader, readZipEntries, readZipEntry } from './wheel-metadata.js';

/** PEP 518: what pip assumes when an sdist declares no build system. */
export const DEFAULT_BUILD_REQUIRES = ['setuptools>=40.8.0', 'wheel'] as const;

/** An sdist's dependencies and build requirements, as read from its files. */
export interface SdistInfo {
  readonly name: string;
  readonly version: string;
  /** PEP 508 strings; extras' dependencies carry an `extra == "…"` marker, as in METADATA. */
  readonly requiresDist: readonly string[];
  readonly requiresPython?: string;
  readonly providesExtra: readonly string[];
  /** Where the dependencies were read. */
  readonly metadataSource: 'PKG-INFO' | 'metadata file' | 'pyproject.toml' | 'build backend';
  /** PEP 508 strings the build environment needs. */
  readonly buildRequires: readonly string[];
  /** `[build-system].build-backend`; undefined means setuptools' legacy backend. */
  readonly buildBackend?: string;
}

/** The two files of an sdist that matter here, as text (undefined when absent). */
export interface SdistFiles {
  readonly pkgInfo?: string;
  readonly pyproject?: string;
}

/** An uncompressed sdist larger than this is refused (it is read into memory). */
export const MAX_SDIST_UNPACKED = 1024 * 1024 * 1024;

function unreadable(filename: string, reason: string, cause?: unknown): FerryError {
  return new FerryError(
    'ERR_FERRY_BAD_SDIST',
    `${filename} is not a readable source distribution: ${reason}`,
    {
      hint: 'The file may be truncated or not an archive; delete it from the cache and try again, or pin a version with wheels.',
      details: { filename, reason },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** `top/PKG-INFO`, `top/pyproject.toml`: the files directly in the archive's one top folder. */
function topLevelFile(path: string): 'pkgInfo' | 'pyproject' | undefined {
  const parts = path.replace(/^\.\//, '').split('/');
  if (parts.length !== 2 || parts[0] === '') return undefined;
  if (parts[1] === 'PKG-INFO') return 'pkgInfo';
  if (parts[1] === 'pyproject.toml') return 'pyproject';
  return undefined;
}

const SDIST_HINT =
  'Do not use this sdist: pin a version with wheels, or ask its publisher for a clean archive.';

/**
 * The plain files of an sdist's tar archive (path → bytes) that `wanted` accepts, read by the
 * one tar reader (src/archive/read-tar.ts) with its header checks and safety rules. Links are
 * passed over (pip unpacks those that stay inside the sdist; nothing here needs them).
 */
export function readTarFiles(
  tar: Buffer,
  wanted: (path: string) => boolean,
  filename = 'sdist',
): Map<string, Buffer> {
  return readArchiveTar(tar, { name: filename, wanted, links: 'skip', hint: SDIST_HINT });
}

/** PKG-INFO and pyproject.toml out of a `.tar.gz` or `.zip` sdist. */
export async function readSdistFiles(bytes: Buffer, filename: string): Promise<SdistFiles> {
  const out: { pkgInfo?: string; pyproject?: string } = {};
  if (filename.endsWith('.zip')) {
    const reader = bufferReader(bytes, filename);
    for (const entry of await readZipEntries(reader)) {
      const which = topLevelFile(entry.name);
      if (which !== undefined && out[which] === undefined)
        out[which] = (await readZipEntry(reader, entry)).toString('utf8');
    }
    return out;
  }
  let files: Map<string, Buffer>;
  try {
    files = readTarFiles(
      gunzipBounded(bytes, { maxBytes: MAX_SDIST_UNPACKED, name: filename, hint: SDIST_HINT }),
      (p) => topLevelFile(p) !== undefined,
      filename,
    );
  } catch (error) {
    // A damaged archive keeps the sdist error (and its exit status); an unsafe one, or one that
    // unpacks past the bound, is refused as the archive module says.
    if (isFerryError(error) && error.code === 'ERR_FERRY_ARCHIVE_DAMAGED')
      throw unreadable(filename, error.message.replace(`${filename} is damaged: `, ''), error);
    throw error;
  }
  for (const [path, data] of files) {
    const which = topLevelFile(path)!;
    if (out[which] === undefined) out[which] = data.toString('utf8');
  }
  return out;
}

const metadataVersionAtLeast = (text: string, major: number, minor: number): boolean => {
  const m = /^(\d+)\.(\d+)/.exec(text.trim());
  if (m === null) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
};

interface Pyproject {
  readonly buildSystem?: { readonly requires?: unknown; readonly backend?: unknown };
  readonly project?: Record<string, unknown>;
}

function readPyproject(text: string | undefined, filename: string): Pyproject {
  if (text === undefined) return {};
  let toml: Record<string, unknown>;
  try {
    toml = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_BAD_SDIST',
      `The pyproject.toml of ${filename} is not valid TOML.`,
      {
        hint: 'pip could not build it either; pin a version with wheels or ask its publisher to fix it.',
        details: { filename },
        cause: error,
      },
    );
  }
  const table = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  const bs = table(toml['build-system']);
  const project = table(toml.project);
  return {
    ...(bs === undefined
      ? {}
      : { buildSystem: { requires: bs.requires, backend: bs['build-backend'] } }),
    ...(project === undefined ? {} : { project }),
  };
}

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string')
    ? (value as string[])
    : undefined;

/** `dep; marker` for extra `x` → `dep; (marker) and extra == "x"`. */
function withExtra(requirement: string, extra: string): string {
  const semi = requirement.indexOf(';');
  const marker = `extra == "${extra}"`;
  if (semi === -1) return `${requirement.trim()}; ${marker}`;
  return `${requirement.slice(0, semi).trim()}; (${requirement.slice(semi + 1).trim()}) and ${marker}`;
}

function buildRequirementsOf(
  pyproject: Pyproject,
  filename: string,
): { requires: string[]; backend?: string } {
  const bs = pyproject.buildSystem;
  if (bs === undefined) return { requires: [...DEFAULT_BUILD_REQUIRES] };
  const requires =
    bs.requires === undefined ? [...DEFAULT_BUILD_REQUIRES] : stringList(bs.requires);
  if (requires === undefined) {
    throw new FerryError(
      'ERR_FERRY_BAD_SDIST',
      `The [build-system] requires of ${filename} is not a list of strings.`,
      {
        hint: 'pip could not build it either; pin a version with wheels or ask its publisher to fix it.',
        details: { filename },
      },
    );
  }
  const backend = typeof bs.backend === 'string' ? bs.backend : undefined;
  // setuptools' backends ask for `wheel` through get_requires_for_build_wheel (older releases);
  // that answer needs the backend to run, so carry wheel whenever setuptools builds.
  const setuptools = backend === undefined || backend.startsWith('setuptools.build_meta');
  const hasWheel = requires.some(
    (r) => normalizeName(/^[A-Za-z0-9._-]+/.exec(r.trim())?.[0] ?? '') === 'wheel',
  );
  return {
    requires: setuptools && !hasWheel ? [...requires, 'wheel'] : requires,
    ...(backend === undefined ? {} : { backend }),
  };
}

/** The static-metadata check of PEP 643 for a PKG-INFO or `.metadata` text; undefined when it cannot be trusted. */
export function staticCoreMetadata(
  text: string,
  source: string,
):
  | {
      name: string;
      version: string;
      requiresDist: string[];
      requiresPython?: string;
      providesExtra: string[];
    }
  | undefined {
  let parsed: ReturnType<typeof parseCoreMetadata>;
  try {
    parsed = parseCoreMetadata(text, source);
  } catch {
    return undefined;
  }
  if (!metadataVersionAtLeast(parsed.metadataVersion, 2, 2)) return undefined;
  const dynamic = new Set(parsed.dynamic.map((d) => d.toLowerCase()));
  if (dynamic.has('requires-dist') || dynamic.has('requires-python')) return undefined;
  return dependencyFields(parsed);
}

/**
 * Decides an sdist's dependencies and build requirements from its files (and a PEP 658 text
 * when the index offered one). Throws ERR_FERRY_SDIST_DYNAMIC_METADATA when only running the
 * build backend could tell.
 */
export function sdistInfoFromFiles(
  files: SdistFiles,
  filename: string,
  metadataFile?: string,
): SdistInfo {
  const pyproject = readPyproject(files.pyproject, filename);
  const build = buildRequirementsOf(pyproject, filename);
  const buildPart = {
    buildRequires: build.requires,
    ...(build.backend === undefined ? {} : { buildBackend: build.backend }),
  };
  const fromFile =
    metadataFile === undefined
      ? undefined
      : staticCoreMetadata(metadataFile, `${filename}.metadata`);
  if (fromFile !== undefined) return { ...fromFile, metadataSource: 'metadata file', ...buildPart };
  const fromPkgInfo =
    files.pkgInfo === undefined
      ? undefined
      : staticCoreMetadata(files.pkgInfo, `${filename}/PKG-INFO`);
  if (fromPkgInfo !== undefined)
    return { ...fromPkgInfo, metadataSource: 'PKG-INFO', ...buildPart };
  const project = pyproject.project;
  const dynamic = new Set(stringList(project?.dynamic) ?? []);
  const blocking = ['dependencies', 'optional-dependencies', 'requires-python'].filter((f) =>
    dynamic.has(f),
  );
  if (project !== undefined && typeof project.name === 'string' && blocking.length === 0) {
    const dependencies = stringList(project.dependencies ?? []);
    const optional = project['optional-dependencies'] ?? {};
    const extras =
      typeof optional === 'object' && optional !== null && !Array.isArray(optional)
        ? Object.entries(optional as Record<string, unknown>).map(
            ([extra, list]) => [extra, stringList(list)] as const,
          )
        : undefined;
    const requiresPython = project['requires-python'];
    if (
      dependencies === undefined ||
      extras === undefined ||
      extras.some(([, l]) => l === undefined) ||
      (requiresPython !== undefined && typeof requiresPython !== 'string')
    ) {
      throw new FerryError(
        'ERR_FERRY_BAD_SDIST',
        `The [project] table of ${filename}'s pyproject.toml is malformed (PEP 621).`,
        {
          hint: 'pip could not build it either; pin a version with wheels or ask its publisher to fix it.',
          details: { filename },
        },
      );
    }
    const fileVersion = /-([^-]+)\.(?:tar\.gz|zip)$/.exec(filename)?.[1] ?? '';
    return {
      name: project.name,
      version: typeof project.version === 'string' ? project.version : fileVersion,
      requiresDist: [
        ...dependencies,
        ...extras.flatMap(([extra, list]) => list!.map((r) => withExtra(r, normalizeName(extra)))),
      ],
      ...(typeof requiresPython === 'string' ? { requiresPython } : {}),
      providesExtra: extras.map(([extra]) => normalizeName(extra)),
      metadataSource: 'pyproject.toml',
      ...buildPart,
    };
  }
  const why =
    files.pkgInfo === undefined && files.pyproject === undefined
      ? 'it has neither PKG-INFO nor pyproject.toml'
      : blocking.length > 0
        ? `its pyproject.toml marks ${blocking.join(', ')} as dynamic`
        : files.pkgInfo !== undefined
          ? 'its PKG-INFO is older than Metadata-Version 2.2 or lists Requires-Dist/Requires-Python as Dynamic (PEP 643), and it has no static [project] table'
          : 'it has no static [project] table in pyproject.toml';
  return dynamicMetadata(filename, why);
}

/** An sdist's build requirements and backend (PEP 517/518), from its files; no metadata needed. */
export function sdistBuildSystem(
  files: SdistFiles,
  filename: string,
): { readonly requires: readonly string[]; readonly backend?: string } {
  return buildRequirementsOf(readPyproject(files.pyproject, filename), filename);
}

function dynamicMetadata(filename: string, why: string): never {
  throw new FerryError(
    'ERR_FERRY_SDIST_DYNAMIC_METADATA',
    `The dependencies of ${filename} can only be known by running its build backend (${why}), and no isolated build environment was given to run its metadata hook in (ferry lock runs it there, network cut off).`,
    {
      hint: 'List its dependencies as explicit requirements (and keep --allow-sdist for it), or build a wheel on a machine like the target and pass its folder with --find-links.',
      details: { filename, reason: why },
    },
  );
}

export interface SdistReaderOptions {
  /** Content cache folder (fetch/cache.ts layout); without it the sdist is downloaded each run. */
  readonly cacheDir?: string;
  /** Adds an index's credentials back to a file URL (IndexClient.withCredentials). */
  readonly withCredentials?: (url: string) => string;
  /** PEP 658 `.metadata` text of the file, when the index offers one (IndexClient.getMetadata). */
  readonly metadataFile?: (file: DistFile) => Promise<string>;
  readonly http?: Pick<FetchOptions, 'retries' | 'timeoutMs' | 'backoffMs'>;
  readonly events?: EventSink;
  /**
   * When the metadata is dynamic: the METADATA text the build backend gives (PEP 517
   * prepare_metadata_for_build_wheel), or undefined to refuse as before. Called with the sdist's
   * bytes and its build requirements.
   */
  readonly dynamic?: (
    file: DistFile,
    bytes: Buffer,
    build: { readonly requires: readonly string[]; readonly backend?: string },
  ) => Promise<string | undefined>;
}

/** Reads sdists (once per URL per run): downloads into the content cache, then `sdistInfoFromFiles`. */
export class SdistReader {
  readonly #read = new Map<string, Promise<SdistInfo>>();

  constructor(private readonly options: SdistReaderOptions = {}) {}

  read(file: DistFile): Promise<SdistInfo> {
    return onceFor(this.#read, file.url, () => this.#load(file));
  }

  async #load(file: DistFile): Promise<SdistInfo> {
    let metadataFile: string | undefined;
    if (file.coreMetadata !== false && this.options.metadataFile !== undefined) {
      metadataFile = await this.options.metadataFile(file).catch(() => undefined);
    }
    const bytes = await this.bytes(file);
    const files = await readSdistFiles(bytes, file.filename);
    try {
      return sdistInfoFromFiles(files, file.filename, metadataFile);
    } catch (error) {
      if (
        this.options.dynamic === undefined ||
        !isFerryError(error) ||
        error.code !== 'ERR_FERRY_SDIST_DYNAMIC_METADATA'
      )
        throw error;
      const build = buildRequirementsOf(
        readPyproject(files.pyproject, file.filename),
        file.filename,
      );
      const text = await this.options.dynamic(file, bytes, build);
      if (text === undefined) throw error;
      const parsed = parseCoreMetadata(text, `${file.filename} (build backend)`);
      return {
        ...dependencyFields(parsed),
        metadataSource: 'build backend',
        buildRequires: build.requires,
        ...(build.backend === undefined ? {} : { buildBackend: build.backend }),
      };
    }
  }

  /** The sdist's bytes: from the cache, a local file, or downloaded and hash-checked into the cache. */
  async bytes(file: DistFile): Promise<Buffer> {
    const expected = file.hashes.sha256;
    const digest = expected === undefined ? undefined : tryNormalizeDigest(expected);
    if (digest !== undefined && this.options.cacheDir !== undefined) {
      const cached = await new ContentStore(this.options.cacheDir).read(digest, { verify: true });
      if (cached !== undefined) return cached;
    }
    const body = file.url.startsWith('file:')
      ? await readFile(fileURLToPath(file.url))
      : (
          await fetchBytes(this.options.withCredentials?.(file.url) ?? file.url, {
            ...this.options.http,
            ...(this.options.events === undefined ? {} : { events: this.options.events }),
          })
        ).body;
    return checkAndStore(body, file, expected, this.options.cacheDir);
  }
}

/** The fields of core metadata that resolution needs (name, version, dependencies, Python). */
function dependencyFields(parsed: CoreMetadata) {
  return {
    name: parsed.name,
    version: parsed.version,
    requiresDist: [...parsed.requiresDist],
    ...(parsed.requiresPython === undefined ? {} : { requiresPython: parsed.requiresPython }),
    providesExtra: [...parsed.providesExtra],
  };
}
