/**
 * Sorting the links of a page into one project's files: whose file a name is (cheaply, for
 * pages with thousands of wheels), project page URLs (PEP 503), and the unsafe strategies'
 * rule that a version comes only from the first index that has it.
 */
import { parseDistFilename } from '../standards/filename.js';
import { isValidProjectName, type NormalizedName, normalizeName } from '../standards/name.js';
import { normalizeVersion } from '../standards/version.js';
import type { DistFile } from './dist-file.js';

export interface Found {
  readonly files: DistFile[];
  /** Names of the files set aside by the client's `wanted` filter (ProjectPage.otherFiles). */
  readonly otherFiles: string[];
  readonly shown: string;
}

/**
 * The unsafe strategies: every index answers, but a version is taken only from the first index
 * (in priority order) that has it (uv: "if a package version is in multiple indexes, only look
 * at the entry for the first index").
 */
export function firstIndexPerVersion(found: readonly Found[]): Found[] {
  const taken = new Set<string>();
  const out: Found[] = [];
  for (const answer of found) {
    const versions = new Set<string>();
    // A version is this index's even where only files set aside by name have it.
    const mine = (filename: string): boolean => {
      const version = versionKey(filename);
      if (version === undefined) return true;
      versions.add(version);
      return !taken.has(version);
    };
    const files = answer.files.filter((f) => mine(f.filename));
    const otherFiles = answer.otherFiles.filter(mine);
    for (const v of versions) taken.add(v);
    if (files.length > 0 || otherFiles.length > 0 || out.length === 0)
      out.push({ files, otherFiles, shown: answer.shown });
  }
  return out;
}

function versionKey(filename: string): string | undefined {
  try {
    const parsed = parseDistFilename(filename);
    return parsed === undefined ? undefined : normalizeVersion(parsed.version);
  } catch {
    return undefined;
  }
}

export function parsedName(filename: string, projectName?: string): string | undefined {
  // A wheel's name is its first dash-separated part (PEP 427 escapes dashes in names): enough to
  // tell whose file it is, without a full parse of every file on a big page. The resolver parses
  // the ones it looks at.
  if (filename.endsWith('.whl')) {
    const first = filename.slice(0, Math.max(0, filename.indexOf('-')));
    return isValidProjectName(first) ? normalizeName(first) : undefined;
  }
  try {
    return parseDistFilename(filename, projectName)?.name;
  } catch {
    return undefined;
  }
}

/**
 * parsedName for the files of one page, remembering each wheel's name part: a project page
 * holds thousands of wheels that all begin with the same name.
 */
export function projectNamer(projectName: NormalizedName): {
  of(filename: string): string | undefined;
} {
  const seen = new Map<string, string | undefined>();
  return {
    of(filename) {
      if (!filename.endsWith('.whl')) return parsedName(filename, projectName);
      const first = filename.slice(0, Math.max(0, filename.indexOf('-')));
      let name = seen.get(first);
      if (name === undefined && !seen.has(first)) {
        name = parsedName(filename, projectName);
        seen.set(first, name);
      }
      return name;
    },
  };
}

/** PEP 503: `<index>/<normalized name>/`, always with the trailing slash. */
export function projectUrl(indexUrl: string, name: NormalizedName): string {
  return `${indexUrl.replace(/\/+$/, '')}/${encodeURIComponent(name)}/`;
}
