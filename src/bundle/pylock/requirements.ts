/** PEP 751 lock files: export as a hash-checking requirements.txt (pip's --require-hashes mode). */
import { FerryError } from '../../core/errors.js';
import { parseSdistFilename, parseWheelFilename } from '../../standards/filename.js';
import { evaluateMarker, type MarkerEnvironment, parseMarker } from '../../standards/marker.js';

import { selectFromLock } from './select.js';
import { compareText, compareVersionText } from './shared.js';
import type { PylockDist, PylockFile } from './types.js';

export const PIP_HASHES = ['sha256', 'sha384', 'sha512'] as const;

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
