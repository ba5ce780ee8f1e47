/** PEP 751 lock files: reading and validation, mirroring packaging.pylock.Pylock.from_dict; every problem is collected. */
import { parse as parseToml, TomlDate, TomlError } from 'smol-toml';
import { FerryError } from '../../core/errors.js';
import {
  parseSdistFilename,
  parseWheelFilename,
  type WheelFilename,
} from '../../standards/filename.js';
import { parseMarker } from '../../standards/marker.js';
import { isValidProjectName, type NormalizedName, normalizeName } from '../../standards/name.js';
import { parseSpecifierSet } from '../../standards/specifier.js';
import { compareVersions, tryParseVersion, type Version } from '../../standards/version.js';
import {
  distName,
  isPlainTable,
  normalizeUploadTime,
  SUPPORTED_MAJOR,
  sortedRecord,
  WRITTEN_VERSION,
} from './shared.js';
import type {
  LockDirectoryInput,
  LockProblem,
  LockVcsInput,
  PylockArchive,
  PylockDist,
  PylockFile,
  PylockPackage,
  PylockWheel,
} from './types.js';

export const TOP_KEYS = new Set([
  'lock-version',
  'environments',
  'requires-python',
  'extras',
  'dependency-groups',
  'default-groups',
  'created-by',
  'packages',
  'tool',
]);
export const PACKAGE_KEYS = new Set([
  'name',
  'version',
  'marker',
  'requires-python',
  'dependencies',
  'vcs',
  'directory',
  'archive',
  'index',
  'sdist',
  'wheels',
  'attestation-identities',
  'tool',
]);
export const DIST_KEYS = new Set(['name', 'upload-time', 'url', 'path', 'size', 'hashes']);
export const ARCHIVE_KEYS = new Set([
  'url',
  'path',
  'size',
  'upload-time',
  'hashes',
  'subdirectory',
]);
export const VCS_KEYS = new Set([
  'type',
  'url',
  'path',
  'requested-revision',
  'commit-id',
  'subdirectory',
]);
export const DIRECTORY_KEYS = new Set(['path', 'editable', 'subdirectory']);

// Lengths of hex digests for the algorithms pip's --hash accepts.
export const DIGEST_LENGTHS: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

export type Table = Record<string, unknown>;

export class Checker {
  readonly problems: LockProblem[] = [];
  readonly warnings: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  unknownKeys(table: Table, known: ReadonlySet<string>, path: string): void {
    for (const k of Object.keys(table)) {
      if (!known.has(k)) this.warnings.push(`unknown key ${join(path, k)} (ignored)`);
    }
  }

  /** A value of the expected TOML type, or undefined (after recording a problem if wrong). */
  get<T>(table: Table, key: string, path: string, kind: Kind<T>, required = false): T | undefined {
    const value = table[key];
    const at = join(path, key);
    if (value === undefined) {
      if (required) this.problem(at, 'missing required value');
      return undefined;
    }
    if (!kind.test(value)) {
      this.problem(at, `expected ${kind.name}, found ${describeType(value)}`);
      return undefined;
    }
    return value;
  }
}

export interface Kind<T> {
  readonly name: string;
  readonly test: (v: unknown) => v is T;
}

export const STRING: Kind<string> = {
  name: 'a string',
  test: (v): v is string => typeof v === 'string',
};
export const BOOLEAN: Kind<boolean> = {
  name: 'a boolean',
  test: (v): v is boolean => typeof v === 'boolean',
};
export const INTEGER: Kind<number> = {
  name: 'an integer',
  test: (v): v is number => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
};
export const TABLE: Kind<Table> = { name: 'a table', test: (v): v is Table => isPlainTable(v) };
export const ARRAY: Kind<unknown[]> = {
  name: 'an array',
  test: (v): v is unknown[] => Array.isArray(v),
};
export const DATETIME: Kind<TomlDate> = {
  name: 'a date-time',
  test: (v): v is TomlDate => v instanceof TomlDate && v.isDateTime(),
};

