/**
 * Writes a bundle folder. Everything is assembled in a staging folder beside the destination
 * and renamed into place at the end, so a failure never leaves a half-written bundle and an
 * earlier bundle at the same path survives until the new one is complete.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ContentCache } from '../fetch/cache.js';
import { formatManifest, type Manifest } from './manifest.js';

export interface BundleContents {
  readonly manifest: Manifest;
  readonly wheels: readonly { readonly filename: string; readonly sha256: string }[];
  readonly requirementsTxt: string;
  readonly cache: ContentCache;
}

export async function writeBundleFolder(outDir: string, contents: BundleContents): Promise<void> {
  const staging = join(dirname(outDir), `.${basename(outDir)}.ferry-tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(join(staging, 'wheels'), { recursive: true });
    for (const w of contents.wheels) await contents.cache.linkOrCopy(w.sha256, join(staging, 'wheels', w.filename));
    await writeFile(join(staging, 'requirements.txt'), contents.requirementsTxt);
    await writeFile(join(staging, 'manifest.json'), formatManifest(contents.manifest));
    await replaceDirectory(staging, outDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Moves the finished staging folder into place; the previous bundle is removed only after. */
async function replaceDirectory(staging: string, outDir: string): Promise<void> {
  const old = `${outDir}.ferry-old-${process.pid}`;
  const exists = await stat(outDir).then(
    () => true,
    () => false,
  );
  if (exists) await rename(outDir, old);
  await rename(staging, outDir);
  if (exists) await rm(old, { recursive: true, force: true });
}
