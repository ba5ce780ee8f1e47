/**
 * The one adapter between the resolver and package indexes: it turns index pages into
 * candidates for one or more targets (a version is a candidate when every target has a compatible
 * wheel of it; each target gets its best-ranked one) and core metadata into
 * parsed requirements. Everything network-related stays inside IndexClient.
 */
import { FerryError } from '../core/errors.js';
import type { DistFile, IndexClient } from '../index/client.js';
import { allowedFormats } from '../index/format-control.js';
import type { SdistInfo } from '../index/sdist-metadata.js';
import { type DistFilename, parseDistFilename } from '../standards/filename.js';
import { parseCoreMetadata } from '../standards/metadata.js';
import { type NormalizedName, normalizeName } from '../standards/name.js';
import { parseRequirement, type Requirement } from '../standards/requirement.js';
import { parseSpecifierSet, specifierSetContains } from '../standards/specifier.js';
import { bestWheelRank, tagRanking } from '../standards/tags.js';
import { compareVersions, tryParseVersion, type Version } from '../standards/version.js';
import type { ParsedMetadataCache } from './parsed-metadata.js';
import type {
  Candidate,
  CandidateMetadata,
  CandidatesAnswer,
  Provider,
  RejectedFile,
} from './provider.js';

export interface ProviderTarget {
  readonly name: string;
  /** The target's compatible tags, best first. */
  readonly tags: readonly string[];
  /** The target interpreter's full version, for data-requires-python. */
  readonly pythonVersion: Version;
}

export interface IndexProviderOptions {
  readonly client: IndexClient;
  readonly targets: readonly ProviderTarget[];
  /** Suggest close names for unknown projects. */
  readonly suggest?: (name: string) => Promise<readonly string[]>;
  /** Descriptions of the indexes searched, for "not found" errors. */
  readonly searched: readonly string[];
  /**
   * --allow-sdist: projects whose source distribution may stand in for a version that has no
   * compatible wheel for a target (wheels of that version are still preferred).
   */
  readonly allowSdist?: (name: NormalizedName) => boolean;
  /**
   * A project that publishes no wheel at all (jieba, many small pure-Python projects) may use
   * its sdists: ferry bundle builds them into wheels on this host (src/build/). Needs `sdists`.
   */
  readonly buildSourceOnly?: boolean;
  /**
   * Whether this host can build a native wheel for each target (same OS and arch; the fit check
   * decides the rest). A project that has wheels, none for a target this host cannot build for,
   * is native: building here would only end in ERR_FERRY_BUILT_WHEEL_UNFIT, so it stays a
   * refusal that names the platforms its wheels are for. Default: every target.
   */
  readonly hostBuildsFor?: readonly boolean[];
  /** Reads an sdist's dependencies and build requirements statically (index/sdist-metadata.ts). */
  readonly sdists?: { read(file: DistFile): Promise<SdistInfo> };
  /** Wheels' dependencies as parsed, by the wheel's SHA-256 (parsed-metadata.ts). */
  readonly parsedMetadata?: ParsedMetadataCache;
}

export class IndexProvider implements Provider {
  private readonly rankings: readonly Map<string, number>[];
  /** Every platform tag any target accepts ('any' included), for a cheap first look at a name. */
  private readonly platforms: ReadonlySet<string>;

  constructor(private readonly options: IndexProviderOptions) {
    if (options.targets.length === 0) throw new Error('IndexProvider needs at least one target');
    this.rankings = options.targets.map((t) => tagRanking(t.tags));
    this.platforms = acceptedPlatforms(options.targets);
  }

  prefetch(name: NormalizedName): void {
    this.options.client.getProject(name).catch(() => {});
  }

