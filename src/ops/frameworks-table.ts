/**
 * `ferry frameworks`: the variant table (data/frameworks.json) as one row per build, with the
 * floors each build puts on a target, for people (a text listing), for scripts (JSON) and
 * for docs/frameworks.md, whose table section is generated from these rows so that the doc
 * cannot drift from the JSON (scripts/docs-frameworks.ts; test/docs/frameworks-doc.test.ts).
 */
import { FerryError } from '../core/errors.js';
import { isAcceleratorBuild, isCudaBuild } from '../frameworks/accelerators.js';
import {
  CUDA_MINOR_COMPAT_FLOOR,
  cudaMajor,
  cudaTag,
  minimumDriverFor,
} from '../frameworks/cuda.js';
import { toolkitCapabilityRange } from '../frameworks/gpu-arch.js';
import {
  FRAMEWORK_DISPLAY,
  type FrameworkName,
  type FrameworkTable,
  normalizeFramework,
  parseFrameworkTable,
} from '../frameworks/table.js';
import { loadVendorMirrors, vendorMirrorsOf } from '../index/index-config.js';
import { compareVersions } from '../standards/version.js';

/** One build of one release series, and what it asks of a target. */
export interface FrameworkBuildRow {
  readonly framework: FrameworkName;
  readonly series: string;
  /** The releases of the series that have this build (newest first), per the table. */
  readonly releases: readonly string[];
  readonly defaultVersion: string;
  /** 'cpu' or the CUDA version 'MAJOR.MINOR'. */
  readonly cuda: string;
  /** 'cpu', 'cu118', ... */
  readonly build: string;
  readonly project: string;
  /** The pin with the release left open: 'torch=={version}+cu118'. */
  readonly pin: string;
  /** The table's index name ('default': the configured index) and its URL (null for default). */
  readonly index: { readonly name: string; readonly url: string | null };
  readonly arches: readonly string[];
  readonly python: { readonly min: string; readonly max: string };
  readonly requiresAvx: boolean;
  /** The NVIDIA driver a CUDA build needs: full support, and through minor-version compatibility. */
  readonly driver: { readonly full: string; readonly minorCompat: string | null } | null;
  /** Oldest glibc, when stricter than manylinux2014's 2.17. */
  readonly glibc: string | null;
  /** Oldest libstdc++ as its GLIBCXX version, when the table names one. */
  readonly glibcxx: string | null;
  /** GPU compute capabilities the build has kernels for: the table's, else the toolkit's range. */
  readonly computeCapabilities: {
    readonly min: string;
    readonly max: string;
    readonly from: string;
  } | null;
  readonly constraints: readonly string[];
  readonly source: string;
  /** Mirrors of the build's vendor index (data/mirrors.json), with the URL for this build. */
  readonly mirrors: readonly {
    readonly name: string;
    readonly url: string;
    readonly layout: 'index' | 'find-links';
    readonly source: string;
  }[];
}

/** The optional per-build fields of a table row that this listing shows. */
interface BuildFloors {
  readonly minGlibcxx?: string;
  readonly releases?: readonly string[];
  readonly python?: { readonly min: string; readonly max: string };
  readonly capabilities?: { readonly min: string; readonly max: string; readonly from: string };
}

const newerFirst = (a: string, b: string): number => compareVersions(b, a);

