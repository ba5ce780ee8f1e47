/**
 * PEP 751 lock files (`pylock.toml`): write, read and validate, relocate into a bundle, export
 * as a hash-checking requirements.txt, and select what to install for one target.
 *
 * The validation rules follow the specification (packaging.python.org, "pylock.toml
 * Specification") and mirror `packaging.pylock.Pylock.from_dict` (packaging 26.x) so that a
 * lock ferry accepts is one packaging accepts, and the other way round where packaging checks a
 * rule at all. ferry adds a few checks packaging leaves to installers: upload times in UTC,
 * non-negative sizes, well-formed SHA-2 digests. Unknown keys are allowed (the spec asks for a
 * warning only); they are reported in `warnings`, never printed.
 *
 * The writer is deterministic: packages sorted by name then version, wheels by file name, keys
 * in the specification's order, one fixed TOML layout. formatPylock(parsePylock(text)) == text
 * for every text formatPylock wrote.
 */
import { parse as parseToml, TomlDate, TomlError } from 'smol-toml';
import { FerryError } from '../core/errors.js';
import {
  parseSdistFilename,
  parseWheelFilename,
  type WheelFilename,
} from '../standards/filename.js';
import { evaluateMarker, type MarkerEnvironment, parseMarker } from '../standards/marker.js';
import { isValidProjectName, type NormalizedName, normalizeName } from '../standards/name.js';
import { parseSpecifierSet, specifierSetContains } from '../standards/specifier.js';
import { bestWheelRank, tagRanking } from '../standards/tags.js';
import { compareVersions, tryParseVersion } from '../standards/version.js';

// ------------------------------------------------------------------------------------------
// Types
// ------------------------------------------------------------------------------------------

/** A wheel or sdist entry, as given to the writer. */
export interface LockFileInput {
  /** The file name; derived from `path` or `url` when left out. */
  readonly name?: string;
  readonly url?: string;
  /** Relative to the lock file's folder, POSIX separators (e.g. `wheels/x.whl`). */
  readonly path?: string;
  readonly size?: number;
  /** RFC 3339 date-time (PEP 691 `upload-time`); written in UTC with millisecond precision. */
  readonly uploadTime?: string | Date;
  /** Algorithm (lower case) -> hex digest. At least one; sha256 recommended. */
  readonly hashes: Readonly<Record<string, string>>;
}

export interface LockArchiveInput {
  readonly url?: string;
  readonly path?: string;
  readonly size?: number;
  readonly uploadTime?: string | Date;
  readonly hashes: Readonly<Record<string, string>>;
  readonly subdirectory?: string;
}

export interface LockVcsInput {
  readonly type: string;
  readonly url?: string;
  readonly path?: string;
  readonly requestedRevision?: string;
  readonly commitId: string;
  readonly subdirectory?: string;
}

export interface LockDirectoryInput {
  readonly path: string;
  readonly editable?: boolean;
  readonly subdirectory?: string;
}

/** A table of TOML values (strings, numbers, booleans, Dates, arrays, tables). */
export type LockTable = Readonly<Record<string, unknown>>;

export interface LockPackageInput {
  readonly name: string;
  readonly version?: string;
  /** PEP 508 marker: when this entry is installed (e.g. only for some of the targets). */
  readonly marker?: string;
  readonly requiresPython?: string;
  /** Redacted base URL of the index the files came from (helps SBOMs; PEP 751). */
  readonly index?: string;
  /** Informational only: `{ name }`, or `{ name, version }` where the name is ambiguous. */
  readonly dependencies?: readonly LockTable[];
  readonly vcs?: LockVcsInput;
  readonly directory?: LockDirectoryInput;
  readonly archive?: LockArchiveInput;
  readonly sdist?: LockFileInput;
  readonly wheels?: readonly LockFileInput[];
  readonly attestationIdentities?: readonly LockTable[];
  /** `[packages.tool]`: disposable data (it must not change what is installed). */
  readonly tool?: LockTable;
}

export interface LockInput {
  /** Defaults to "1.0". */
  readonly lockVersion?: string;
  /** Defaults to "ferry". */
  readonly createdBy?: string;
  /** PEP 508 markers, one per target the lock was made for. */
  readonly environments?: readonly string[];
  readonly requiresPython?: string;
  readonly extras?: readonly string[];
  readonly dependencyGroups?: readonly string[];
  readonly defaultGroups?: readonly string[];
  readonly packages: readonly LockPackageInput[];
  /** `[tool]`: ferry writes its own facts under `tool.ferry`. */
  readonly tool?: LockTable;
}

