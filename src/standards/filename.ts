/**
 * Distribution filenames: wheels (PEP 427, PEP 491 binary distribution format) and sdists
 * (PEP 625, plus the legacy `{name}-{version}` names that pip still accepts).
 *
 * Validation follows `packaging.utils.parse_wheel_filename` / `parse_sdist_filename`, except
 * that project names must be valid core-metadata names (packaging accepts any `[\w._]+`).
 * Every parser first rejects names that could act as paths: a filename from an index page
 * never becomes a path unless it passed assertSafeFilename.
 */

import { FerryError } from '../core/errors.js';
import { memoize } from '../core/memo.js';
import { isValidProjectName, type NormalizedName, normalizeName } from './name.js';
import { expandTagSet } from './tags.js';
import { formatVersion, tryParseVersion } from './version.js';

export interface WheelFilename {
  readonly kind: 'wheel';
  readonly filename: string;
  readonly name: NormalizedName;
  /** The PEP 440 normalized version, e.g. '2.6.2.post112' or '2.1.2+cu118'. */
  readonly version: string;
  /** PEP 427 build tag: leading digits as a number, the rest as written. */
  readonly build?: { readonly number: number; readonly tag: string };
  readonly pythonTags: readonly string[];
  readonly abiTags: readonly string[];
  readonly platformTags: readonly string[];
  /** The expanded 'py3-none-any' triples, lowercased as packaging.tags.Tag does. */
  readonly tags: readonly string[];
}

export interface SdistFilename {
  readonly kind: 'sdist';
  readonly filename: string;
  readonly name: NormalizedName;
  /** The PEP 440 normalized version. */
  readonly version: string;
  readonly extension: '.tar.gz' | '.zip' | string;
}

export type DistFilename = WheelFilename | SdistFilename;

/** The archive formats pip accepts for source distributions (PEP 625: .tar.gz; legacy .zip). */
export const SDIST_EXTENSIONS = ['.tar.gz', '.zip'] as const;

// Characters that must never reach a file system path: separators, NUL and other controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const UNSAFE_CHARACTERS = /[/\\\u0000-\u001f\u007f]/;

/**
 * Rejects a filename that could escape the folder it is written to or confuse a file system:
 * empty, '/', '\\', '..', NUL or another control character.
 */
export function assertSafeFilename(filename: string): void {
  if (
    filename === '' ||
    filename.trim() === '' ||
    UNSAFE_CHARACTERS.test(filename) ||
    filename.includes('..') ||
    filename === '.'
  ) {
    throw new FerryError(
      'ERR_FERRY_UNSAFE_FILENAME',
      `The filename ${JSON.stringify(filename)} is not safe to use as a file name`,
      {
        hint: 'Distribution filenames may not be empty or contain "/", "\\", "..", or control characters; the index that served it may be hostile or broken.',
        details: { filename },
      },
    );
  }
}

function invalid(
  kind: 'wheel' | 'sdist',
  filename: string,
  problem: string,
  part: string,
  hint?: string,
): FerryError {
  return new FerryError(
    'ERR_FERRY_INVALID_FILENAME',
    `The ${kind} filename "${filename}" ${problem}`,
    {
      hint:
        hint ??
        (kind === 'wheel'
          ? 'Wheel filenames look like {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427).'
          : 'Source distribution filenames look like {name}-{version}.tar.gz (PEP 625).'),
      details: { filename, part },
    },
  );
}

/**
 * The PEP 440 normalized form of `text` (str(packaging.version.Version(text))), or undefined
 * when it is not a valid version.
 */
export function normalizeVersionText(text: string): string | undefined {
  const version = tryParseVersion(text);
  return version === undefined ? undefined : formatVersion(version);
}

// Python's str.isidentifier(), close enough for tags (letters, digits, underscore).
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

/** Parses `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (PEP 427, PEP 491). */
/** Memoized: index pages repeat file names across projects and runs of the resolver. */
export function parseWheelFilename(filename: string): WheelFilename {
  return parseWheelMemo(filename);
}