/** The table as build rows: frameworks in table order, series newest first, CPU build first. */
export function frameworkBuildRows(table: FrameworkTable, framework?: string): FrameworkBuildRow[] {
  const mirrors = loadVendorMirrors();
  const only = framework === undefined ? undefined : normalizeFramework(framework);
  const order = [...new Set(table.series.map((s) => s.framework))];
  const series = table.series
    .filter((s) => only === undefined || s.framework === only)
    .sort(
      (a, b) =>
        order.indexOf(a.framework) - order.indexOf(b.framework) ||
        newerFirst(a.defaultVersion, b.defaultVersion),
    );
  const rows: FrameworkBuildRow[] = [];
  for (const s of series) {
    const variants = [...s.variants].sort((a, b) =>
      a.cuda === b.cuda
        ? 0
        : a.cuda === 'cpu'
          ? -1
          : b.cuda === 'cpu'
            ? 1
            : // Accelerator builds (rocm6.3, npu, ...) after the CUDA builds.
              Number(isAcceleratorBuild(a.cuda)) - Number(isAcceleratorBuild(b.cuda)) ||
              (isCudaBuild(a.cuda) && isCudaBuild(b.cuda)
                ? compareVersions(a.cuda, b.cuda)
                : a.cuda.localeCompare(b.cuda, 'en', { numeric: true })),
    );
    for (const variant of variants) {
      // The table's per-build floors (optional in its schema).
      const v = variant as typeof variant & BuildFloors;
      const gpu = isCudaBuild(v.cuda);
      const toolkit = gpu ? toolkitCapabilityRange(v.cuda) : undefined;
      const capabilities =
        v.capabilities ?? (toolkit && { ...toolkit, from: `the CUDA ${v.cuda} toolkit's range` });
      const indexUrl = v.index === 'default' ? null : (table.indexes[v.index] ?? null);
      const extras = v.extras?.length ? `[${v.extras.join(',')}]` : '';
      rows.push({
        framework: s.framework,
        series: s.series,
        releases: [...(v.releases ?? s.versions)].sort(newerFirst),
        defaultVersion: s.defaultVersion,
        cuda: v.cuda,
        build: gpu ? cudaTag(v.cuda) : v.cuda,
        project: v.project,
        pin: `${v.project}${extras}==${v.version}`,
        index: {
          name: v.index,
          url: v.index === 'default' ? null : (table.indexes[v.index] ?? null),
        },
        arches: [...v.arches],
        python: v.python ?? { min: s.python.min, max: s.python.max },
        requiresAvx: s.requiresAvx.value,
        driver: gpu
          ? {
              full: minimumDriverFor(v.cuda),
              minorCompat: CUDA_MINOR_COMPAT_FLOOR[cudaMajor(v.cuda)] ?? null,
            }
          : null,
        glibc: v.minGlibc ?? null,
        glibcxx: v.minGlibcxx ?? null,
        computeCapabilities: capabilities ?? null,
        constraints: s.constraints.map((c) => c.requirement),
        source: v.from,
        mirrors:
          indexUrl === null
            ? []
            : vendorMirrorsOf(indexUrl, mirrors).map((m) => ({
                name: m.mirror.name,
                url: m.url,
                layout: m.mirror.layout,
                source: m.mirror.source,
              })),
      });
    }
  }
  return rows;
}

const range = (r: { min: string; max: string }): string => `${r.min}–${r.max}`;

function driverText(row: FrameworkBuildRow): string {
  if (row.driver === null) return '—';
  return row.driver.minorCompat === null
    ? `≥ ${row.driver.full}`
    : `≥ ${row.driver.full} (compat ≥ ${row.driver.minorCompat})`;
}

/** The releases, shortened when there are many: '3.3.1, 3.3.0 … 3.0.0 (8)'. */
function releasesText(releases: readonly string[]): string {
  if (releases.length <= 3) return releases.join(', ');
  return `${releases[0]}, ${releases[1]} … ${releases[releases.length - 1]} (${releases.length})`;
}