/** A wheel or sdist entry as read: the file name is always known. */
export interface PylockDist {
  readonly name: string;
  readonly url?: string;
  readonly path?: string;
  readonly size?: number;
  /** Normalized to `YYYY-MM-DDTHH:MM:SS.sssZ`. */
  readonly uploadTime?: string;
  readonly hashes: Readonly<Record<string, string>>;
}
export type PylockWheel = PylockDist;
export type PylockSdist = PylockDist;

export interface PylockArchive extends LockArchiveInput {
  readonly uploadTime?: string;
}

export interface PylockPackage extends LockPackageInput {
  readonly name: NormalizedName;
  readonly sdist?: PylockSdist;
  readonly wheels?: readonly PylockWheel[];
  readonly archive?: PylockArchive;
}

/** A parsed and validated lock file. It is also a LockInput, so it can be written back. */
export interface PylockFile extends LockInput {
  readonly lockVersion: string;
  readonly createdBy: string;
  readonly packages: readonly PylockPackage[];
  /** Where it was read from (for messages). */
  readonly source: string;
  /** Things the spec asks a reader to warn about (unknown keys, a newer minor version). */
  readonly warnings: readonly string[];
}

export interface LockProblem {
  /** TOML path of the problem, e.g. `packages[2].wheels[0].hashes`; '' for the whole file. */
  readonly path: string;
  readonly message: string;
}

// ------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------

const SUPPORTED_MAJOR = 1;
const WRITTEN_VERSION = '1.0';

/** Writes a lock deterministically. Throws ERR_FERRY_BAD_LOCK when the input is not valid. */
export function formatPylock(input: LockInput): string {
  const out: string[] = [];
  const top = (key: string, value: unknown) => {
    if (value !== undefined) out.push(`${key} = ${tomlValue(value, true)}`);
  };
  top('lock-version', input.lockVersion ?? WRITTEN_VERSION);
  top('environments', input.environments);
  top('requires-python', input.requiresPython);
  top('extras', input.extras);
  top('dependency-groups', input.dependencyGroups);
  top('default-groups', input.defaultGroups);
  top('created-by', input.createdBy ?? 'ferry');

  for (const pkg of sortPackages(input.packages)) {
    out.push('', '[[packages]]');
    const key = (k: string, value: unknown) => {
      if (value !== undefined) out.push(`${k} = ${tomlValue(value, true)}`);
    };
    key('name', safeNormalize(pkg.name));
    key('version', pkg.version);
    key('marker', pkg.marker);
    key('requires-python', pkg.requiresPython);
    key('index', pkg.index);
    key(
      'dependencies',
      pkg.dependencies === undefined ? undefined : sortDependencies(pkg.dependencies),
    );
    if (pkg.vcs !== undefined) {
      out.push('', '[packages.vcs]');
      key('type', pkg.vcs.type);
      key('url', pkg.vcs.url);
      key('path', pkg.vcs.path);
      key('requested-revision', pkg.vcs.requestedRevision);
      key('commit-id', pkg.vcs.commitId);
      key('subdirectory', pkg.vcs.subdirectory);
    }
    if (pkg.directory !== undefined) {
      out.push('', '[packages.directory]');
      key('path', pkg.directory.path);
      key('editable', pkg.directory.editable);
      key('subdirectory', pkg.directory.subdirectory);
    }
    if (pkg.archive !== undefined) {
      out.push('', '[packages.archive]');
      key('url', pkg.archive.url);
      key('path', pkg.archive.path);
      key('size', pkg.archive.size);
      key('upload-time', uploadTimeValue(pkg.archive.uploadTime));
      key('hashes', sortedRecord(pkg.archive.hashes));
      key('subdirectory', pkg.archive.subdirectory);
    }
    if (pkg.sdist !== undefined) {
      out.push('', '[packages.sdist]');
      writeDist(pkg.sdist, key);
    }
    const wheels = [...(pkg.wheels ?? [])].sort((a, b) => compareText(distName(a), distName(b)));
    for (const wheel of wheels) {
      out.push('', '[[packages.wheels]]');
      writeDist(wheel, key);
    }
    for (const identity of pkg.attestationIdentities ?? []) {
      out.push('', '[[packages.attestation-identities]]');
      for (const k of Object.keys(identity).sort()) key(tomlKey(k), identity[k]);
    }
    if (pkg.tool !== undefined) writeTable(out, 'packages.tool', pkg.tool);
  }
  if (input.tool !== undefined) writeTable(out, 'tool', input.tool);
  const text = `${out.join('\n')}\n`;
  // Never write a lock that a reader would refuse: validate what was written.
  const check = tryParsePylock(text, 'pylock.toml (being written)');
  if (!check.ok) throw lockError('pylock.toml (being written)', check.problems);
  return text;
}

function writeDist(d: LockFileInput, key: (k: string, v: unknown) => void): void {
  key('name', distName(d));
  key('url', d.url);
  key('path', d.path);
  key('size', d.size);
  key('upload-time', uploadTimeValue(d.uploadTime));
  key('hashes', sortedRecord(d.hashes));
}