export function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof TomlDate) {
    if (value.isDate()) return 'a date';
    if (value.isTime()) return 'a time';
    return 'a date-time';
  }
  if (isPlainTable(value)) return 'a table';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a float';
  if (typeof value === 'bigint') return 'an integer';
  return `a ${typeof value}`;
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

export function checkStringArray(
  c: Checker,
  table: Table,
  key: string,
  path: string,
): string[] | undefined {
  const list = c.get(table, key, path, ARRAY);
  if (list === undefined) return undefined;
  let ok = true;
  list.forEach((item, i) => {
    if (typeof item !== 'string') {
      c.problem(join(join(path, key), i), `expected a string, found ${describeType(item)}`);
      ok = false;
    }
  });
  return ok ? (list as string[]) : undefined;
}

export function checkMarker(c: Checker, text: string, at: string): void {
  try {
    parseMarker(text);
  } catch (error) {
    c.problem(at, `invalid marker ${JSON.stringify(text)}: ${firstLine(error)}`);
  }
}

export function checkSpecifier(c: Checker, text: string, at: string): void {
  try {
    parseSpecifierSet(text);
  } catch (error) {
    c.problem(at, `invalid version specifier ${JSON.stringify(text)}: ${firstLine(error)}`);
  }
}

export function checkHashes(
  c: Checker,
  table: Table,
  path: string,
): Record<string, string> | undefined {
  const hashes = c.get(table, 'hashes', path, TABLE, true);
  if (hashes === undefined) return undefined;
  const at = join(path, 'hashes');
  const keys = Object.keys(hashes);
  if (keys.length === 0) {
    c.problem(at, 'at least one hash must be provided');
    return undefined;
  }
  let ok = true;
  for (const k of keys) {
    const value = hashes[k];
    if (typeof value !== 'string') {
      c.problem(join(at, k), `hash values must be strings, found ${describeType(value)}`);
      ok = false;
      continue;
    }
    const length = DIGEST_LENGTHS[k.toLowerCase()];
    if (length !== undefined && !new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value)) {
      c.problem(
        join(at, k),
        `${JSON.stringify(value)} is not a ${k} digest (${length} hex digits)`,
      );
      ok = false;
    }
  }
  return ok ? (hashes as Record<string, string>) : undefined;
}

export function checkUploadTime(c: Checker, table: Table, path: string): string | undefined {
  const value = table['upload-time'];
  const at = join(path, 'upload-time');
  if (value === undefined) return undefined;
  if (!DATETIME.test(value)) {
    c.problem(at, `expected a date-time, found ${describeType(value)}`);
    return undefined;
  }
  if (value.isLocal()) {
    c.problem(at, 'the upload time must be in UTC (it has no offset)');
    return undefined;
  }
  const iso = value.toISOString();
  const normalized = normalizeUploadTime(iso);
  if (normalized === undefined || !/(?:Z|[+-]00:00)$/.test(iso)) {
    c.problem(at, `the upload time must be recorded in UTC, found ${iso}`);
    return undefined;
  }
  return normalized;
}

export function checkSize(c: Checker, table: Table, path: string): number | undefined {
  const size = c.get(table, 'size', path, INTEGER);
  if (size === undefined) return undefined;
  if (Number(size) < 0) {
    c.problem(join(path, 'size'), `the size must not be negative, found ${size}`);
    return undefined;
  }
  return Number(size);
}

export function checkPathOrUrl(
  c: Checker,
  table: Table,
  path: string,
): { url?: string; path?: string } {
  const url = c.get(table, 'url', path, STRING);
  const filePath = c.get(table, 'path', path, STRING);
  if (!url && !filePath && table.url === undefined && table.path === undefined) {
    c.problem(path, 'path or url must be provided');
  } else if (!url && !filePath && (url === '' || filePath === '')) {
    c.problem(path, 'path or url must be provided (both are empty)');
  }
  return { ...(url ? { url } : {}), ...(filePath ? { path: filePath } : {}) };
}

