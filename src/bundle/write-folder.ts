/**
 * Writes a bundle folder (format 1, docs/bundle-format.md). Everything is assembled in a
 * staging folder beside the destination and renamed into place at the end, so a failure never
 * leaves a half-written bundle and an earlier bundle at the same path survives until the new
 * one is complete. The same contents give byte-identical files wherever they are written:
 * nothing here reads the clock or the destination's path.
 */
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Licence, licenceFromMetadata } from '../audit/licences.js';
import { hashFile } from '../core/hash-file.js';
import { processAlive } from '../core/process.js';
import type { ContentCache } from '../fetch/cache.js';
import { readWheelMetadata } from '../index/wheel-metadata.js';
import { parseCoreMetadata } from '../standards/metadata.js';
import { replaceDirAtomic } from '../store/index.js';
import { formatInstallPy } from './install-py.js';
import { formatManifest, type Manifest } from './manifest.js';
import { formatReadmeTxt } from './readme-txt.js';
import { formatSbom } from './sbom.js';
import { computeSha256Sums, formatSha256Sums, SHA256SUMS_FILE } from './sha256sums.js';

export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  requirements: 'requirements.txt',
  pylock: 'pylock.toml',
  sbom: 'sbom.cdx.json',
  installPy: 'install.py',
  readme: 'README.txt',
  sums: SHA256SUMS_FILE,
  wheels: 'wheels',
  signatures: 'signatures',
} as const;

export interface BundleContents {
  readonly manifest: Manifest;
  readonly wheels: readonly { readonly filename: string; readonly sha256: string }[];
  readonly requirementsTxt: string;
  readonly cache: ContentCache;
  /** pylock.toml (PEP 751) text, e.g. from pylock.ts formatPylock(); written when given. */
  readonly pylockToml?: string;
  /** Record an SM3 digest (GM/T 0004) of every file in manifest.json (`--sm3`). */
  readonly sm3?: boolean;
  /** install.py's text; default: the template with this ferry's probe.py embedded. */
  readonly installPy?: string;
  /** Files for tools/ (uv's wheel, src/bundle/installer-tool.ts), linked from the cache. */
  readonly tools?: readonly { readonly path: string; readonly sha256: string }[];
}

/** The staging folder a run with process id `pid` uses for `outDir`. */
export const stagingFolder = (outDir: string, pid: number): string =>
  join(dirname(outDir), `.${basename(outDir)}.ferry-tmp-${pid}`);

/**
 * Removes what earlier runs for `outDir` left when they were killed (SIGKILL, power loss):
 * staging folders `.NAME.ferry-tmp-PID`, and `NAME.ferry-old-PID` folders once NAME exists
 * again, for every PID that no longer runs. A folder of a live process (another ferry writing
 * the same bundle right now) is left alone; so is an old bundle whose replacement never
 * arrived, since it may be the only copy.
 */
export async function sweepStaleStaging(outDir: string): Promise<string[]> {
  const dir = dirname(outDir);
  const name = basename(outDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const outExists = names.includes(name);
  const removed: string[] = [];
  for (const entry of names) {
    let pid: string | undefined;
    if (entry.startsWith(`.${name}.ferry-tmp-`)) pid = entry.slice(`.${name}.ferry-tmp-`.length);
    else if (outExists && entry.startsWith(`${name}.ferry-old-`))
      pid = entry.slice(`${name}.ferry-old-`.length);
    if (pid === undefined || !/^[1-9][0-9]{0,9}$/.test(pid)) continue;
    const n = Number(pid);
    if (n === process.pid || processAlive(n)) continue;
    await rm(join(dir, entry), { recursive: true, force: true }).catch(() => undefined);
    removed.push(entry);
  }
  return removed;
}

export async function writeBundleFolder(outDir: string, contents: BundleContents): Promise<void> {
  const staging = stagingFolder(outDir, process.pid);
  await sweepStaleStaging(outDir);
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(join(staging, BUNDLE_FILES.wheels), { recursive: true });
    await mkdir(join(staging, BUNDLE_FILES.signatures), { recursive: true });
    for (const w of contents.wheels)
      await contents.cache.linkOrCopy(w.sha256, join(staging, BUNDLE_FILES.wheels, w.filename));
    const tools = contents.tools ?? [];
    if (tools.length > 0) await mkdir(join(staging, 'tools'), { recursive: true });
    for (const t of tools) await contents.cache.linkOrCopy(t.sha256, join(staging, t.path));
    let manifest = contents.manifest;
    if (contents.sm3 === true) {
      const files = [];
      for (const f of manifest.files)
        files.push({ ...f, sm3: await hashFile(join(staging, f.path), 'sm3') });
      manifest = { ...manifest, files };
    }
    const licenses = new Map<string, Licence | undefined>();
    for (const f of manifest.files) licenses.set(f.path, await wheelLicense(join(staging, f.path)));
    await writeFile(join(staging, BUNDLE_FILES.requirements), contents.requirementsTxt);
    if (contents.pylockToml !== undefined)
      await writeFile(join(staging, BUNDLE_FILES.pylock), contents.pylockToml);
    await writeFile(join(staging, BUNDLE_FILES.manifest), formatManifest(manifest));
    await writeFile(join(staging, BUNDLE_FILES.sbom), formatSbom({ manifest, licenses }));
    await writeFile(join(staging, BUNDLE_FILES.installPy), contents.installPy ?? formatInstallPy());
    await chmod(join(staging, BUNDLE_FILES.installPy), 0o755);
    await writeFile(join(staging, BUNDLE_FILES.readme), formatReadmeTxt(manifest));
    await writeFile(
      join(staging, BUNDLE_FILES.sums),
      formatSha256Sums(
        await computeSha256Sums(
          staging,
          new Map([
            ...contents.wheels.map(
              (w) => [`${BUNDLE_FILES.wheels}/${w.filename}`, w.sha256] as const,
            ),
            ...tools.map((t) => [t.path, t.sha256] as const),
          ]),
        ),
      ),
    );
    // The previous bundle is set aside as NAME.ferry-old-PID and removed only after.
    await replaceDirAtomic(staging, outDir);
    // Now that NAME is complete, a bundle a killed run had set aside is no longer needed.
    await sweepStaleStaging(outDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The licence a wheel's METADATA declares (src/audit/licences.ts), or undefined when unreadable. */
async function wheelLicense(path: string): Promise<Licence | undefined> {
  try {
    return licenceFromMetadata(parseCoreMetadata(await readWheelMetadata(path), path));
  } catch {
    return undefined;
  }
}