  async candidates(name: NormalizedName): Promise<CandidatesAnswer> {
    const page = await this.options.client.getProject(name);
    if (page === undefined) {
      const suggestions = (await this.options.suggest?.(name).catch(() => [])) ?? [];
      return { kind: 'not-found', suggestions, searched: this.options.searched };
    }
    const rejected: RejectedFile[] = [];
    const targets = this.options.targets;
    type Best = { file: DistFile; rank: number };
    const versions = new Map<
      string,
      { version: Version; text: string; best: (Best | undefined)[] }
    >();
    const { binary, source: sourceAllowed } = this.formatsFor(name);
    const permitted = this.options.allowSdist?.(name) === true && this.options.sdists !== undefined;
    if (!binary && !permitted) throw sdistRequired(name, this.options.client.formats.sources);
    // A project none of whose wheels any target accepts can only come from source for these
    // targets (jieba has no wheel at all; Polygon3 has old Windows wheels only): its sdists are
    // candidates, built on this host. Whether that holds is known only after every wheel has
    // been looked at, so sdists are gathered first and decided on below. A project with a
    // compatible wheel in some version keeps to its wheel versions, as pip --only-binary would.
    const buildable = this.options.buildSourceOnly === true && this.options.sdists !== undefined;
    // pip's only-binary outranks --allow-sdist and building here: the sdist is never a candidate then.
    const gatherSdists = sourceAllowed && (permitted || buildable);
    const sdists = new Map<string, { version: Version; text: string; file: DistFile }>();
    const sdistFiles: { file: DistFile; version: string }[] = [];
    for (const file of page.files) {
      // Most files of a big project are for other platforms (Windows, macOS, other arches): a
      // wheel whose platform tags no target accepts is set aside before the full parse.
      const platform = wheelPlatformPart(file.filename);
      if (platform !== undefined && !platform.split('.').some((p) => this.platforms.has(p))) {
        rejected.push(platformRejection(file.filename, platform));
        continue;
      }
      const parsed = safeParse(file.filename, name);
      const version = parsed === undefined ? undefined : tryParseVersion(parsed.version);
      if (parsed === undefined || version === undefined) {
        rejected.push({
          filename: file.filename,
          version: '',
          reason: 'invalid',
          detail: 'not a valid wheel or sdist name',
        });
        continue;
      }
      if (parsed.kind === 'sdist' && gatherSdists) {
        sdistFiles.push({ file, version: parsed.version });
        // One sdist per version: a non-yanked one, .tar.gz (PEP 625) before a legacy .zip.
        const key = canonicalKey(version);
        const current = sdists.get(key);
        if (current === undefined || betterSdist(file, current.file))
          sdists.set(key, { version, text: parsed.version, file });
        continue;
      }
      if (parsed.kind === 'sdist') {
        rejected.push({
          filename: file.filename,
          version: parsed.version,
          reason: 'sdist',
          detail: sourceAllowed
            ? 'source distribution: it would have to be built on the target'
            : "source distribution: pip's only-binary excludes it",
        });
        continue;
      }
      if (!binary) {
        rejected.push({
          filename: file.filename,
          version: parsed.version,
          reason: 'incompatible-tags',
          detail: "wheel: pip's no-binary excludes it, the sdist is needed",
        });
        continue;
      }
      let usable = false;
      const key = canonicalKey(version);
      for (let t = 0; t < targets.length; t++) {
        const rank = bestWheelRank(parsed, this.rankings[t]!);
        if (rank === undefined || !pythonFits(file.requiresPython, targets[t]!.pythonVersion))
          continue;
        usable = true;
        let entry = versions.get(key);
        if (entry === undefined) {
          entry = { version, text: parsed.version, best: targets.map(() => undefined) };
          versions.set(key, entry);
        }
        const current = entry.best[t];
        if (current === undefined || better(file, rank, current.file, current.rank))
          entry.best[t] = { file, rank };
      }
      if (!usable) {
        const python = !targets.some((t) => pythonFits(file.requiresPython, t.pythonVersion));
        rejected.push(
          python
            ? {
                filename: file.filename,
                version: parsed.version,
                reason: 'requires-python',
                detail: `requires Python ${file.requiresPython}`,
              }
            : {
                filename: file.filename,
                version: parsed.version,
                reason: 'incompatible-tags',
                detail: `tags ${parsed.tags.slice(0, 3).join(', ')}${parsed.tags.length > 3 ? ', …' : ''} do not fit`,
              },
        );
      }
    }
    // No wheel of any version fits any target: the project is source-only here.
    const sourceOnly =
      buildable &&
      versions.size === 0 &&
      (!(page.files.some((f) => isWheel(f)) || (page.otherFiles ?? []).some(isWheelName)) ||
        targets.every((_, t) => this.options.hostBuildsFor?.[t] !== false));
    if (!permitted && !sourceOnly) {
      for (const { file, version } of sdistFiles)
        rejected.push({
          filename: file.filename,
          version,
          reason: 'sdist',
          detail: 'source distribution: it would have to be built on the target',
        });
      sdists.clear();
    }
    // --allow-sdist: a version's sdist serves each target that none of its wheels fits.
    for (const [key, sdist] of sdists) {
      let entry = versions.get(key);
      let used = false;
      for (let t = 0; t < targets.length; t++) {
        if (
          entry?.best[t] !== undefined ||
          !pythonFits(sdist.file.requiresPython, targets[t]!.pythonVersion)
        )
          continue;
        if (entry === undefined) {
          entry = { version: sdist.version, text: sdist.text, best: targets.map(() => undefined) };
          versions.set(key, entry);
        }
        entry.best[t] = { file: sdist.file, rank: Number.POSITIVE_INFINITY };
        used = true;
      }
      if (!used && (entry === undefined || entry.best.some((b) => b === undefined))) {
        rejected.push({
          filename: sdist.file.filename,
          version: sdist.text,
          reason: 'requires-python',
          detail: `requires Python ${sdist.file.requiresPython}`,
        });
      }
    }
    const candidates: Candidate[] = [];
    // Versions that fit some targets but not all are near misses for the error message; they stay
    // candidates, since a package may be needed by only some targets (markers).
    const nearMisses: RejectedFile[] = [];
    for (const entry of [...versions.values()].sort((a, b) =>
      compareVersions(b.version, a.version),
    )) {
      const missing = entry.best.indexOf(undefined);
      if (missing !== -1) {
        nearMisses.push({
          filename: `${name} ${entry.text}`,
          version: entry.text,
          reason: 'incompatible-tags',
          detail: `no wheel for target ${targets[missing]!.name}`,
        });
      }
      const files = entry.best.map((b) => b?.file);
      const present = files.filter((f): f is DistFile => f !== undefined);
      candidates.push({
        name,
        version: entry.version,
        versionText: entry.text,
        file: present[0]!,
        files,
        yanked: present.some((f) => f.yanked !== false),
      });
    }
    // unsafe-first-match (uv's meaning): exhaust the versions of the first index that has the
    // project before looking at the next; otherwise newest first across all of them.
    const firstMatch = page.strategy === 'unsafe-first-match';
    // prefer-binary (pip's CandidateEvaluator._sort_key, binary_preference): a version whose
    // files are all wheels comes before every version that would carry an sdist.
    const preferBinary = this.options.client.formats.preferBinary;
    const needsSdist = (c: Candidate): number =>
      preferBinary && c.files.some((f) => f !== undefined && !isWheel(f)) ? 1 : 0;
    candidates.sort(
      (a, b) =>
        (firstMatch ? (a.file.indexRank ?? 0) - (b.file.indexRank ?? 0) : 0) ||
        needsSdist(a) - needsSdist(b) ||
        compareVersions(b.version, a.version),
    );
    rejected.unshift(...nearMisses);
    // The files the client's filter set aside (wantedFiles: no target takes their tags) join
    // the refusals only when something reads them: an explanation, after a failure.
    const otherFiles = page.otherFiles ?? [];
    let all: RejectedFile[] | undefined;
    return {
      kind: 'found',
      candidates,
      get rejected() {
        all ??= otherFiles.length === 0 ? rejected : [...rejected, ...otherFiles.map(tagRejection)];
        return all;
      },
      source: page.source,
    };
  }