export function checkDist(
  c: Checker,
  table: Table,
  path: string,
  kind: 'wheel' | 'sdist',
): PylockDist | undefined {
  c.unknownKeys(table, DIST_KEYS, path);
  const before = c.problems.length;
  const name = c.get(table, 'name', path, STRING);
  const uploadTime = checkUploadTime(c, table, path);
  const where = checkPathOrUrl(c, table, path);
  const size = checkSize(c, table, path);
  const hashes = checkHashes(c, table, path);
  if (c.problems.length > before || hashes === undefined) return undefined;
  const filename = distName({ ...(name ? { name } : {}), ...where });
  if (!filename) {
    c.problem(path, `cannot determine the ${kind} file name`);
    return undefined;
  }
  return {
    name: filename,
    ...where,
    ...(size === undefined ? {} : { size }),
    ...(uploadTime === undefined ? {} : { uploadTime }),
    hashes: sortedRecord(hashes) as Record<string, string>,
  };
}

/**
 * A wheel's or sdist's file name must agree with its package's name and version (PEP 751: the
 * file belongs to the package it is listed under).
 */
function fileAgreesWithPackage(
  c: Checker,
  at: string,
  filename: string,
  parsed: { readonly name: string; readonly version: string },
  pkg: { readonly name?: string; readonly version?: string; readonly parsedVersion?: Version },
): void {
  if (pkg.name !== undefined && parsed.name !== pkg.name) {
    c.problem(
      at,
      `the name in ${JSON.stringify(filename)} is not consistent with package name ${JSON.stringify(pkg.name)}`,
    );
  }
  const fileVersion = tryParseVersion(parsed.version);
  if (
    pkg.parsedVersion !== undefined &&
    fileVersion !== undefined &&
    compareVersions(fileVersion, pkg.parsedVersion) !== 0
  ) {
    c.problem(
      at,
      `the version in ${JSON.stringify(filename)} is not consistent with package version ${JSON.stringify(pkg.version)}`,
    );
  }
}

