/**
 * `ferry pack DIR --with-ferry`: the bundle carries ferry itself as one file
 * (tools/ferry.mjs, built by `npm run build`: it runs with Node >= 20 and nothing beside it),
 * so the far side can verify, install and serve with `node tools/ferry.mjs ...` without
 * installing ferry first. The file is listed in manifest.json (`tools[]`) and in SHA256SUMS,
 * so it is verified, and signed, like every other file of the bundle.
 *
 * Adding a file changes SHA256SUMS, which is what signatures cover: a signed folder is
 * refused (its signatures would stop matching). Add ferry before signing.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../core/errors.js';
import { hashFile } from '../core/hash-file.js';
import { writeFileAtomic } from '../store/index.js';
import { formatManifest, type ManifestTool, parseManifest } from './manifest.js';
import { formatReadmeTxt } from './readme-txt.js';
import { computeSha256Sums, formatSha256Sums } from './sha256sums.js';
import { BUNDLE_FILES } from './write-folder.js';

/** Where the single-file ferry goes in a bundle. */
export const FERRY_TOOL_PATH = 'tools/ferry.mjs';

export interface AddFerryResult {
  /** false when the bundle already carried exactly this file. */
  readonly added: boolean;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Copies `ferryFile` into `dir` as tools/ferry.mjs (mode 0755), records it in manifest.json,
 * rewrites README.txt (which then tells the operator about it) and SHA256SUMS.
 * `tool` is what manifest.json records as its maker, e.g. "ferry 0.2.0".
 */
export async function addFerryTool(
  dir: string,
  ferryFile: string,
  tool: string,
): Promise<AddFerryResult> {
  const info = await stat(ferryFile).catch(() => undefined);
  if (info === undefined || !info.isFile())
    throw new FerryError('ERR_FERRY_USAGE', `the single-file ferry "${ferryFile}" does not exist`, {
      hint: 'Run "npm run build" in the ferry checkout (it writes dist/ferry.mjs), or name the file with --ferry-file.',
    });
  const sha256 = await hashFile(ferryFile);
  const manifestPath = join(dir, BUNDLE_FILES.manifest);
  const manifest = parseManifest(await readFile(manifestPath, 'utf8'), BUNDLE_FILES.manifest);
  const carried = manifest.tools?.find((t) => t.path === FERRY_TOOL_PATH);
  const present = await hashFile(join(dir, FERRY_TOOL_PATH)).catch(() => undefined);
  if (carried?.sha256 === sha256 && present === sha256)
    return { added: false, path: FERRY_TOOL_PATH, size: info.size, sha256 };
  const signatures = await readdir(join(dir, BUNDLE_FILES.signatures)).catch(() => []);
  if (signatures.length > 0)
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `${dir} is already signed (${signatures.length} signature(s)); adding ${FERRY_TOOL_PATH} changes ${BUNDLE_FILES.sums} and would void them`,
      {
        hint: `Add ferry before signing: "ferry pack ${dir} --with-ferry" (without -o), then sign, then pack.`,
      },
    );
  await mkdir(join(dir, 'tools'), { recursive: true });
  await writeFileAtomic(join(dir, FERRY_TOOL_PATH), await readFile(ferryFile), { mode: 0o755 });
  const entry: ManifestTool = { path: FERRY_TOOL_PATH, size: info.size, sha256, tool };
  const updated = {
    ...manifest,
    tools: [...(manifest.tools ?? []).filter((t) => t.path !== FERRY_TOOL_PATH), entry],
  };
  await writeFileAtomic(manifestPath, formatManifest(updated));
  await writeFileAtomic(join(dir, BUNDLE_FILES.readme), formatReadmeTxt(updated));
  // Last: until SHA256SUMS is rewritten, the folder fails verification rather than passing
  // with a half-made change.
  await writeFileAtomic(
    join(dir, BUNDLE_FILES.sums),
    formatSha256Sums(await computeSha256Sums(dir)),
  );
  return { added: true, path: FERRY_TOOL_PATH, size: info.size, sha256 };
}
