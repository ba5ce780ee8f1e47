/**
 * PEP 751 lock files: what the reader and the writer share (versions, ordering, file names,
 * upload times), so that the writer can check its output with the reader without a cycle.
 */
import { compareVersions, tryParseVersion } from '../../standards/version.js';

export const SUPPORTED_MAJOR = 1;

export const WRITTEN_VERSION = '1.0';

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareVersionText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const va = tryParseVersion(a);
  const vb = tryParseVersion(b);
  if (va !== undefined && vb !== undefined) return compareVersions(va, vb) || compareText(a, b);
  return compareText(a, b);
}

export function sortedRecord(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k];
  return out;
}

/** The file name of a wheel/sdist entry: `name`, else the last part of `path` or `url`. */
export function distName(d: {
  readonly name?: string;
  readonly path?: string;
  readonly url?: string;
}): string {
  return d.name || pathName(d.path) || urlName(d.url) || '';
}

export function pathName(path: string | undefined): string | undefined {
  if (!path) return undefined;
  // packaging's _path_name: POSIX separators first, then Windows ones.
  if (path.includes('/')) return path.slice(path.lastIndexOf('/') + 1);
  if (path.includes('\\')) return path.slice(path.lastIndexOf('\\') + 1);
  return path;
}

export function urlName(url: string | undefined): string | undefined {
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
export class TomlDateTime {
  constructor(readonly text: string) {}
}

export const RFC3339 =
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

export function isPlainTable(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof TomlDateTime)
  );
}