export function checkPackage(c: Checker, table: Table, path: string): PylockPackage | undefined {
  c.unknownKeys(table, PACKAGE_KEYS, path);
  const before = c.problems.length;
  const name = c.get(table, 'name', path, STRING, true);
  if (name !== undefined && (!isValidProjectName(name) || normalizeName(name) !== name)) {
    c.problem(join(path, 'name'), `name ${JSON.stringify(name)} is not normalized`);
  }
  const version = c.get(table, 'version', path, STRING);
  const parsedVersion = version === undefined ? undefined : tryParseVersion(version);
  if (version !== undefined && parsedVersion === undefined) {
    c.problem(join(path, 'version'), `invalid version ${JSON.stringify(version)}`);
  }
  const requiresPython = c.get(table, 'requires-python', path, STRING);
  if (requiresPython !== undefined)
    checkSpecifier(c, requiresPython, join(path, 'requires-python'));
  const marker = c.get(table, 'marker', path, STRING);
  if (marker !== undefined) checkMarker(c, marker, join(path, 'marker'));
  const index = c.get(table, 'index', path, STRING);

  const dependencies = checkTableArray(c, table, 'dependencies', path);
  const identities = checkTableArray(c, table, 'attestation-identities', path);
  identities?.forEach((identity, i) => {
    c.get(identity, 'kind', join(join(path, 'attestation-identities'), i), STRING, true);
  });
  const tool = c.get(table, 'tool', path, TABLE);

  const vcsTable = c.get(table, 'vcs', path, TABLE);
  let vcs: LockVcsInput | undefined;
  if (vcsTable !== undefined) {
    const at = join(path, 'vcs');
    c.unknownKeys(vcsTable, VCS_KEYS, at);
    const type = c.get(vcsTable, 'type', at, STRING, true);
    const commitId = c.get(vcsTable, 'commit-id', at, STRING, true);
    const where = checkPathOrUrl(c, vcsTable, at);
    const requestedRevision = c.get(vcsTable, 'requested-revision', at, STRING);
    const subdirectory = c.get(vcsTable, 'subdirectory', at, STRING);
    if (type !== undefined && commitId !== undefined) {
      vcs = {
        type,
        ...where,
        ...(requestedRevision === undefined ? {} : { requestedRevision }),
        commitId,
        ...(subdirectory === undefined ? {} : { subdirectory }),
      };
    }
  }
  const directoryTable = c.get(table, 'directory', path, TABLE);
  let directory: LockDirectoryInput | undefined;
  if (directoryTable !== undefined) {
    const at = join(path, 'directory');
    c.unknownKeys(directoryTable, DIRECTORY_KEYS, at);
    const dirPath = c.get(directoryTable, 'path', at, STRING, true);
    const editable = c.get(directoryTable, 'editable', at, BOOLEAN);
    const subdirectory = c.get(directoryTable, 'subdirectory', at, STRING);
    if (dirPath !== undefined) {
      directory = {
        path: dirPath,
        ...(editable === undefined ? {} : { editable }),
        ...(subdirectory === undefined ? {} : { subdirectory }),
      };
    }
  }
  const archiveTable = c.get(table, 'archive', path, TABLE);
  let archive: PylockArchive | undefined;
  if (archiveTable !== undefined) {
    const at = join(path, 'archive');
    c.unknownKeys(archiveTable, ARCHIVE_KEYS, at);
    const where = checkPathOrUrl(c, archiveTable, at);
    const size = checkSize(c, archiveTable, at);
    const uploadTime = checkUploadTime(c, archiveTable, at);
    const hashes = checkHashes(c, archiveTable, at);
    const subdirectory = c.get(archiveTable, 'subdirectory', at, STRING);
    if (hashes !== undefined) {
      archive = {
        ...where,
        ...(size === undefined ? {} : { size }),
        ...(uploadTime === undefined ? {} : { uploadTime }),
        hashes: sortedRecord(hashes) as Record<string, string>,
        ...(subdirectory === undefined ? {} : { subdirectory }),
      };
    }
  }
  const sdistTable = c.get(table, 'sdist', path, TABLE);
  const sdist =
    sdistTable === undefined ? undefined : checkDist(c, sdistTable, join(path, 'sdist'), 'sdist');
  const wheelTables = checkTableArray(c, table, 'wheels', path);
  const wheels: PylockWheel[] = [];
  wheelTables?.forEach((w, i) => {
    const wheel = checkDist(c, w, join(join(path, 'wheels'), i), 'wheel');
    if (wheel !== undefined) wheels.push(wheel);
  });

  // Exactly one kind of source (packaging's Package._from_dict; the spec's "mutually exclusive").
  const distributions = (sdistTable !== undefined ? 1 : 0) + (wheelTables?.length ?? 0);
  const direct =
    (vcsTable !== undefined ? 1 : 0) +
    (directoryTable !== undefined ? 1 : 0) +
    (archiveTable !== undefined ? 1 : 0);
  if (distributions > 0 && direct > 0) {
    c.problem(path, 'none of vcs, directory, archive may be set if sdist or wheels are set');
  } else if (distributions === 0 && direct !== 1) {
    c.problem(
      path,
      'exactly one of vcs, directory, archive must be set if sdist and wheels are not set',
    );
  }

  // File names must agree with the package's name and version.
  wheelTables?.forEach((w, i) => {
    const at = join(join(path, 'wheels'), i);
    const filename = distName({
      ...(typeof w.name === 'string' ? { name: w.name } : {}),
      ...(typeof w.path === 'string' ? { path: w.path } : {}),
      ...(typeof w.url === 'string' ? { url: w.url } : {}),
    });
    if (!filename) return;
    let parsed: WheelFilename;
    try {
      parsed = parseWheelFilename(filename);
    } catch (error) {
      c.problem(at, `invalid wheel filename ${JSON.stringify(filename)}: ${firstLine(error)}`);
      return;
    }
    fileAgreesWithPackage(c, at, filename, parsed, { name, version, parsedVersion });
  });
  if (sdistTable !== undefined) {
    const at = join(path, 'sdist');
    const filename = distName({
      ...(typeof sdistTable.name === 'string' ? { name: sdistTable.name } : {}),
      ...(typeof sdistTable.path === 'string' ? { path: sdistTable.path } : {}),
      ...(typeof sdistTable.url === 'string' ? { url: sdistTable.url } : {}),
    });
    if (filename) {
      try {
        const parsed = parseSdistFilename(filename);
        fileAgreesWithPackage(c, at, filename, parsed, { name, version, parsedVersion });
      } catch (error) {
        c.problem(at, `invalid sdist filename ${JSON.stringify(filename)}: ${firstLine(error)}`);
      }
    }
  }

  if (c.problems.length > before || name === undefined) return undefined;
  return {
    name: name as NormalizedName,
    ...(version === undefined ? {} : { version }),
    ...(marker === undefined ? {} : { marker }),
    ...(requiresPython === undefined ? {} : { requiresPython }),
    ...(index === undefined ? {} : { index }),
    ...(dependencies === undefined ? {} : { dependencies: plain(dependencies) }),
    ...(vcs === undefined ? {} : { vcs }),
    ...(directory === undefined ? {} : { directory }),
    ...(archive === undefined ? {} : { archive }),
    ...(sdist === undefined ? {} : { sdist }),
    ...(wheelTables === undefined ? {} : { wheels }),
    ...(identities === undefined ? {} : { attestationIdentities: plain(identities) }),
    ...(tool === undefined ? {} : { tool: plain(tool) }),
  };
}

