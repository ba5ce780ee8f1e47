/**
 * The pages of the merged `upstream` index: a project's page lists what the store cached and
 * what the upstream offers, each file by its store URL (`files/ab/<sha256>/<name>`, the same
 * URL before and after it is fetched). HTML is the store's own renderer (render.ts); JSON
 * follows it too, except that `size` is left out of a file the upstream gave no size for
 * (an HTML upstream page has none): pip and uv read `size` as optional.
 */
import { projectJsonFile, renderProjectHtml } from '../store/render.js';
import type { CatalogProject } from '../store/types.js';
import type { OfferedProject } from './upstream.js';

export function renderOfferedHtml(project: OfferedProject): string {
  // The HTML renderer reads name, url, sha256, requires-python, yanked and core-metadata; the
  // rest of a CatalogFile (size, upload time, provenance) does not appear on the page.
  const asCatalog: CatalogProject = {
    name: project.name,
    versions: project.versions,
    files: project.files.map((f) => ({
      ...f,
      size: f.size ?? 0,
      uploadTime: f.uploadTime ?? '',
      provenance: { kind: 'upstream', signers: [], actor: '', time: '' },
    })),
  };
  return renderProjectHtml(asCatalog);
}

export function renderOfferedJson(project: OfferedProject): string {
  return `${JSON.stringify({
    meta: { 'api-version': '1.1' },
    name: project.name,
    versions: project.versions,
    files: project.files.map(projectJsonFile),
  })}\n`;
}