  async metadata(candidate: Candidate): Promise<CandidateMetadata> {
    const digest = isWheel(candidate.file) ? candidate.file.hashes.sha256 : undefined;
    const cache = digest === undefined ? undefined : this.options.parsedMetadata;
    const kept = digest === undefined ? undefined : await cache?.read(digest);
    if (kept !== undefined) {
      checkName(kept.name, candidate);
      return {
        requiresDist: kept.requiresDist,
        ...(kept.requiresPython === undefined ? {} : { requiresPython: kept.requiresPython }),
        providesExtra: kept.providesExtra,
      };
    }
    const metadata = isWheel(candidate.file)
      ? parseCoreMetadata(await this.options.client.getMetadata(candidate.file), candidate.file.url)
      : await this.sdist(candidate.file);
    checkName(metadata.name, candidate);
    const requiresDist: Requirement[] = [];
    for (const line of metadata.requiresDist) {
      try {
        requiresDist.push(parseRequirement(line));
      } catch (error) {
        throw new FerryError(
          'ERR_FERRY_INVALID_METADATA',
          `${candidate.file.filename} declares an invalid dependency "${line}".`,
          {
            hint: 'Exclude this version (e.g. with a constraint name!=version) or ask its publisher to fix it.',
            cause: error,
          },
        );
      }
    }
    const parsed = {
      requiresDist,
      ...(metadata.requiresPython === undefined ? {} : { requiresPython: metadata.requiresPython }),
      providesExtra: metadata.providesExtra.map((e) => normalizeName(e)),
    };
    if (digest !== undefined) cache?.write(digest, { name: metadata.name, ...parsed });
    return parsed;
  }