/** A deep copy with ordinary prototypes (smol-toml's tables have none); dates kept as read. */
export function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plain) as T;
  if (isPlainTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out as T;
  }
  return value;
}

export function checkTableArray(
  c: Checker,
  table: Table,
  key: string,
  path: string,
): Table[] | undefined {
  const list = c.get(table, key, path, ARRAY);
  if (list === undefined) return undefined;
  let ok = true;
  list.forEach((item, i) => {
    if (!isPlainTable(item)) {
      c.problem(join(join(path, key), i), `expected a table, found ${describeType(item)}`);
      ok = false;
    }
  });
  return ok ? (list as Table[]) : undefined;
}

export function validate(
  doc: Table,
  source: string,
): { ok: true; lock: PylockFile } | { ok: false; problems: LockProblem[] } {
  const c = new Checker();
  c.unknownKeys(doc, TOP_KEYS, '');
  const lockVersion = c.get(doc, 'lock-version', '', STRING, true);
  if (lockVersion !== undefined) {
    const v = tryParseVersion(lockVersion);
    if (v === undefined) {
      c.problem('lock-version', `invalid version ${JSON.stringify(lockVersion)}`);
    } else if (
      v.epoch !== 0 ||
      (v.release[0] ?? 0) !== SUPPORTED_MAJOR ||
      compareVersions(v, { epoch: 0, release: [1] }) < 0
    ) {
      c.problem('lock-version', `lock-version ${lockVersion} is not supported (ferry reads 1.x)`);
    } else if (compareVersions(v, { epoch: 0, release: [1, 0] }) > 0) {
      c.warnings.push(
        `lock-version ${lockVersion} is newer than ${WRITTEN_VERSION}; keys it added are ignored`,
      );
    }
  }
  const environments = checkStringArray(c, doc, 'environments', '');
  environments?.forEach((e, i) => {
    checkMarker(c, e, join('environments', i));
  });
  // PEP 751: an installer must find one marker in `environments` that holds, so an empty list
  // admits no environment. Such a lock could never install; refusing it here (ferry's own rule,
  // packaging refuses only when selecting) also keeps a rewrite (bundle --lock) from widening it.
  if (environments?.length === 0) {
    c.problem(
      'environments',
      'an empty list matches no environment (PEP 751); leave the key out to lock for any environment',
    );
  }
  const extras = checkStringArray(c, doc, 'extras', '');
  extras?.forEach((e, i) => {
    if (!isValidProjectName(e) || normalizeName(e) !== e) {
      c.problem(join('extras', i), `extra ${JSON.stringify(e)} is not normalized`);
    }
  });
  const dependencyGroups = checkStringArray(c, doc, 'dependency-groups', '');
  const defaultGroups = checkStringArray(c, doc, 'default-groups', '');
  const createdBy = c.get(doc, 'created-by', '', STRING, true);
  const requiresPython = c.get(doc, 'requires-python', '', STRING);
  if (requiresPython !== undefined) checkSpecifier(c, requiresPython, 'requires-python');
  const packageTables = checkTableArray(c, doc, 'packages', '');
  if (doc.packages === undefined) c.problem('packages', 'missing required value');
  const tool = c.get(doc, 'tool', '', TABLE);
  const packages: PylockPackage[] = [];
  packageTables?.forEach((p, i) => {
    const pkg = checkPackage(c, p, join('packages', i));
    if (pkg !== undefined) packages.push(pkg);
  });
  if (c.problems.length > 0 || lockVersion === undefined || createdBy === undefined) {
    return { ok: false, problems: c.problems };
  }
  return {
    ok: true,
    lock: {
      lockVersion,
      ...(environments === undefined ? {} : { environments }),
      ...(requiresPython === undefined ? {} : { requiresPython }),
      ...(extras === undefined ? {} : { extras }),
      ...(dependencyGroups === undefined ? {} : { dependencyGroups }),
      ...(defaultGroups === undefined ? {} : { defaultGroups }),
      createdBy,
      packages,
      ...(tool === undefined ? {} : { tool: plain(tool) }),
      source,
      warnings: c.warnings,
    },
  };
}