function parseWheelFilenameUncached(filename: string): WheelFilename {
  assertSafeFilename(filename);
  if (!filename.endsWith('.whl'))
    throw invalid('wheel', filename, 'does not end with ".whl"', 'extension');
  const stem = filename.slice(0, -'.whl'.length);
  const parts = stem.split('-');
  if (parts.length !== 5 && parts.length !== 6) {
    throw invalid(
      'wheel',
      filename,
      `has ${parts.length} dash-separated parts, not 5 or 6`,
      'parts',
    );
  }
  const [namePart = '', versionPart = ''] = parts;
  // PEP 427 escapes runs of '-', '_', '.' in the name as a single '_'; '__' cannot come from it.
  if (namePart.includes('__') || !isValidProjectName(namePart)) {
    throw invalid('wheel', filename, 'has an invalid package name', 'name');
  }
  const version = normalizeVersionText(versionPart);
  if (version === undefined) throw invalid('wheel', filename, 'has an invalid version', 'version');
  let build: WheelFilename['build'];
  if (parts.length === 6) {
    // PEP 427: the build tag must start with a digit; packaging sorts on (int, rest).
    const m = /^([0-9]+)(.*)$/s.exec(parts[2] ?? '');
    if (m === null) throw invalid('wheel', filename, 'has an invalid build tag', 'build');
    build = { number: Number(m[1]), tag: m[2] ?? '' };
  }
  const [pythonPart = '', abiPart = '', platformPart = ''] = parts.slice(-3);
  const tags = expandTagSet(`${pythonPart}-${abiPart}-${platformPart}`);
  const pythonTags = pythonPart.split('.');
  if (tags === undefined) throw invalid('wheel', filename, 'has an empty tag component', 'tags');
  if (!pythonTags.every((t) => IDENTIFIER.test(t))) {
    throw invalid('wheel', filename, 'has an invalid python tag', 'python-tag');
  }
  return {
    kind: 'wheel',
    filename,
    name: normalizeName(namePart),
    version,
    ...(build === undefined ? {} : { build }),
    pythonTags,
    abiTags: abiPart.split('.'),
    platformTags: platformPart.split('.'),
    tags,
  };
}

function sdistExtension(filename: string): string | undefined {
  return SDIST_EXTENSIONS.find((ext) => filename.endsWith(ext));
}

/**
 * Parses `{name}-{version}.tar.gz` or `.zip`. Without `projectName` the version is what follows
 * the last '-' (as packaging does; PEP 440 versions written normalized contain no '-'). With
 * `projectName` the name is the shortest '-'-separated prefix that normalizes to it, as pip's
 * `_find_name_version_sep` does, so legacy names like `foo-1.0-rc1.tar.gz` parse.
 */
export function parseSdistFilename(filename: string, projectName?: string): SdistFilename {
  assertSafeFilename(filename);
  const extension = sdistExtension(filename);
  if (extension === undefined)
    throw invalid('sdist', filename, 'does not end with ".tar.gz" or ".zip"', 'extension');
  const stem = filename.slice(0, -extension.length);
  let namePart: string;
  let versionPart: string;
  if (projectName === undefined) {
    const dash = stem.lastIndexOf('-');
    if (dash < 0) throw invalid('sdist', filename, 'has no "-" between name and version', 'parts');
    namePart = stem.slice(0, dash);
    versionPart = stem.slice(dash + 1);
  } else {
    const wanted = normalizeName(projectName);
    let at = -1;
    for (let i = stem.indexOf('-'); i >= 0; i = stem.indexOf('-', i + 1)) {
      const candidate = stem.slice(0, i);
      if (isValidProjectName(candidate) && normalizeName(candidate) === wanted) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      throw invalid(
        'sdist',
        filename,
        `is not a file of project "${projectName}"`,
        'name',
        'The index listed a file whose name belongs to another project; it is ignored.',
      );
    }
    namePart = stem.slice(0, at);
    versionPart = stem.slice(at + 1);
  }
  if (!isValidProjectName(namePart))
    throw invalid('sdist', filename, 'has an invalid package name', 'name');
  const version = normalizeVersionText(versionPart);
  if (version === undefined) throw invalid('sdist', filename, 'has an invalid version', 'version');
  return { kind: 'sdist', filename, name: normalizeName(namePart), version, extension };
}

/**
 * A wheel or sdist filename; undefined for other files an index may list (.exe, .egg, .msi,
 * .tar.bz2, ...), which pip ignores too. Unsafe or malformed wheel/sdist names still throw.
 */
const parseWheelMemo = memoize(parseWheelFilenameUncached);

export function parseDistFilename(
  filename: string,
  projectName?: string,
): DistFilename | undefined {
  assertSafeFilename(filename);
  if (filename.endsWith('.whl')) return parseWheelFilename(filename);
  if (sdistExtension(filename) !== undefined) return parseSdistFilename(filename, projectName);
  return undefined;
}

/** True when the wheel declares any tag in `supported` (a set of lowercased triples). */
export function wheelMatchesAny(wheel: WheelFilename, supported: ReadonlySet<string>): boolean {
  return wheel.tags.some((tag) => supported.has(tag));
}