function safeNormalize(name: string): string {
  return isValidProjectName(name) ? normalizeName(name) : name;
}

function sortPackages(packages: readonly LockPackageInput[]): LockPackageInput[] {
  return [...packages].sort(
    (a, b) =>
      compareText(safeNormalize(a.name), safeNormalize(b.name)) ||
      compareVersionText(a.version, b.version) ||
      compareText(a.marker ?? '', b.marker ?? ''),
  );
}

function sortDependencies(deps: readonly LockTable[]): LockTable[] {
  const label = (d: LockTable) => `${String(d.name ?? '')}\u0000${String(d.version ?? '')}`;
  return [...deps].sort((a, b) => compareText(label(a), label(b)));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareVersionText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const va = tryParseVersion(a);
  const vb = tryParseVersion(b);
  if (va !== undefined && vb !== undefined) return compareVersions(va, vb) || compareText(a, b);
  return compareText(a, b);
}

function sortedRecord(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k];
  return out;
}

/** The file name of a wheel/sdist entry: `name`, else the last part of `path` or `url`. */
function distName(d: {
  readonly name?: string;
  readonly path?: string;
  readonly url?: string;
}): string {
  return d.name || pathName(d.path) || urlName(d.url) || '';
}

function pathName(path: string | undefined): string | undefined {
  if (!path) return undefined;
  // packaging's _path_name: POSIX separators first, then Windows ones.
  if (path.includes('/')) return path.slice(path.lastIndexOf('/') + 1);
  if (path.includes('\\')) return path.slice(path.lastIndexOf('\\') + 1);
  return path;
}

function urlName(url: string | undefined): string | undefined {
  if (!url) return undefined;
  // packaging's _url_name: the last component of the URL's path, percent-decoded.
  const schemeless = url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '');
  const path = schemeless.split('#')[0]!.split('?')[0]!;
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** A TOML offset date-time, marked so tomlValue writes it bare. */
class TomlDateTime {
  constructor(readonly text: string) {}
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * Normalizes an upload time to UTC with millisecond precision (`2025-01-25T11:30:10.164Z`).
 * The spec requires UTC; smol-toml keeps milliseconds, so writing more would not round-trip.
 * Returns undefined for text that is not an RFC 3339 date-time with an offset.
 */
export function normalizeUploadTime(value: string | Date): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  const m = RFC3339.exec(value.trim());
  if (m === null) return undefined;
  const fraction = (m[7] ?? '').padEnd(3, '0').slice(0, 3);
  const offset = m[8]!.toUpperCase();
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction}`;
  if (offset === 'Z' || offset === '+00:00' || offset === '-00:00') {
    const date = new Date(`${iso}Z`);
    return Number.isNaN(date.getTime()) || date.toISOString() !== `${iso}Z` ? undefined : `${iso}Z`;
  }
  const date = new Date(`${iso}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function uploadTimeValue(value: string | Date | undefined): unknown {
  if (value === undefined) return undefined;
  const normalized = normalizeUploadTime(value);
  if (normalized === undefined) {
    throw new FerryError(
      'ERR_FERRY_BAD_LOCK',
      `Cannot write the upload time ${JSON.stringify(String(value))} into a lock`,
      {
        hint: 'Upload times are RFC 3339 date-times with an offset, e.g. 2025-01-25T11:30:10.164985Z (PEP 691).',
      },
    );
  }
  return new TomlDateTime(normalized);
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : tomlString(key);
}

function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function isPlainTable(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof TomlDateTime)
  );
}

/** One TOML value, inline. Top-level non-empty arrays get one item per line. */
function tomlValue(value: unknown, multiline = false): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    const text = String(value);
    return /[.eE]/.test(text) ? text : `${text}.0`;
  }
  if (value instanceof TomlDateTime) return value.text;
  // A TomlDate writes itself back as it was read (local or offset); a plain Date in UTC.
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => tomlValue(v));
    return multiline
      ? `[\n${items.map((i) => `    ${i},`).join('\n')}\n]`
      : `[${items.join(', ')}]`;
  }
  if (isPlainTable(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) return '{}';
    return `{ ${keys.map((k) => `${tomlKey(k)} = ${tomlValue(value[k])}`).join(', ')} }`;
  }
  throw new FerryError('ERR_FERRY_BAD_LOCK', `Cannot write a ${typeof value} value into a lock`, {
    hint: 'Lock data holds only strings, numbers, booleans, date-times, arrays and tables.',
  });
}