export function tryParsePylock(
  text: string,
  source: string,
): { ok: true; lock: PylockFile } | { ok: false; problems: LockProblem[] } {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (error) {
    const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : '';
    return {
      ok: false,
      problems: [{ path: '', message: `not valid TOML${where}: ${firstLine(error)}` }],
    };
  }
  return validate(doc, source);
}

export function lockError(source: string, problems: readonly LockProblem[]): FerryError {
  const shown = problems
    .slice(0, 10)
    .map((p) => `  ${p.path === '' ? '(file)' : p.path}: ${p.message}`);
  if (problems.length > shown.length)
    shown.push(`  ... and ${problems.length - shown.length} more`);
  const first = problems[0]!;
  const headline =
    problems.length === 1
      ? `The lock file ${source} is not valid: ${first.path === '' ? '' : `${first.path}: `}${first.message}`
      : `The lock file ${source} is not valid (${problems.length} problems):\n${shown.join('\n')}`;
  return new FerryError('ERR_FERRY_BAD_LOCK', headline, {
    hint: 'Regenerate it with `ferry lock`, or fix the keys named above (PEP 751 pylock.toml).',
    details: { file: source, problems },
  });
}

/**
 * Reads and validates a pylock.toml. `source` names the file in messages. Throws
 * ERR_FERRY_BAD_LOCK listing every problem with its TOML path.
 */
export function parsePylock(text: string, source: string): PylockFile {
  const result = tryParsePylock(text, source);
  if (!result.ok) throw lockError(source, result.problems);
  return result.lock;
}
