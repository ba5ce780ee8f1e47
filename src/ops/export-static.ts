/**
 * The export-static use case: the store's current generation as a plain folder that any web
 * server (nginx, Apache, an object store's website mode) serves as a PEP 503/691 index:
 *
 *   OUT/<index>/simple/index.html|index.json
 *   OUT/<index>/simple/<project>/index.html|index.json
 *   OUT/files/ab/<sha256>/<filename>[.metadata]
 *   OUT/catalog.json
 *
 * The same bytes `ferry serve` serves: pages are the generation's own files and distributions
 * are the store's objects, both hard-linked when OUT lies on the store's file system (copied
 * otherwise). Only what the generation names is exported. The tree is built beside OUT and
 * swapped in whole (replaceDirAtomic), so a web server never serves half an export.
 */
import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve as resolvePath } from 'node:path';
import { replaceDirAtomic } from '../core/atomic-write.js';
import { FerryError } from '../core/errors.js';
import { openIndexStore } from '../server/store/index.js';
import { metadataUrl, STORE_FILES } from '../server/store/layout.js';
import { linkOrCopy } from '../store/index.js';

export interface ExportStaticRequest {
  readonly store: string;
  readonly out: string;
}

export interface ExportStaticResult {
  readonly out: string;
  readonly generation: number;
  readonly indexes: readonly string[];
  readonly projects: number;
  /** Distribution, metadata and SBOM files. */
  readonly files: number;
  /** How many of `files` are hard links into the store (the rest are copies). */
  readonly linked: number;
}

/** Files under `dir`, relative, not following links (the generation's `files` link is skipped). */
async function pagesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    out.push(relative(dir, join(entry.parentPath ?? entry.path, entry.name)));
  }
  return out.sort();
}

/** An existing OUT is replaced only when it is an earlier export (it has catalog.json) or empty. */
async function checkOut(out: string): Promise<void> {
  const info = await lstat(out).catch(() => undefined);
  if (info === undefined) return;
  const ok =
    info.isDirectory() &&
    ((await readdir(out)).length === 0 ||
      (await stat(join(out, STORE_FILES.catalog)).catch(() => undefined)) !== undefined);
  if (!ok)
    throw new FerryError('ERR_FERRY_DEST_EXISTS', `${out} exists and is not an earlier export`, {
      hint: 'Give -o a new or empty folder, or the folder an earlier "ferry export-static" wrote.',
    });
}

export async function exportStatic(request: ExportStaticRequest): Promise<ExportStaticResult> {
  const store = await openIndexStore(request.store);
  const out = resolvePath(request.out);
  await checkOut(out);
  const { generation, dir, catalog } = await store.current();
  const staging = join(dirname(out), `.${basename(out)}.ferry-tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  let files = 0;
  let linked = 0;
  const put = async (from: string, rel: string): Promise<boolean> => {
    const dest = join(staging, rel);
    await mkdir(dirname(dest), { recursive: true });
    return (await linkOrCopy(from, dest)) === 'link';
  };
  try {
    for (const page of await pagesOf(dir)) await put(join(dir, page), page);
    const urls = new Set<string>();
    for (const index of Object.values(catalog.indexes))
      for (const project of Object.values(index.projects))
        for (const file of project.files) {
          urls.add(file.url);
          if (file.coreMetadata !== undefined) urls.add(metadataUrl(file.url));
        }
    for (const bundle of Object.values(catalog.bundles))
      if (bundle.sbom !== undefined) urls.add(bundle.sbom);
    for (const url of [...urls].sort()) {
      const from = store.filePath(`/${url}`);
      if (from === undefined)
        throw new FerryError(
          'ERR_FERRY_STORE_DAMAGED',
          `generation ${generation} names the file "${url}", which cannot be in a store`,
          {
            hint: 'The catalog was edited by hand; point "current" at an earlier generation.',
          },
        );
      if (await put(from, url)) linked++;
      files++;
    }
    await replaceDirAtomic(staging, out);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const indexes = Object.keys(catalog.indexes);
  const projects = Object.values(catalog.indexes).reduce(
    (n, i) => n + Object.keys(i.projects).length,
    0,
  );
  return { out, generation, indexes, projects, files, linked };
}
