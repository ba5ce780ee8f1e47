/**
 * Proof that an install needs no network, before pip runs: every pinned requirement has a file
 * in the bundle (or in a delta's base), and every sdist can be built from wheels the bundle
 * carries. pip then runs with --no-index.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Manifest } from '../bundle/manifest.js';
import { FerryError, isFerryError } from '../core/errors.js';
import { readSdistFiles } from '../index/sdist-metadata.js';
import { normalizeName } from '../standards/name.js';
import { formatVersion, tryParseVersion } from '../standards/version.js';

export interface OfflinePlan {
  /** sdists pip will build (their build backend is in the bundle). */
  readonly sdists: readonly string[];
}

/**
 * Proves, before pip runs, that installing needs nothing from the network: every pinned line of
 * requirements.txt has a file in the bundle, and every sdist's build requirements
 * (pyproject.toml [build-system] requires, or setuptools + wheel) have wheels in the bundle.
 */
export async function planOfflineInstall(
  bundleDir: string,
  manifest: Manifest,
  label = bundleDir,
  withBase = false,
): Promise<OfflinePlan> {
  const text = await readFile(join(bundleDir, 'requirements.txt'), 'utf8').catch(() => {
    throw new FerryError('ERR_FERRY_INCOMPLETE', `The bundle ${label} has no requirements.txt.`, {
      hint: 'Rebuild the bundle with `ferry bundle`; it writes requirements.txt with hashes.',
    });
  });
  // A delta's base files are there too once its base was found (gathered beside the bundle).
  const baseFiles = withBase
    ? (manifest.baseFiles ?? []).map((f) => ({ ...f, path: f.filename }))
    : [];
  const files = [...manifest.files, ...baseFiles].map((f) => ({
    ...f,
    key: normalizeName(f.name),
    v: normVersion(f.version),
  }));
  const missing: string[] = [];
  const sdists: string[] = [];
  for (const line of logicalLines(text)) {
    if (line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;\\]+)/.exec(line);
    if (m === null) {
      missing.push(`${line.split(/\s/)[0]} (not pinned with ==)`);
      continue;
    }
    const name = normalizeName(m[1] as string);
    const version = normVersion(m[2] as string);
    const mine = files.filter((f) => f.key === name && f.v === version);
    if (mine.length === 0) missing.push(`${name}==${m[2]}`);
    else if (!mine.some((f) => f.path.endsWith('.whl'))) sdists.push(...mine.map((f) => f.path));
  }
  if (missing.length > 0) {
    throw new FerryError(
      'ERR_FERRY_NEEDS_NETWORK',
      `Installing would need the network: requirements.txt names ${missing.length} package(s) the bundle has no file for: ${missing.join(', ')}`,
      {
        hint: 'Rebuild the bundle on the jump host; ferry install never downloads.',
        details: { missing },
      },
    );
  }
  const wheelNames = new Set(files.filter((f) => f.path.endsWith('.whl')).map((f) => f.key));
  const unbuildable: string[] = [];
  for (const sdist of sdists) {
    const requires = await sdistBuildRequires(join(bundleDir, sdist));
    const lacking = requires
      .map((r) => normalizeName(/^[A-Za-z0-9._-]+/.exec(r.trim())?.[0] ?? r))
      .filter((n) => !wheelNames.has(n));
    if (lacking.length > 0) unbuildable.push(`${sdist} needs ${lacking.join(', ')} to build`);
  }
  if (unbuildable.length > 0) {
    throw new FerryError(
      'ERR_FERRY_NEEDS_NETWORK',
      `Installing would need the network: ${unbuildable.length} sdist(s) have no build backend in the bundle: ${unbuildable.join('; ')}`,
      {
        hint: 'Bundle wheels for this target instead (ferry bundle refuses sdists unless asked), or add the build requirements to the bundle.',
        details: { unbuildable },
      },
    );
  }
  return { sdists };
}

function normVersion(v: string): string {
  const parsed = tryParseVersion(v);
  return parsed === undefined ? v : formatVersion(parsed);
}

function logicalLines(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');
}

/**
 * [build-system] requires of an sdist's pyproject.toml; pip's legacy default without one. The
 * archive is read by the one sdist reader (index/sdist-metadata.ts over src/archive/), with its
 * bounds on decompression and its refusal of unsafe entries; an archive that is merely damaged
 * falls back to the default and lets pip report it.
 */
async function sdistBuildRequires(path: string): Promise<string[]> {
  const fallback = ['setuptools', 'wheel'];
  if (!path.endsWith('.tar.gz')) return fallback;
  let pyproject: string | undefined;
  try {
    pyproject = (await readSdistFiles(await readFile(path), basename(path))).pyproject;
  } catch (error) {
    if (isFerryError(error) && error.code === 'ERR_FERRY_BAD_SDIST') return fallback;
    throw error;
  }
  if (pyproject === undefined) return fallback;
  try {
    const toml = parseToml(pyproject) as { 'build-system'?: { requires?: unknown } };
    const requires = toml['build-system']?.requires;
    return Array.isArray(requires) ? requires.map(String) : fallback;
  } catch {
    return fallback;
  }
}
