/**
 * The catalog as data: pure functions from one generation's catalog to the next. Nothing here
 * touches the disk; store.ts writes what these return.
 */
import { FerryError } from '../../core/errors.js';
import { parseDistFilename } from '../../standards/filename.js';
import { parseMetadataHeaders } from '../../standards/metadata.js';
import { normalizeName } from '../../standards/name.js';
import { compareVersions } from '../../standards/version.js';
import { isIndexName } from './layout.js';
import type {
  Catalog,
  CatalogBundle,
  CatalogFile,
  CatalogIndex,
  CatalogProject,
  StoreConfig,
} from './types.js';

/** A catalog file plus the project it belongs to. */
export interface PlacedFile {
  readonly project: string;
  readonly file: CatalogFile;
}

export const emptyCatalog = (config: StoreConfig, time: string): Catalog => ({
  formatVersion: 1,
  generation: 0,
  time,
  indexes: Object.fromEntries(Object.keys(config.indexes).map((name) => [name, { projects: {} }])),
  bundles: {},
});

/** The project a file belongs to: its metadata's Name, else its file name's (PEP 427/625). */
export function projectOf(
  filename: string,
  project?: string,
  coreMetadata?: Buffer,
): { display: string; normalized: string; version: string } {
  const parsed = parseDistFilename(filename);
  if (parsed === undefined)
    throw new FerryError(
      'ERR_FERRY_INVALID_FILENAME',
      `"${filename}" is neither a wheel nor an sdist file name`,
      {
        hint: 'Only wheels (.whl, PEP 427) and sdists (.tar.gz, .zip, PEP 625) can be published.',
      },
    );
  let display = project;
  if (display === undefined && coreMetadata !== undefined) {
    const name = parseMetadataHeaders(coreMetadata.toString('utf8'))
      .fields.get('name')?.[0]
      ?.trim();
    if (name !== undefined && normalizeName(name) === parsed.name) display = name;
  }
  const normalized = normalizeName(display ?? parsed.name);
  if (normalized !== parsed.name)
    throw new FerryError(
      'ERR_FERRY_INVALID_FILENAME',
      `"${filename}" does not belong to the project "${display}"`,
      {
        hint: 'The file name must start with the project name (PEP 427 / PEP 625).',
      },
    );
  return { display: display ?? parsed.name, normalized, version: parsed.version };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function withProject(
  index: CatalogIndex,
  normalized: string,
  project: CatalogProject | undefined,
): CatalogIndex {
  const projects: Record<string, CatalogProject> = { ...index.projects };
  if (project === undefined || project.files.length === 0) delete projects[normalized];
  else projects[normalized] = project;
  const sorted = Object.fromEntries(
    Object.keys(projects)
      .sort(byName)
      .map((k) => [k, projects[k]!]),
  );
  return { projects: sorted };
}

function projectWith(name: string, files: readonly CatalogFile[]): CatalogProject {
  const sortedFiles = [...files].sort((a, b) => byName(a.filename, b.filename));
  const versions = [...new Set(sortedFiles.map((f) => f.version))].sort(compareVersions);
  return { name, versions, files: sortedFiles };
}

/**
 * Adds files to an index. A file name already there with the same SHA-256 is left as it is
 * (its first provenance stays); with other bytes it is refused, as PyPI refuses to replace a
 * file: a name means one set of bytes for ever, or caches and lock files would disagree.
 */
export function addFiles(
  catalog: Catalog,
  index: string,
  placed: readonly PlacedFile[],
): { catalog: Catalog; added: number } {
  const current = catalog.indexes[index];
  if (current === undefined || !isIndexName(index)) throw unknownIndex(index, catalog);
  let result = current;
  let added = 0;
  for (const { project, file } of placed) {
    const normalized = normalizeName(project);
    const existing = result.projects[normalized];
    const same = existing?.files.find((f) => f.filename === file.filename);
    if (same !== undefined) {
      if (same.sha256 !== file.sha256)
        throw new FerryError(
          'ERR_FERRY_FILE_CONFLICT',
          `${index} already has ${file.filename} with SHA-256 ${same.sha256}; the new one has ${file.sha256}`,
          {
            hint: 'A published file is never replaced (installers and lock files remember its hash). Publish the change as a new version.',
            details: {
              index,
              filename: file.filename,
              existing: same.sha256,
              offered: file.sha256,
            },
          },
        );
      continue;
    }
    result = withProject(
      result,
      normalized,
      projectWith(existing?.name ?? project, [...(existing?.files ?? []), file]),
    );
    added++;
  }
  return { catalog: { ...catalog, indexes: { ...catalog.indexes, [index]: result } }, added };
}

/** Removes from `index` the files a bundle brought (it leaves `incoming` when approved). */
export function removeBundleFiles(
  catalog: Catalog,
  index: string,
  digest: string,
): { catalog: Catalog; removed: number } {
  const current = catalog.indexes[index];
  if (current === undefined) return { catalog, removed: 0 };
  let result = current;
  let removed = 0;
  for (const [normalized, project] of Object.entries(current.projects)) {
    const kept = project.files.filter((f) => f.provenance.bundle?.digest !== digest);
    if (kept.length === project.files.length) continue;
    removed += project.files.length - kept.length;
    result = withProject(
      result,
      normalized,
      kept.length === 0 ? undefined : projectWith(project.name, kept),
    );
  }
  return { catalog: { ...catalog, indexes: { ...catalog.indexes, [index]: result } }, removed };
}

export const withBundle = (catalog: Catalog, bundle: CatalogBundle): Catalog => ({
  ...catalog,
  bundles: Object.fromEntries(
    Object.entries({ ...catalog.bundles, [bundle.digest]: bundle }).sort(([a], [b]) =>
      byName(a, b),
    ),
  ),
});

/** Indexes named in store.json that the catalog lacks (added to store.json since) get empty. */
export const withConfiguredIndexes = (catalog: Catalog, config: StoreConfig): Catalog => {
  const missing = Object.keys(config.indexes).filter((name) => catalog.indexes[name] === undefined);
  if (missing.length === 0) return catalog;
  return {
    ...catalog,
    indexes: {
      ...catalog.indexes,
      ...Object.fromEntries(missing.map((m) => [m, { projects: {} }])),
    },
  };
};

/** Two catalogs hold the same data (generation, time and change aside). */
export const sameData = (a: Catalog, b: Catalog): boolean =>
  JSON.stringify([a.indexes, a.bundles]) === JSON.stringify([b.indexes, b.bundles]);

export function unknownIndex(index: string, catalog: Catalog): FerryError {
  return new FerryError('ERR_FERRY_UNKNOWN_INDEX', `the store has no index "${index}"`, {
    hint: `Its indexes: ${Object.keys(catalog.indexes).join(', ')}. Add one to store.json's "indexes" to make it.`,
  });
}

export function parseCatalog(text: string, source: string): Catalog {
  try {
    const catalog = JSON.parse(text) as Catalog;
    if (
      catalog.formatVersion !== 1 ||
      typeof catalog.indexes !== 'object' ||
      !Number.isInteger(catalog.generation)
    )
      throw new Error('not a format-1 catalog');
    return catalog;
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_STORE_DAMAGED',
      `${source} cannot be read: ${(error as Error).message}`,
      {
        hint: 'The generation is damaged; point "current" at the previous generation (ln -sfn generations/N current.new && mv -T current.new current).',
      },
    );
  }
}