/** The listing `ferry frameworks` prints: a block per series, a line or two per build. */
export function frameworksText(rows: readonly FrameworkBuildRow[]): string {
  const lines: string[] = [];
  let heading = '';
  for (const row of rows) {
    const h = `${FRAMEWORK_DISPLAY[row.framework]} ${row.series} (default ${row.defaultVersion}; Python ${range(row.python)}${row.requiresAvx ? '; needs AVX' : ''})`;
    if (h !== heading) {
      if (lines.length > 0) lines.push('');
      lines.push(h);
      heading = h;
    }
    const floors = [
      `arch ${row.arches.join(', ')}`,
      `releases ${releasesText(row.releases)}`,
      ...(row.glibc === null ? [] : [`glibc ≥ ${row.glibc}`]),
      ...(row.glibcxx === null ? [] : [`GLIBCXX ≥ ${row.glibcxx}`]),
      ...(row.driver === null ? [] : [`driver ${driverText(row)}`]),
      ...(row.computeCapabilities === null
        ? []
        : [`compute capability ${range(row.computeCapabilities)}`]),
    ];
    lines.push(
      `  ${row.build.padEnd(6)} ${row.pin}`,
      `         index ${row.index.name}${row.index.url === null ? " (pip's configured index)" : ` ${row.index.url}`}`,
      `         ${floors.join('; ')}`,
      `         source: ${row.source}`,
      ...row.mirrors.map(
        (m) =>
          `         mirror ${m.name}: ${m.layout === 'index' ? `--index ${row.index.name}=${m.url}` : `--find-links ${m.url}/`} (${m.source})`,
      ),
    );
  }
  return lines.join('\n');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The Markdown table of docs/frameworks.md's generated section. Indexes are named as the table
 * names them; their URLs are in data/frameworks.json and `ferry frameworks`.
 */
export function frameworksMarkdown(rows: readonly FrameworkBuildRow[]): string {
  const header =
    '| Framework | Series | Build | Pin | Index | Releases | Python | Arch | glibc | GLIBCXX | Driver (full / compat) | Compute capability | Source |';
  const lines = [header, `|${'---|'.repeat(13)}`];
  for (const row of rows) {
    lines.push(
      `| ${[
        FRAMEWORK_DISPLAY[row.framework],
        row.series,
        row.build,
        `\`${row.pin}\``,
        row.index.name === 'default' ? 'default' : `\`${row.index.name}\``,
        row.releases.join(', '),
        range(row.python),
        row.arches.join(', '),
        row.glibc === null ? '2.17' : `≥ ${row.glibc}`,
        row.glibcxx === null ? '—' : `≥ ${row.glibcxx}`,
        row.driver === null ? '—' : `${row.driver.full} / ${row.driver.minorCompat ?? '—'}`,
        row.computeCapabilities === null ? '—' : range(row.computeCapabilities),
        row.source,
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export const GENERATED_BEGIN =
  '<!-- BEGIN generated from data/frameworks.json by `npm run docs:frameworks`; do not edit -->';
export const GENERATED_END = '<!-- END generated -->';

/**
 * `doc` with the text between the markers replaced by `generated`; undefined when the doc has
 * no (or broken) markers.
 */
export function replaceGeneratedSection(doc: string, generated: string): string | undefined {
  const begin = doc.indexOf(GENERATED_BEGIN);
  const end = doc.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) return undefined;
  return `${doc.slice(0, begin + GENERATED_BEGIN.length)}\n${generated}\n${doc.slice(end)}`;
}

/**
 * docs/frameworks.md with its generated section rewritten from the table's JSON text (read
 * directly, not through FERRY_FRAMEWORKS: the doc describes ferry's own table).
 */
export function generatedFrameworksDoc(doc: string, tableJson: string): string {
  const rows = frameworkBuildRows(parseFrameworkTable(tableJson, 'data/frameworks.json'));
  const next = replaceGeneratedSection(doc, frameworksMarkdown(rows));
  if (next === undefined) {
    throw new FerryError(
      'ERR_FERRY_DATA_INVALID',
      `docs/frameworks.md has no generated section (the lines "${GENERATED_BEGIN}" and "${GENERATED_END}")`,
      {
        hint: 'Put the two marker lines back where the table belongs, then run npm run docs:frameworks.',
      },
    );
  }
  return next;
}
