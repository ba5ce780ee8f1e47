/**
 * `ferry serve --upstream-allow FILE`: what the pull-through cache may take from its upstream.
 *
 *   - a list of project names, one a line (`#` comments): any version of those projects;
 *   - a requirements file (pip's format, read by resolver/requirements-file.ts): a bare name
 *     allows any version, a specifier (`torch==2.3.1`, `numpy>=1.26,<2`) only the versions it
 *     contains, and `--hash=sha256:…` options only the files with those hashes;
 *   - a `pylock.toml` (PEP 751, by its name): exactly the versions and files the lock names.
 *
 * A name not in the file is never fetched: its page is a 404 and the upstream is not asked.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parsePylock } from '../../bundle/pylock.js';
import { FerryError } from '../../core/errors.js';
import { readRequirementsFile } from '../../resolver/requirements-file.js';
import { normalizeName } from '../../standards/name.js';
import { type SpecifierSet, specifierSetContains } from '../../standards/specifier.js';
import { normalizeVersion } from '../../standards/version.js';

export interface AllowedProject {
  /** Versions allowed (PEP 440 normalized); undefined: any. */
  readonly versions?: ReadonlySet<string>;
  /** Specifiers of which the version must satisfy one (requirements files); undefined: any. */
  readonly specifiers?: readonly SpecifierSet[];
  /** SHA-256 digests allowed (lower-case hex); undefined: any file of an allowed version. */
  readonly sha256?: ReadonlySet<string>;
}

export interface UpstreamAllow {
  /** The file it was read from (for messages). */
  readonly source: string;
  /** PEP 503 normalized name → what of it may be taken. */
  readonly projects: ReadonlyMap<string, AllowedProject>;
}

/** Whether a project (and, when given, a version and a file's SHA-256) may come from upstream. */
export function isAllowed(
  allow: UpstreamAllow | undefined,
  project: string,
  version?: string,
  sha256?: string,
): boolean {
  if (allow === undefined) return true;
  const entry = allow.projects.get(normalizeName(project));
  if (entry === undefined) return false;
  if (version !== undefined) {
    if (entry.versions !== undefined && !entry.versions.has(safeNormalizeVersion(version)))
      return false;
    if (
      entry.specifiers !== undefined &&
      !entry.specifiers.some((s) => specifierSetContains(s, version, { prereleases: true }))
    )
      return false;
  }
  if (sha256 !== undefined && entry.sha256 !== undefined && !entry.sha256.has(sha256)) return false;
  return true;
}

const safeNormalizeVersion = (version: string): string => {
  try {
    return normalizeVersion(version);
  } catch {
    return version;
  }
};

/** Reads an allowlist: a pylock.toml by its name, else a requirements file or a list of names. */
export async function readUpstreamAllow(path: string): Promise<UpstreamAllow> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `--upstream-allow ${path} cannot be read: ${(error as Error).message}`,
      {
        hint: 'Give a file of project names, a requirements file, or a pylock.toml.',
        cause: error,
      },
    );
  }
  const name = basename(path);
  if (name === 'pylock.toml' || /^pylock\.[^.]+\.toml$/.test(name) || name.endsWith('.toml'))
    return fromPylock(text, path);
  return fromRequirements(path);
}

function fromPylock(text: string, source: string): UpstreamAllow {
  const lock = parsePylock(text, source);
  const projects = new Map<string, { versions: Set<string>; sha256: Set<string> }>();
  for (const pkg of lock.packages) {
    const entry = projects.get(pkg.name) ?? { versions: new Set(), sha256: new Set() };
    if (pkg.version !== undefined) entry.versions.add(safeNormalizeVersion(pkg.version));
    for (const dist of [...(pkg.wheels ?? []), ...(pkg.sdist === undefined ? [] : [pkg.sdist])]) {
      const sha = dist.hashes.sha256;
      if (sha !== undefined) entry.sha256.add(sha.toLowerCase());
    }
    projects.set(pkg.name, entry);
  }
  return {
    source,
    projects: new Map(
      [...projects].map(([n, e]) => [
        n,
        {
          ...(e.versions.size > 0 ? { versions: e.versions } : {}),
          ...(e.sha256.size > 0 ? { sha256: e.sha256 } : {}),
        },
      ]),
    ),
  };
}

async function fromRequirements(source: string): Promise<UpstreamAllow> {
  // A plain list of names is a requirements file whose requirements have no specifier.
  const parsed = await readRequirementsFile(source, {
    readFile: (p) => readFile(p, 'utf8'),
    env: {},
  });
  const projects = new Map<string, AllowedProject>();
  for (const { requirement } of [...parsed.requirements, ...parsed.constraints]) {
    const key = requirement.normalizedName;
    const hashes = new Set<string>();
    for (const [line, values] of parsed.hashes) {
      if (normalizeName(line.split(/[=<>!~ ;[]/, 1)[0] ?? '') !== key) continue;
      for (const value of values) {
        const [algorithm, digest] = value.split(':', 2);
        if (algorithm === 'sha256' && digest !== undefined) hashes.add(digest.toLowerCase());
      }
    }
    const previous = projects.get(key);
    const bare = requirement.specifier.specifiers.length === 0;
    // Two lines for one name: a version either allows is allowed; a bare name allows any.
    const specifiers =
      bare || (previous !== undefined && previous.specifiers === undefined)
        ? undefined
        : [...(previous?.specifiers ?? []), requirement.specifier];
    const sha256 =
      hashes.size === 0 || (previous !== undefined && previous.sha256 === undefined)
        ? undefined
        : new Set([...(previous?.sha256 ?? []), ...hashes]);
    projects.set(key, {
      ...(specifiers === undefined ? {} : { specifiers }),
      ...(sha256 === undefined ? {} : { sha256 }),
    });
  }
  return { source, projects };
}