  async buildRequirements(candidate: Candidate): Promise<readonly Requirement[]> {
    const sdist = candidate.files.find((f): f is DistFile => f !== undefined && !isWheel(f));
    if (sdist === undefined) return [];
    const info = await this.sdist(sdist);
    return info.buildRequires.map((line) => {
      try {
        return parseRequirement(line);
      } catch (error) {
        throw new FerryError(
          'ERR_FERRY_INVALID_METADATA',
          `${sdist.filename} declares an invalid build requirement "${line}".`,
          {
            hint: 'pip could not build it either: exclude this version (e.g. with a constraint name!=version) or ask its publisher to fix it.',
            cause: error,
          },
        );
      }
    });
  }

  /** pip's allowed formats for the project (format-control.ts): binary, source or both. */
  private formatsFor(name: NormalizedName): { binary: boolean; source: boolean } {
    const allowed = allowedFormats(this.options.client.formats.control, name);
    return { binary: allowed.has('binary'), source: allowed.has('source') };
  }

  private sdist(file: DistFile): Promise<SdistInfo> {
    if (this.options.sdists === undefined)
      throw new Error('IndexProvider: an sdist candidate without an sdist reader');
    return this.options.sdists.read(file);
  }
}

/** pip's no-binary names the project, and ferry was not allowed to carry its sdist. */
function sdistRequired(name: NormalizedName, sources: readonly string[]): FerryError {
  const from = sources.filter((s) => s.startsWith('no-binary'));
  return new FerryError(
    'ERR_FERRY_SDIST_REQUIRED',
    `pip's configuration sets no-binary for "${name}"${from.length > 0 ? ` (${from.join('; ')})` : ''}: it must be installed from its source distribution, and ferry carries an sdist only when asked to.`,
    {
      hint: `Carry the sdist (to be built on the target, which then needs a compiler) with --allow-sdist ${name}, or let its wheels be used: PIP_NO_BINARY=:none: (or only-binary = ${name} in pip.conf) overrides the setting.`,
      details: { project: name, settings: from },
    },
  );
}

function pythonFits(requiresPython: string | undefined, pythonVersion: Version): boolean {
  if (requiresPython === undefined || requiresPython.trim() === '') return true;
  try {
    return specifierSetContains(parseSpecifierSet(requiresPython), pythonVersion, {
      prereleases: true,
    });
  } catch {
    return true; // pip ignores an unparsable data-requires-python
  }
}

