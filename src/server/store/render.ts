/**
 * The pages of a generation, rendered once when the generation is published (as Warehouse
 * caches each project's page until the project changes), never per request:
 *   - PEP 503 HTML: one anchor per file, `#sha256=` on the URL, `data-requires-python`
 *     (HTML-escaped, PEP 503), `data-yanked` (PEP 592), `data-dist-info-metadata` and
 *     `data-core-metadata` (PEP 658, renamed by PEP 714; both, for older and newer clients);
 *   - PEP 691 JSON at api-version 1.1, with PEP 700's `versions`, `size` and `upload-time`,
 *     and `core-metadata` / `dist-info-metadata`.
 * Links are relative to the page (`../../../files/ab/<sha256>/<name>` from
 * /<index>/simple/<project>/), so the same bytes work under `ferry serve`, nginx or any other
 * static server and under any mount point. pip resolves them against the page's URL
 * (pip/_internal/models/link.py, `_absolute_link_url`), as PEP 691 allows.
 */
import { escapeHtml } from '../../core/html.js';
import { normalizeName } from '../../standards/name.js';
import { metadataUrl } from './layout.js';
import type { CatalogFile, CatalogProject } from './types.js';

/** PEP 700 needs api-version 1.1. */
export const API_VERSION = '1.1';

/** From /<index>/simple/<project>/ up to the site root. */
const FROM_PROJECT = '../../../';

/** PEP 503 project list: `/<index>/simple/`. */
export function renderIndexHtml(
  projects: readonly CatalogProject[],
  normalized: readonly string[],
): string {
  const links = projects.map(
    (p, i) => `    <a href="${escapeHtml(normalized[i]!)}/">${escapeHtml(p.name)}</a>`,
  );
  return `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="${API_VERSION}">
    <title>Simple index</title>
  </head>
  <body>
${links.join('<br/>\n')}
  </body>
</html>
`;
}

/** PEP 691 project list. */
export function renderIndexJson(projects: readonly CatalogProject[]): string {
  return `${JSON.stringify({
    meta: { 'api-version': API_VERSION },
    projects: projects.map((p) => ({ name: p.name })),
  })}\n`;
}

function fileAnchor(file: CatalogFile): string {
  const attrs = [`href="${escapeHtml(`${FROM_PROJECT}${file.url}#sha256=${file.sha256}`)}"`];
  if (file.requiresPython !== undefined)
    attrs.push(`data-requires-python="${escapeHtml(file.requiresPython)}"`);
  if (file.yanked !== undefined)
    attrs.push(`data-yanked="${file.yanked === true ? '' : escapeHtml(file.yanked)}"`);
  if (file.coreMetadata !== undefined) {
    const value = `sha256=${file.coreMetadata.sha256}`;
    attrs.push(`data-dist-info-metadata="${value}"`, `data-core-metadata="${value}"`);
  }
  return `    <a ${attrs.join(' ')}>${escapeHtml(file.filename)}</a>`;
}

/** PEP 503 project page: `/<index>/simple/<project>/`. */
export function renderProjectHtml(project: CatalogProject): string {
  const title = `Links for ${escapeHtml(project.name)}`;
  return `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="${API_VERSION}">
    <title>${title}</title>
  </head>
  <body>
    <h1>${title}</h1>
${project.files.map(fileAnchor).join('<br/>\n')}
  </body>
</html>
`;
}

/** What a PEP 691 project page says of one file; size and upload time are PEP 700's. */
export interface ProjectPageFile {
  readonly filename: string;
  readonly url: string;
  readonly sha256: string;
  readonly requiresPython?: string | undefined;
  readonly yanked?: string | true | undefined;
  readonly coreMetadata?: { readonly sha256: string } | undefined;
  readonly size?: number | undefined;
  readonly uploadTime?: string | undefined;
}

/** One file entry of a PEP 691 project page (metadata under both PEP 658 and PEP 714 names). */
export function projectJsonFile(f: ProjectPageFile): Record<string, unknown> {
  return {
    filename: f.filename,
    url: `${FROM_PROJECT}${f.url}`,
    hashes: { sha256: f.sha256 },
    ...(f.requiresPython === undefined ? {} : { 'requires-python': f.requiresPython }),
    ...(f.yanked === undefined ? {} : { yanked: f.yanked }),
    ...(f.coreMetadata === undefined
      ? {}
      : {
          'core-metadata': { sha256: f.coreMetadata.sha256 },
          'dist-info-metadata': { sha256: f.coreMetadata.sha256 },
        }),
    ...(f.size === undefined ? {} : { size: f.size }),
    ...(f.uploadTime === undefined ? {} : { 'upload-time': f.uploadTime }),
  };
}

/** PEP 691 project page. */
export function renderProjectJson(project: CatalogProject): string {
  return `${JSON.stringify({
    meta: { 'api-version': API_VERSION },
    // PEP 691: a project page's "name" is the normalized name (the list keeps the display name).
    name: normalizeName(project.name),
    versions: project.versions,
    files: project.files.map(projectJsonFile),
  })}\n`;
}

/** The `.metadata` URL of a file, relative to the site root (for pages that list it). */
export const coreMetadataUrl = (file: CatalogFile): string | undefined =>
  file.coreMetadata === undefined ? undefined : metadataUrl(file.url);