/** `[header]` with its plain keys, then one `[header.k]` per sub-table, sorted by key. */
function writeTable(out: string[], header: string, table: LockTable): void {
  out.push('', `[${header}]`);
  const keys = Object.keys(table).sort();
  for (const k of keys) {
    if (table[k] !== undefined && !isPlainTable(table[k]))
      out.push(`${tomlKey(k)} = ${tomlValue(table[k], true)}`);
  }
  for (const k of keys) {
    const v = table[k];
    if (isPlainTable(v)) writeTable(out, `${header}.${tomlKey(k)}`, v);
  }
}

// ------------------------------------------------------------------------------------------
// Reading and validation
// ------------------------------------------------------------------------------------------

const TOP_KEYS = new Set([
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
const PACKAGE_KEYS = new Set([
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
const DIST_KEYS = new Set(['name', 'upload-time', 'url', 'path', 'size', 'hashes']);
const ARCHIVE_KEYS = new Set(['url', 'path', 'size', 'upload-time', 'hashes', 'subdirectory']);
const VCS_KEYS = new Set([
  'type',
  'url',
  'path',
  'requested-revision',
  'commit-id',
  'subdirectory',
]);
const DIRECTORY_KEYS = new Set(['path', 'editable', 'subdirectory']);

// Lengths of hex digests for the algorithms pip's --hash accepts.
const DIGEST_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

type Table = Record<string, unknown>;

class Checker {
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

interface Kind<T> {
  readonly name: string;
  readonly test: (v: unknown) => v is T;
}

const STRING: Kind<string> = { name: 'a string', test: (v): v is string => typeof v === 'string' };
const BOOLEAN: Kind<boolean> = {
  name: 'a boolean',
  test: (v): v is boolean => typeof v === 'boolean',
};
const INTEGER: Kind<number> = {
  name: 'an integer',
  test: (v): v is number => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
};
const TABLE: Kind<Table> = { name: 'a table', test: (v): v is Table => isPlainTable(v) };
const ARRAY: Kind<unknown[]> = { name: 'an array', test: (v): v is unknown[] => Array.isArray(v) };
const DATETIME: Kind<TomlDate> = {
  name: 'a date-time',
  test: (v): v is TomlDate => v instanceof TomlDate && v.isDateTime(),
};

function describeType(value: unknown): string {
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

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function checkStringArray(
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

function checkMarker(c: Checker, text: string, at: string): void {
  try {
    parseMarker(text);
  } catch (error) {
    c.problem(at, `invalid marker ${JSON.stringify(text)}: ${firstLine(error)}`);
  }
}

function checkSpecifier(c: Checker, text: string, at: string): void {
  try {
    parseSpecifierSet(text);
  } catch (error) {
    c.problem(at, `invalid version specifier ${JSON.stringify(text)}: ${firstLine(error)}`);
  }
}

function checkHashes(c: Checker, table: Table, path: string): Record<string, string> | undefined {
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

function checkUploadTime(c: Checker, table: Table, path: string): string | undefined {
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

function checkSize(c: Checker, table: Table, path: string): number | undefined {
  const size = c.get(table, 'size', path, INTEGER);
  if (size === undefined) return undefined;
  if (Number(size) < 0) {
    c.problem(join(path, 'size'), `the size must not be negative, found ${size}`);
    return undefined;
  }
  return Number(size);
}

function checkPathOrUrl(c: Checker, table: Table, path: string): { url?: string; path?: string } {
  const url = c.get(table, 'url', path, STRING);
  const filePath = c.get(table, 'path', path, STRING);
  if (!url && !filePath && table.url === undefined && table.path === undefined) {
    c.problem(path, 'path or url must be provided');
  } else if (!url && !filePath && (url === '' || filePath === '')) {
    c.problem(path, 'path or url must be provided (both are empty)');
  }
  return { ...(url ? { url } : {}), ...(filePath ? { path: filePath } : {}) };
}

function checkDist(
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

function checkPackage(c: Checker, table: Table, path: string): PylockPackage | undefined {
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
    if (name !== undefined && parsed.name !== name) {
      c.problem(
        at,
        `the name in ${JSON.stringify(filename)} is not consistent with package name ${JSON.stringify(name)}`,
      );
    }
    const wv = tryParseVersion(parsed.version);
    if (
      parsedVersion !== undefined &&
      wv !== undefined &&
      compareVersions(wv, parsedVersion) !== 0
    ) {
      c.problem(
        at,
        `the version in ${JSON.stringify(filename)} is not consistent with package version ${JSON.stringify(version)}`,
      );
    }
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
        if (name !== undefined && parsed.name !== name) {
          c.problem(
            at,
            `the name in ${JSON.stringify(filename)} is not consistent with package name ${JSON.stringify(name)}`,
          );
        }
        const sv = tryParseVersion(parsed.version);
        if (
          parsedVersion !== undefined &&
          sv !== undefined &&
          compareVersions(sv, parsedVersion) !== 0
        ) {
          c.problem(
            at,
            `the version in ${JSON.stringify(filename)} is not consistent with package version ${JSON.stringify(version)}`,
          );
        }
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
function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plain) as T;
  if (isPlainTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out as T;
  }
  return value;
}

function checkTableArray(c: Checker, table: Table, key: string, path: string): Table[] | undefined {
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

function validate(
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

function tryParsePylock(
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

function lockError(source: string, problems: readonly LockProblem[]): FerryError {
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

// ------------------------------------------------------------------------------------------
// Relocation
// ------------------------------------------------------------------------------------------

/**
 * Points every wheel and sdist at `baseDir/<file name>` (relative to the lock file, POSIX
 * separators), as a bundle carries them, and drops the URLs so an offline installer never
 * reaches for the network (uv #13094). The index URL stays: it is provenance for the SBOM.
 */
export function relocatePylock(lock: PylockFile, baseDir: string): PylockFile {
  const dir = baseDir.replace(/\\/g, '/').replace(/\/+$/, '');
  if (dir.startsWith('/') || /^[A-Za-z]:/.test(dir) || dir.split('/').includes('..')) {
    throw new FerryError(
      'ERR_FERRY_BAD_LOCK',
      `Cannot relocate a lock to ${JSON.stringify(baseDir)}`,
      {
        hint: 'Give a folder relative to the lock file, inside the bundle, such as "wheels".',
      },
    );
  }
  const move = (d: PylockDist): PylockDist => {
    const { url: _url, path: _path, ...rest } = d;
    return { ...rest, path: dir === '' || dir === '.' ? d.name : `${dir}/${d.name}` };
  };
  return {
    ...lock,
    packages: lock.packages.map((p) => ({
      ...p,
      ...(p.sdist === undefined ? {} : { sdist: move(p.sdist) }),
      ...(p.wheels === undefined ? {} : { wheels: p.wheels.map(move) }),
    })),
  };
}

// ------------------------------------------------------------------------------------------
// Selection (the spec's "Installation" steps)
// ------------------------------------------------------------------------------------------

export interface LockSelection {
  readonly name: NormalizedName;
  readonly version: string;
  readonly package: PylockPackage;
  readonly wheel: PylockWheel;
}

export interface SelectOptions {
  /** The target's name, for messages. */
  readonly target?: string;
  /** Extras to install (the `extras` marker set); default none. */
  readonly extras?: readonly string[];
  /** Dependency groups; default the lock's default-groups. */
  readonly dependencyGroups?: readonly string[];
}

function describeEnvironment(env: MarkerEnvironment, target: string | undefined): string {
  const facts = `${env.implementation_name} ${env.python_full_version}, ${env.sys_platform} ${env.platform_machine}`;
  return target === undefined ? `this environment (${facts})` : `target "${target}" (${facts})`;
}

/**
 * Chooses what to install for one environment, following the specification's installation
 * steps: lock and package requires-python, environments, package markers, one entry per name,
 * then the wheel whose best tag ranks highest in `tags` (best first). ferry installs wheels
 * only: a package with no fitting wheel is an error (ERR_FERRY_LOCK_NO_WHEEL) even when the
 * lock holds an sdist, so that a missing build is found before the media crosses the gap.
 */
export function selectFromLock(
  lock: PylockFile,
  env: MarkerEnvironment,
  tags: readonly string[],
  opts: SelectOptions = {},
): LockSelection[] {
  const where = describeEnvironment(env, opts.target);
  const python = env.python_full_version.endsWith('+')
    ? `${env.python_full_version}local`
    : env.python_full_version;
  if (
    lock.requiresPython !== undefined &&
    !specifierSetContains(parseSpecifierSet(lock.requiresPython), python)
  ) {
    throw new FerryError(
      'ERR_FERRY_LOCK_PYTHON',
      `${lock.source} requires Python ${lock.requiresPython}, but ${where} has ${python}`,
      {
        hint: 'Lock again for this target (ferry lock --target ...), or use a Python the lock was made for.',
      },
    );
  }
  if (lock.environments !== undefined && lock.environments.length > 0) {
    const fits = lock.environments.some((e) => evaluateMarker(parseMarker(e), env));
    if (!fits) {
      throw new FerryError(
        'ERR_FERRY_LOCK_ENVIRONMENT',
        `${lock.source} was not made for ${where}: none of its ${lock.environments.length} environments match`,
        {
          hint: 'Lock again with this target added (ferry probe on the host gives its description).',
          details: { environments: lock.environments },
        },
      );
    }
  }
  const extras = opts.extras ?? [];
  const groups = opts.dependencyGroups ?? lock.defaultGroups ?? [];
  const chosen = new Map<string, { index: number; pkg: PylockPackage }>();
  lock.packages.forEach((pkg, index) => {
    if (pkg.marker !== undefined && !evaluateMarker(parseMarker(pkg.marker), env, extras, groups))
      return;
    if (
      pkg.requiresPython !== undefined &&
      !specifierSetContains(parseSpecifierSet(pkg.requiresPython), python)
    ) {
      throw new FerryError(
        'ERR_FERRY_LOCK_PYTHON',
        `${pkg.name} ${pkg.version ?? ''} in ${lock.source} (packages[${index}]) requires Python ${pkg.requiresPython}, but ${where} has ${python}`,
        { hint: 'Lock again for this target so that a version supporting its Python is chosen.' },
      );
    }
    const earlier = chosen.get(pkg.name);
    if (earlier !== undefined) {
      throw new FerryError(
        'ERR_FERRY_LOCK_AMBIGUOUS',
        `${lock.source} selects ${pkg.name} twice for ${where}: packages[${earlier.index}] and packages[${index}]`,
        {
          hint: 'Their markers overlap; write one lock per target (pylock.<target>.toml) or lock again.',
        },
      );
    }
    chosen.set(pkg.name, { index, pkg });
  });

  const ranking = tagRanking(tags);
  const missing: { name: string; version: string; wheels: string[]; sdist: boolean }[] = [];
  const out: LockSelection[] = [];
  for (const { pkg } of chosen.values()) {
    if (pkg.vcs !== undefined || pkg.directory !== undefined || pkg.archive !== undefined) {
      const kind =
        pkg.vcs !== undefined
          ? 'a VCS checkout'
          : pkg.directory !== undefined
            ? 'a local directory'
            : 'an archive';
      throw new FerryError(
        'ERR_FERRY_LOCK_UNSUPPORTED_SOURCE',
        `${pkg.name} in ${lock.source} comes from ${kind}; ferry carries wheels only`,
        {
          hint: 'Build a wheel of it, publish it to an index or a find-links folder, and lock again.',
        },
      );
    }
    let best: { wheel: PylockWheel; rank: number; build: number } | undefined;
    for (const wheel of pkg.wheels ?? []) {
      const parsed = parseWheelFilename(wheel.name);
      const rank = bestWheelRank(parsed, ranking);
      if (rank === undefined) continue;
      const build = parsed.build?.number ?? -1;
      // Lower rank wins; on a tie pip prefers the higher build number; then lock order.
      if (best === undefined || rank < best.rank || (rank === best.rank && build > best.build)) {
        best = { wheel, rank, build };
      }
    }
    const version =
      pkg.version ?? (pkg.wheels?.[0] ? parseWheelFilename(pkg.wheels[0].name).version : '');
    if (best === undefined) {
      missing.push({
        name: pkg.name,
        version,
        wheels: (pkg.wheels ?? []).map((w) => w.name),
        sdist: pkg.sdist !== undefined,
      });
      continue;
    }
    out.push({ name: pkg.name, version, package: pkg, wheel: best.wheel });
  }
  if (missing.length > 0) {
    const list = missing
      .map(
        (m) =>
          `${m.name} ${m.version}${m.wheels.length === 0 ? ' (no wheels)' : ` (wheels: ${m.wheels.join(', ')})`}`,
      )
      .join('; ');
    const sdistOnly = missing.filter((m) => m.sdist).map((m) => m.name);
    throw new FerryError(
      'ERR_FERRY_LOCK_NO_WHEEL',
      `${lock.source} has no wheel that fits ${where} for ${missing.length === 1 ? '' : `${missing.length} packages: `}${list}`,
      {
        hint:
          sdistOnly.length > 0
            ? `Only an sdist is locked for ${sdistOnly.join(', ')}: build a wheel on a machine like the target and add it, or lock for this target.`
            : 'Lock again for this target (its tags decide which wheels are chosen).',
        details: { target: opts.target, packages: missing, tags: tags.slice(0, 20) },
      },
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// requirements.txt export
// ------------------------------------------------------------------------------------------

const PIP_HASHES = ['sha256', 'sha384', 'sha512'] as const;

export interface RequirementsExportOptions {
  /** Keep only the packages whose marker holds here, and drop the markers. */
  readonly environment?: MarkerEnvironment;
  /** With `environment`: hash only the wheel chosen for these tags (selectFromLock). */
  readonly tags?: readonly string[];
  /** Lines written as `# ...` at the top. */
  readonly header?: readonly string[];
}

/**
 * A requirements.txt for `pip install --require-hashes`: `name==version ; marker` followed by
 * `--hash=alg:digest` for every wheel and sdist of the entry. Entries from VCS, directories or
 * archives have no `name==version` form pip can hash-check; they are refused.
 */
export function lockToRequirementsTxt(
  lock: PylockFile,
  opts: RequirementsExportOptions = {},
): string {
  const lines = (opts.header ?? []).map((h) => `# ${h}`);
  type Entry = { name: string; version: string; marker?: string; hashes: string[] };
  const entries: Entry[] = [];
  const hashesOf = (files: readonly PylockDist[]): string[] => {
    const out = new Set<string>();
    for (const f of files) {
      for (const alg of PIP_HASHES) {
        const h = f.hashes[alg];
        if (h !== undefined) out.add(`${alg}:${h.toLowerCase()}`);
      }
    }
    return [...out].sort();
  };
  if (opts.environment !== undefined && opts.tags !== undefined) {
    for (const s of selectFromLock(lock, opts.environment, opts.tags)) {
      entries.push({ name: s.name, version: s.version, hashes: hashesOf([s.wheel]) });
    }
  } else {
    for (const pkg of lock.packages) {
      if (opts.environment !== undefined && pkg.marker !== undefined) {
        if (
          !evaluateMarker(parseMarker(pkg.marker), opts.environment, [], lock.defaultGroups ?? [])
        )
          continue;
      }
      if (pkg.vcs !== undefined || pkg.directory !== undefined || pkg.archive !== undefined) {
        throw new FerryError(
          'ERR_FERRY_LOCK_UNSUPPORTED_SOURCE',
          `${pkg.name} in ${lock.source} is not from an index (VCS, directory or archive); it cannot be written as a hash-checked requirement`,
          { hint: 'Build a wheel of it and lock again.' },
        );
      }
      const files = [...(pkg.wheels ?? []), ...(pkg.sdist === undefined ? [] : [pkg.sdist])];
      const version =
        pkg.version ??
        (pkg.wheels?.[0] !== undefined
          ? parseWheelFilename(pkg.wheels[0].name).version
          : parseSdistFilename(pkg.sdist!.name).version);
      entries.push({
        name: pkg.name,
        version,
        ...(pkg.marker === undefined || opts.environment !== undefined
          ? {}
          : { marker: pkg.marker }),
        hashes: hashesOf(files),
      });
    }
  }
  entries.sort(
    (a, b) =>
      compareText(a.name, b.name) ||
      compareVersionText(a.version, b.version) ||
      compareText(a.marker ?? '', b.marker ?? ''),
  );
  for (const e of entries) {
    if (e.hashes.length === 0) {
      throw new FerryError(
        'ERR_FERRY_NO_HASH',
        `${e.name} ${e.version} in ${lock.source} has no sha256/sha384/sha512 hash that pip can check`,
        { hint: 'Lock again from an index that publishes SHA-256 hashes.' },
      );
    }
    const head = `${e.name}==${e.version}${e.marker === undefined ? '' : ` ; ${e.marker}`}`;
    lines.push([head, ...e.hashes.map((h) => `    --hash=${h}`)].join(' \\\n'));
  }
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------------------------------------
// From a resolution
// ------------------------------------------------------------------------------------------

/** The facts of a resolution that a lock records (the lead's `Locked` fits this shape). */
export interface ResolvedForLock {
  readonly targets: readonly { readonly name: string; readonly markers: MarkerEnvironment }[];
  readonly packages: readonly {
    readonly name: string;
    readonly version: string;
    readonly dependencies: readonly string[];
    /** Names of the targets that need it. */
    readonly targets: readonly string[];
    readonly files: readonly {
      readonly filename: string;
      readonly url: string;
      readonly index: string;
      readonly sha256: string;
      readonly size?: number;
      readonly uploadTime?: string;
      readonly requiresPython?: string;
    }[];
  }[];
  /** Written to [tool.ferry] for the record. */
  readonly requirements?: readonly string[];
  readonly constraints?: readonly string[];
}

function quoteMarkerValue(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/**
 * The environment marker that picks out a target: implementation, Python X.Y, OS and machine.
 * (glibc, CUDA and CPU features are not marker variables; targets differing only there share
 * a marker, and tags choose between their wheels.)
 */
export function environmentMarker(env: MarkerEnvironment): string {
  return [
    `implementation_name == ${quoteMarkerValue(env.implementation_name)}`,
    `python_version == ${quoteMarkerValue(env.python_version)}`,
    `sys_platform == ${quoteMarkerValue(env.sys_platform)}`,
    `platform_machine == ${quoteMarkerValue(env.platform_machine)}`,
  ].join(' and ');
}

/**
 * Maps a resolution for one or more targets to a lock: one `environments` marker per target;
 * a package needed by only some targets gets a marker naming theirs; `dependencies` carry a
 * version where a name has several entries. Throws ERR_FERRY_LOCK_AMBIGUOUS when two targets
 * that markers cannot tell apart need different versions of a package (one lock per target
 * is then the answer).
 */
export function lockInputFromResolution(resolved: ResolvedForLock): LockInput {
  const markerOf = new Map(resolved.targets.map((t) => [t.name, environmentMarker(t.markers)]));
  const environments = [...new Set(markerOf.values())].sort();
  const entriesByName = new Map<string, ResolvedForLock['packages'][number][]>();
  for (const p of resolved.packages) {
    const key = safeNormalize(p.name);
    entriesByName.set(key, [...(entriesByName.get(key) ?? []), p]);
  }
  const packages: LockPackageInput[] = resolved.packages.map((p) => {
    if (p.files.length === 0) {
      throw new FerryError(
        'ERR_FERRY_LOCK_NO_FILES',
        `${p.name} ${p.version} has no files to lock`,
        {
          hint: 'Every locked package needs at least one wheel or sdist with a SHA-256.',
        },
      );
    }
    const needed = [
      ...new Set(p.targets.map((t) => markerOf.get(t)).filter((m): m is string => m !== undefined)),
    ].sort();
    const marker =
      needed.length === 0 || needed.length === environments.length
        ? undefined
        : needed.map((m) => (needed.length === 1 ? m : `(${m})`)).join(' or ');
    const wheels = p.files.filter((f) => f.filename.endsWith('.whl'));
    const sdists = p.files
      .filter((f) => !f.filename.endsWith('.whl'))
      .sort((a, b) => compareText(a.filename, b.filename));
    const toDist = (f: ResolvedForLock['packages'][number]['files'][number]): LockFileInput => ({
      name: f.filename,
      url: f.url,
      ...(f.size === undefined ? {} : { size: f.size }),
      ...(f.uploadTime === undefined || normalizeUploadTime(f.uploadTime) === undefined
        ? {}
        : { uploadTime: f.uploadTime }),
      hashes: { sha256: f.sha256 },
    });
    const indexes = [...new Set(p.files.map((f) => f.index))];
    const requiresPython = [...new Set(p.files.map((f) => f.requiresPython ?? ''))];
    const dependencies: LockTable[] = [];
    for (const dep of [...new Set(p.dependencies.map(safeNormalize))].sort()) {
      const entries = entriesByName.get(dep) ?? [];
      if (entries.length <= 1) {
        dependencies.push({ name: dep });
        continue;
      }
      for (const e of entries) {
        if (e.targets.some((t) => p.targets.includes(t)))
          dependencies.push({ name: dep, version: e.version });
      }
    }
    return {
      name: safeNormalize(p.name),
      version: p.version,
      ...(marker === undefined ? {} : { marker }),
      ...(requiresPython.length === 1 && requiresPython[0] !== ''
        ? { requiresPython: requiresPython[0]! }
        : {}),
      ...(indexes.length === 1 && indexes[0] !== '' ? { index: indexes[0]! } : {}),
      dependencies,
      ...(sdists[0] === undefined ? {} : { sdist: toDist(sdists[0]) }),
      ...(wheels.length === 0 ? {} : { wheels: wheels.map(toDist) }),
      tool: { ferry: { targets: [...p.targets].sort() } },
    };
  });
  // Two entries of one name must never both hold for a target.
  for (const t of resolved.targets) {
    const seen = new Map<string, LockPackageInput>();
    for (const pkg of packages) {
      if (pkg.marker !== undefined && !evaluateMarker(parseMarker(pkg.marker), t.markers)) continue;
      const earlier = seen.get(pkg.name);
      if (earlier !== undefined && earlier.version !== pkg.version) {
        throw new FerryError(
          'ERR_FERRY_LOCK_AMBIGUOUS',
          `Target "${t.name}" would select both ${pkg.name} ${earlier.version} and ${pkg.version}: its marker (${markerOf.get(t.name)}) does not tell it apart from another target`,
          {
            hint: 'Targets that differ only in glibc, CUDA or CPU features need one lock each: lock them separately (pylock.<target>.toml).',
          },
        );
      }
      seen.set(pkg.name, pkg);
    }
  }
  const pythons = resolved.targets
    .map((t) => tryParseVersion(t.markers.python_version))
    .filter((v) => v !== undefined)
    .sort(compareVersions);
  const lowest = pythons[0];
  const tool: Record<string, unknown> = { targets: resolved.targets.map((t) => t.name) };
  if (resolved.requirements !== undefined) tool.requirements = [...resolved.requirements];
  if (resolved.constraints !== undefined && resolved.constraints.length > 0)
    tool.constraints = [...resolved.constraints];
  return {
    environments,
    ...(lowest === undefined ? {} : { requiresPython: `>=${lowest.release.join('.')}` }),
    createdBy: 'ferry',
    packages,
    tool: { ferry: tool },
  };
}
