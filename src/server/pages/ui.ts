/**
 * The web pages for people, rendered on the server from a generation's catalog.json and
 * usable without JavaScript, in the spirit of PyPI's project pages: what projects there are
 * (with a search), every version and file of a project with its hash, size, upload time, the
 * bundle that brought it and who signed that bundle, the imported bundles, and the queue of
 * bundles waiting for approval. Pure: catalog in, HTML out.
 */
import { compareVersions } from '../../standards/version.js';
import type { Catalog, CatalogBundle, CatalogFile, CatalogProject } from '../store/types.js';
import { esc, type Frame, formatSize, formatTime, page, seg } from './html.js';

const normalizeQuery = (q: string): string =>
  q
    .trim()
    .toLowerCase()
    .replace(/[-_.]+/g, '-');

const byVersionDesc = (a: string, b: string): number => {
  try {
    return compareVersions(b, a);
  } catch {
    return a < b ? 1 : a > b ? -1 : 0;
  }
};

interface ProjectRow {
  readonly key: string;
  readonly name: string;
  readonly latest: string | undefined;
  readonly indexes: string[];
  readonly files: number;
}

function projectRows(catalog: Catalog): ProjectRow[] {
  const rows = new Map<string, ProjectRow>();
  for (const [index, data] of Object.entries(catalog.indexes)) {
    for (const [key, project] of Object.entries(data.projects)) {
      const latest = [...project.versions].sort(byVersionDesc)[0];
      const row = rows.get(key);
      if (row === undefined) {
        rows.set(key, {
          key,
          name: project.name,
          latest,
          indexes: [index],
          files: project.files.length,
        });
      } else {
        row.indexes.push(index);
        rows.set(key, {
          ...row,
          files: row.files + project.files.length,
          latest:
            latest !== undefined &&
            (row.latest === undefined || byVersionDesc(latest, row.latest) < 0)
              ? latest
              : row.latest,
        });
      }
    }
  }
  return [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `/`: every project in every index, filtered by `?q=` (a substring of the normalized name). */
export function renderHome(catalog: Catalog, query: string | undefined, root = './'): string {
  const frame: Frame = { title: 'Projects', root, generation: catalog.generation };
  const all = projectRows(catalog);
  const q = query === undefined ? '' : normalizeQuery(query);
  const rows = q === '' ? all : all.filter((r) => r.key.includes(q));
  const indexes = Object.keys(catalog.indexes);
  const summary =
    q === ''
      ? `${all.length} project${all.length === 1 ? '' : 's'}`
      : `${rows.length} of ${all.length} projects match “${esc(query ?? '')}”`;
  const table =
    rows.length === 0
      ? `<p id="no-results">${q === '' ? 'No projects yet: import a bundle or upload a file.' : `No project matches “${esc(query ?? '')}”.`}</p>`
      : `<table id="projects"><thead><tr><th>Project</th><th>Latest version</th><th>Indexes</th><th>Files</th></tr></thead><tbody>
${rows
  .map(
    (r) =>
      `<tr><td><a href="${root}ui/project/${seg(r.key)}">${esc(r.name)}</a></td><td>${esc(r.latest ?? '')}</td><td>${r.indexes.map((i) => `<span class="tag">${esc(i)}</span>`).join('')}</td><td>${r.files}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
  return page(
    frame,
    `<h1>Projects</h1>
<form class="search" method="get" action="${root}" role="search">
<label for="q">Search projects</label>
<input type="search" id="q" name="q" value="${esc(query ?? '')}" placeholder="name">
<button type="submit">Search</button>
</form>
<p class="muted">${summary}. Simple indexes: ${indexes.map((i) => `<a href="${root}${seg(i)}/simple/">${esc(i)}</a>`).join(', ') || 'none'}.</p>
${table}`,
  );
}

function signersOf(catalog: Catalog, file: CatalogFile): string {
  const bundle =
    file.provenance.bundle === undefined
      ? undefined
      : catalog.bundles[file.provenance.bundle.digest];
  const ids = file.provenance.signers;
  if (ids.length === 0) return '<span class="muted">unsigned</span>';
  return ids
    .map((id) => {
      const i = bundle?.signers.indexOf(id) ?? -1;
      const name = i >= 0 ? bundle?.signerNames[i] : undefined;
      return `<span class="signer">${name === undefined ? '' : `${esc(name)} `}<code>${esc(id)}</code></span>`;
    })
    .join('<br>');
}

function provenanceCell(file: CatalogFile, root: string): string {
  const p = file.provenance;
  const source =
    p.bundle !== undefined
      ? `bundle <a href="${root}ui/bundles#b-${esc(p.bundle.digest)}">${esc(p.bundle.name)}</a>`
      : p.kind === 'upload'
        ? 'uploaded'
        : esc(p.kind);
  return `${source} <span class="muted">by ${esc(p.actor)}</span>`;
}

function filesTable(catalog: Catalog, project: CatalogProject, root: string): string {
  const files = [...project.files].sort(
    (a, b) => byVersionDesc(a.version, b.version) || (a.filename < b.filename ? -1 : 1),
  );
  return `<table class="files"><thead><tr><th>File</th><th>Version</th><th>Size</th><th>Uploaded</th><th>SHA-256</th><th>Came with</th><th>Signed by</th></tr></thead><tbody>
${files
  .map(
    (f) =>
      `<tr${f.yanked === undefined ? '' : ' class="yanked"'}><td><a href="${root}${f.url.split('/').map(seg).join('/')}">${esc(f.filename)}</a>${f.requiresPython === undefined ? '' : `<br><span class="muted">Requires-Python ${esc(f.requiresPython)}</span>`}${f.yanked === undefined ? '' : `<br>yanked${f.yanked === true ? '' : `: ${esc(f.yanked)}`}`}</td><td>${esc(f.version)}</td><td>${esc(formatSize(f.size))}</td><td>${esc(formatTime(f.uploadTime))}</td><td class="hash">${esc(f.sha256)}</td><td>${provenanceCell(f, root)}</td><td>${signersOf(catalog, f)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
}

/** `/ui/project/<name>`: undefined when no index has the project. */
export function renderProject(catalog: Catalog, key: string, root = '../../'): string | undefined {
  const found = Object.entries(catalog.indexes).filter(([, data]) =>
    Object.hasOwn(data.projects, key),
  );
  if (found.length === 0) return undefined;
  const name = found[0]![1].projects[key]!.name;
  const sections = found.map(([index, data]) => {
    const project = data.projects[key]!;
    const versions = [...project.versions].sort(byVersionDesc);
    return `<section class="index" id="index-${esc(index)}">
<h2>In <span class="tag">${esc(index)}</span></h2>
<p>Versions: ${versions.map((v) => `<span class="tag version">${esc(v)}</span>`).join(' ')}</p>
<p class="muted">Install: <code>pip install --index-url ${esc('<this server>')}/${esc(index)}/simple/ ${esc(name)}</code> · <a href="${root}${seg(index)}/simple/${seg(key)}/">simple page</a></p>
${filesTable(catalog, project, root)}
</section>`;
  });
  return page(
    { title: name, root, generation: catalog.generation },
    `<h1>${esc(name)}</h1>\n${sections.join('\n')}`,
  );
}

function bundleRows(bundles: readonly CatalogBundle[], root: string): string {
  return `<table class="bundles"><thead><tr><th>Bundle</th><th>State</th><th>Index</th><th>Signed by</th><th>Imported</th><th>Files</th><th>SBOM</th></tr></thead><tbody>
${bundles
  .map(
    (b) =>
      `<tr id="b-${esc(b.digest)}"><td><strong>${esc(b.name)}</strong><br><span class="hash muted">${esc(b.digest)}</span></td><td>${esc(b.state)}</td><td>${esc(b.index)}</td><td>${
        b.signers.length === 0
          ? '<span class="muted">unsigned</span>'
          : b.signers
              .map(
                (id, i) =>
                  `<span class="signer">${esc(b.signerNames[i] ?? '')} <code>${esc(id)}</code></span>`,
              )
              .join('<br>')
      }<br><span class="muted">${b.signers.length} of ${b.required} required</span></td><td>${esc(formatTime(b.time))}<br><span class="muted">by ${esc(b.actor)}</span></td><td>${b.files}</td><td>${
        b.sbom === undefined
          ? '<span class="muted">none</span>'
          : `<a href="${root}${b.sbom.split('/').map(seg).join('/')}">sbom.cdx.json</a>`
      }</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
}

const sortedBundles = (catalog: Catalog): CatalogBundle[] =>
  Object.values(catalog.bundles).sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));

/** `/ui/bundles`: every imported bundle, newest first, with its signers and SBOM. */
export function renderBundles(catalog: Catalog, root = '../'): string {
  const bundles = sortedBundles(catalog);
  return page(
    { title: 'Bundles', root, generation: catalog.generation },
    `<h1>Bundles</h1>
${bundles.length === 0 ? '<p>No bundle imported yet.</p>' : bundleRows(bundles, root)}`,
  );
}

/**
 * `/ui/incoming`: the queue. Bundles waiting for approval (too few signers for the approved
 * index), and the files uploaded into the incoming index.
 */
export function renderIncoming(catalog: Catalog, incomingIndex: string, root = '../'): string {
  const waiting = sortedBundles(catalog).filter((b) => b.state === 'incoming');
  const projects = Object.values(catalog.indexes[incomingIndex]?.projects ?? {});
  const uploads = projects.flatMap((p) =>
    p.files.filter((f) => f.provenance.kind !== 'bundle').map((f) => ({ project: p, file: f })),
  );
  return page(
    { title: 'Incoming', root, generation: catalog.generation },
    `<h1>Incoming</h1>
<p class="muted">What waits in <span class="tag">${esc(incomingIndex)}</span> for <code>ferry approve</code>.</p>
<h2>Bundles waiting for approval</h2>
${waiting.length === 0 ? '<p id="no-waiting">No bundle is waiting.</p>' : bundleRows(waiting, root)}
<h2>Uploaded files</h2>
${
  uploads.length === 0
    ? '<p id="no-uploads">No uploaded file is waiting.</p>'
    : `<table class="uploads"><thead><tr><th>Project</th><th>File</th><th>Uploaded</th><th>By</th><th>SHA-256</th></tr></thead><tbody>
${uploads
  .map(
    ({ project, file }) =>
      `<tr><td><a href="${root}ui/project/${seg(normalizeQuery(project.name))}">${esc(project.name)}</a></td><td>${esc(file.filename)}</td><td>${esc(formatTime(file.uploadTime))}</td><td>${esc(file.provenance.actor)}</td><td class="hash">${esc(file.sha256)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
}`,
  );
}

/** A page for a project nobody has: says so and links the search. */
export function renderMissingProject(catalog: Catalog, name: string, root = '../../'): string {
  return page(
    { title: 'Not found', root, generation: catalog.generation },
    `<h1>No project “${esc(name)}”</h1>
<p>No index here has a project of that name. <a href="${root}?q=${esc(encodeURIComponent(name))}">Search for it</a> or see <a href="${root}">all projects</a>.</p>`,
  );
}