/** Versions equal under PEP 440 (1.0 == 1.0.0) share one candidate. */
function canonicalKey(version: Version): string {
  const release = [...version.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  return JSON.stringify({ ...version, release });
}

const isWheel = (file: DistFile): boolean => file.filename.endsWith('.whl');
const isWheelName = (filename: string): boolean => filename.endsWith('.whl');

function betterSdist(file: DistFile, other: DistFile): boolean {
  const yanked = file.yanked !== false;
  if (yanked !== (other.yanked !== false)) return !yanked;
  const gz = file.filename.endsWith('.tar.gz');
  if (gz !== other.filename.endsWith('.tar.gz')) return gz;
  return file.filename < other.filename;
}

/** Prefer a non-yanked file, then the better tag rank, then the name (for determinism). */
function better(file: DistFile, rank: number, other: DistFile, otherRank: number): boolean {
  const yanked = file.yanked !== false;
  const otherYanked = other.yanked !== false;
  if (yanked !== otherYanked) return !yanked;
  if (rank !== otherRank) return rank < otherRank;
  return file.filename < other.filename;
}

/** The platform tag part of a wheel's file name ("manylinux_2_17_x86_64.manylinux2014_x86_64"). */
/** The metadata's Name must be the candidate's project. */
function checkName(name: string, candidate: Candidate): void {
  if (normalizeName(name) === candidate.name) return;
  throw new FerryError(
    'ERR_FERRY_INVALID_METADATA',
    `The metadata of ${candidate.file.filename} names the project "${name}", not "${candidate.name}".`,
    {
      hint: 'The index serves a mislabelled file; report it to the index operator or exclude this version.',
    },
  );
}

/** Every platform tag any target accepts ('any' included). */
function acceptedPlatforms(targets: readonly Pick<ProviderTarget, 'tags'>[]): ReadonlySet<string> {
  return new Set(targets.flatMap((t) => t.tags.map((tag) => tag.slice(tag.lastIndexOf('-') + 1))));
}

/**
 * The index client's filter for a lock (IndexClientOptions.wanted): sdists, anything that is not
 * a well-formed wheel name (the full parse judges it), and wheels one of whose tags (PEP 425's
 * compressed tag sets expanded: `py3.py2-none-any`) some target accepts. The rest can never be
 * a candidate, so the client names them only; no version or tag is parsed for them. The
 * parsed-page cache keys on the targets' tags, not on this code: a change to what it keeps
 * must bump src/index/parsed-pages.ts FORMAT.
 */
export function wantedFiles(
  targets: readonly Pick<ProviderTarget, 'tags'>[],
): (filename: string) => boolean {
  const accepted = new Set(targets.flatMap((t) => t.tags));
  const platforms = acceptedPlatforms(targets);
  return (filename) => {
    const triple = wheelTagTriple(filename);
    if (triple === undefined) return true;
    // The platform first: most files of a big page are for other platforms.
    const platformPart = triple.slice(triple.lastIndexOf('-') + 1);
    if (!platformPart.includes('.')) {
      if (!platforms.has(platformPart)) return false;
      if (!triple.includes('.')) return accepted.has(triple);
    } else if (!platformPart.split('.').some((p) => platforms.has(p))) return false;
    const [pythons, abis, platformTags] = triple.split('-') as [string, string, string];
    for (const python of pythons.split('.'))
      for (const abi of abis.split('.'))
        for (const platform of platformTags.split('.'))
          if (accepted.has(`${python}-${abi}-${platform}`)) return true;
    return false;
  };
}

/**
 * `cp311-cp311-manylinux_2_17_x86_64` of a wheel's name (lower case), or undefined for a name
 * with fewer than five parts. Runs on every file of every page: index arithmetic, no split.
 */
function wheelTagTriple(filename: string): string | undefined {
  if (!filename.endsWith('.whl')) return undefined;
  const end = filename.length - 4;
  const platformAt = filename.lastIndexOf('-', end - 1);
  const abiAt = platformAt <= 0 ? -1 : filename.lastIndexOf('-', platformAt - 1);
  const pythonAt = abiAt <= 0 ? -1 : filename.lastIndexOf('-', abiAt - 1);
  if (pythonAt <= 0 || filename.lastIndexOf('-', pythonAt - 1) <= 0) return undefined;
  return filename.slice(pythonAt + 1, end).toLowerCase();
}

/** A wheel no target takes, judged by its name alone. */
function tagRejection(filename: string): RejectedFile {
  return {
    filename,
    version: filename.split('-')[1] ?? '',
    reason: 'incompatible-tags',
    detail: `tags ${wheelTagTriple(filename) ?? filename} do not fit`,
  };
}

const platformRejection = (filename: string, platform: string): RejectedFile => ({
  filename,
  version: filename.split('-')[1] ?? '',
  reason: 'incompatible-tags',
  detail: `tags *-*-${platform} do not fit`,
});

function wheelPlatformPart(filename: string): string | undefined {
  if (!filename.endsWith('.whl')) return undefined;
  const dash = filename.lastIndexOf('-');
  return dash === -1 ? undefined : filename.slice(dash + 1, -4).toLowerCase();
}

/** A file name that does not parse is an invalid entry on the page, not an error for the run. */
function safeParse(filename: string, name: NormalizedName): DistFilename | undefined {
  try {
    return parseDistFilename(filename, name);
  } catch {
    return undefined;
  }
}
