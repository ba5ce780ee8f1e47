/** PEP 751 lock files: the deterministic writer (keys in the specification's order, one fixed layout). */
import { FerryError } from '../../core/errors.js';
import { isValidProjectName, normalizeName } from '../../standards/name.js';
import { lockError, tryParsePylock } from './read.js';
import {
  compareText,
  compareVersionText,
  distName,
  isPlainTable,
  normalizeUploadTime,
  sortedRecord,
  TomlDateTime,
  WRITTEN_VERSION,
} from './shared.js';
import type { LockFileInput, LockInput, LockPackageInput, LockTable } from './types.js';

/** Writes a lock deterministically. Throws ERR_FERRY_BAD_LOCK when the input is not valid. */
export function formatPylock(input: LockInput): string {
  const out: string[] = [];
  const top = (key: string, value: unknown) => {
    if (value !== undefined) out.push(`${key} = ${tomlValue(value, true)}`);
  };
  top('lock-version', input.lockVersion ?? WRITTEN_VERSION);
  // PEP 751: when `environments` is there, an installer must find a marker in it that holds,
  // so `environments = []` would admit no environment at all (packaging >= 26.4 reads it so).
  // With nothing to say, the key is left out: the lock is then for any environment.
  top('environments', input.environments?.length ? input.environments : undefined);
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

export function writeDist(d: LockFileInput, key: (k: string, v: unknown) => void): void {
  key('name', distName(d));
  key('url', d.url);
  key('path', d.path);
  key('size', d.size);
  key('upload-time', uploadTimeValue(d.uploadTime));
  key('hashes', sortedRecord(d.hashes));
}

export function safeNormalize(name: string): string {
  return isValidProjectName(name) ? normalizeName(name) : name;
}

export function sortPackages(packages: readonly LockPackageInput[]): LockPackageInput[] {
  return [...packages].sort(
    (a, b) =>
      compareText(safeNormalize(a.name), safeNormalize(b.name)) ||
      compareVersionText(a.version, b.version) ||
      compareText(a.marker ?? '', b.marker ?? ''),
  );
}

export function sortDependencies(deps: readonly LockTable[]): LockTable[] {
  const label = (d: LockTable) => `${String(d.name ?? '')}\u0000${String(d.version ?? '')}`;
  return [...deps].sort((a, b) => compareText(label(a), label(b)));
}

export function uploadTimeValue(value: string | Date | undefined): unknown {
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

export const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : tomlString(key);
}

export function tomlString(value: string): string {
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

/** One TOML value, inline. Top-level non-empty arrays get one item per line. */
export function tomlValue(value: unknown, multiline = false): string {
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
export function writeTable(out: string[], header: string, table: LockTable): void {
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
