/**
 * `ferry report`: one self-contained HTML page for the people who review a bundle before it
 * crosses: every package (version, licence, size, hashes, index, built from source or not),
 * the advisory findings, the signatures so far, what was trimmed (when the manifest records
 * it), the difference from the previous bundle, and a picture of where the bytes go. No
 * script, font, stylesheet or image is loaded from anywhere: the page is read on machines
 * with no network, and a reviewer must be able to trust what it shows without running code.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { licenceText } from '../audit/licences.js';
import { normalizeLoose, shortestPath } from '../audit/paths.js';
import { DEFAULT_POLICY, type Policy } from '../audit/policy.js';
import { readAdvisorySnapshot } from '../audit/snapshot.js';
import { FerryError } from '../core/errors.js';
import { formatBytes } from '../core/format-bytes.js';
import { escapeHtml } from '../core/html.js';
import { compareVersions, tryParseVersion } from '../standards/version.js';
import { type Finding, findingsFor } from './audit.js';
import { loadSubject, type Signer, type SubjectFile } from './audit-subject.js';
import type { OpenBundle } from './open.js';

export interface ReportPackage {
  readonly name: string;
  readonly version: string;
  readonly licence: string;
  readonly licenceSource: string;
  readonly licenceDeclared?: string;
  readonly size: number;
  readonly files: readonly SubjectFile[];
  readonly fromSource: boolean;
  readonly path: readonly string[];
}

export interface Exclusion {
  readonly what: string;
  readonly reason: string;
}

export interface NameVersion {
  readonly name: string;
  readonly version: string;
}

export interface VersionChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

export interface BundleDiff {
  readonly previous: string;
  readonly added: readonly NameVersion[];
  readonly removed: readonly NameVersion[];
  readonly upgraded: readonly VersionChange[];
  readonly downgraded: readonly VersionChange[];
}

export interface ReportData {
  readonly bundle: string;
  readonly tool: string;
  readonly createdAt: string;
  readonly targets: readonly string[];
  readonly requirements: readonly string[];
  readonly packages: readonly ReportPackage[];
  readonly totalSize: number;
  readonly signers: readonly Signer[];
  /** Present when --advisories was given. */
  readonly advisories?: {
    readonly source: string;
    readonly count: number;
    readonly newest?: string;
    readonly findings: readonly Finding[];
  };
  /** Present when the manifest records what was left out. */
  readonly exclusions?: readonly Exclusion[];
  readonly diff?: BundleDiff;
}

export interface ReportRequest {
  readonly bundle: string;
  readonly advisories?: string;
  readonly previous?: string;
  readonly policy?: Policy;
  readonly now?: Date;
  readonly open?: OpenBundle;
}

/**
 * What the manifest says was trimmed, when it says so: `exclusions: [{path|name, reason}]`, and
 * the requirements put in place of others, `overrides: [{requirement, reason}]` (docs/trimming.md).
 */
function exclusionsOf(raw: unknown): Exclusion[] | undefined {
  const record = raw as { exclusions?: unknown; overrides?: unknown } | null;
  const tables = (list: unknown): Record<string, unknown>[] =>
    Array.isArray(list)
      ? list.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      : [];
  if (!Array.isArray(record?.exclusions) && !Array.isArray(record?.overrides)) return undefined;
  return [
    ...tables(record?.exclusions).map((e) => ({
      what: String(e.path ?? e.name ?? e.file ?? '?'),
      reason: String(e.reason ?? ''),
    })),
    ...tables(record?.overrides).map((o) => ({
      what: `${String(o.requirement ?? '?')} (override)`,
      reason: String(o.reason ?? ''),
    })),
  ];
}

export async function buildReport(request: ReportRequest): Promise<ReportData> {
  const snapshot =
    request.advisories === undefined ? undefined : await readAdvisorySnapshot(request.advisories);
  const open = request.open === undefined ? {} : { open: request.open };
  const subject = await loadSubject(request.bundle, open);
  try {
    if (subject.kind !== 'bundle' || subject.manifest === undefined || subject.dir === undefined)
      throw new FerryError(
        'ERR_FERRY_NOT_A_BUNDLE',
        `"${request.bundle}" is a lock, not a bundle: a report describes a bundle's files`,
        {
          hint: 'Give the folder ferry bundle wrote, or its .ferry.tar; ferry audit reads a lock.',
        },
      );
    const manifest = subject.manifest;
    const raw = JSON.parse(await readFile(join(subject.dir, 'manifest.json'), 'utf8')) as unknown;
    const exclusions = exclusionsOf(raw);
    const packages = subject.packages
      .map(
        (p): ReportPackage => ({
          name: p.name,
          version: p.version,
          licence: licenceText(p.licence),
          licenceSource: p.licence?.source ?? 'none',
          ...(p.licence?.declared === undefined ? {} : { licenceDeclared: p.licence.declared }),
          size: p.files.reduce((s, f) => s + (f.size ?? 0), 0),
          files: p.files,
          fromSource: p.files.some((f) => f.sdist),
          path: shortestPath(subject.graph, p.name) ?? [p.name],
        }),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
    let diff: BundleDiff | undefined;
    if (request.previous !== undefined) {
      const old = await loadSubject(request.previous, { ...open, licences: false });
      try {
        diff = diffPackages(old.label, old.packages, subject.packages);
      } finally {
        await old.cleanup();
      }
    }
    const findings =
      snapshot === undefined
        ? undefined
        : findingsFor(
            subject,
            (n, v) => snapshot.index.match(n, v),
            request.policy ?? DEFAULT_POLICY,
            request.now ?? new Date(),
          );
    return {
      bundle: subject.label,
      tool: manifest.tool,
      createdAt: manifest.createdAt,
      targets: manifest.targets.map((t) => t.platform),
      requirements: manifest.requirements,
      packages,
      totalSize: packages.reduce((s, p) => s + p.size, 0),
      signers: subject.signers ?? [],
      ...(snapshot === undefined || findings === undefined
        ? {}
        : {
            advisories: {
              source: snapshot.source,
              count: snapshot.advisories,
              ...(snapshot.newest === undefined ? {} : { newest: snapshot.newest }),
              findings,
            },
          }),
      ...(exclusions === undefined ? {} : { exclusions }),
      ...(diff === undefined ? {} : { diff }),
    };
  } finally {
    await subject.cleanup();
  }
}

/** Added, removed, upgraded and downgraded packages (PEP 440 order), by normalized name. */
export function diffPackages(
  previous: string,
  before: readonly NameVersion[],
  after: readonly NameVersion[],
): BundleDiff {
  const old = new Map(before.map((p) => [normalizeLoose(p.name), p]));
  const now = new Map(after.map((p) => [normalizeLoose(p.name), p]));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const changed = [...now]
    .filter(([k, p]) => old.has(k) && old.get(k)!.version !== p.version)
    .map(([k, p]) => ({ name: p.name, from: old.get(k)!.version, to: p.version }));
  const newer = (c: VersionChange): boolean =>
    tryParseVersion(c.to) !== undefined && tryParseVersion(c.from) !== undefined
      ? compareVersions(c.to, c.from) > 0
      : c.to > c.from;
  return {
    previous,
    added: [...now]
      .filter(([k]) => !old.has(k))
      .map(([, p]) => ({ name: p.name, version: p.version }))
      .sort(byName),
    removed: [...old]
      .filter(([k]) => !now.has(k))
      .map(([, p]) => ({ name: p.name, version: p.version }))
      .sort(byName),
    upgraded: changed.filter(newer).sort(byName),
    downgraded: changed.filter((c) => !newer(c)).sort(byName),
  };
}

// ---- HTML ---------------------------------------------------------------------------------

export { formatBytes };

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.sev-critical,.sev-high,.sev-unknown{color:#b3261e;font-weight:600}.sev-medium{color:#9a6700;font-weight:600}.sev-low,.sev-none{color:#57606a}
.verdict-refused{color:#b3261e;font-weight:600}.verdict-accepted,.verdict-ignored{color:#57606a}
.summary{display:flex;gap:1.5rem;flex-wrap:wrap}.summary div{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem}
.summary b{display:block;font-size:1.3rem}.muted{color:#57606a}.ok{color:#1a7f37;font-weight:600}
`;

function table(headers: string[], rows: string[][], id?: string): string {
  return `<table${id === undefined ? '' : ` id="${id}"`}><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Horizontal bars, largest first; the long tail folded into one bar. */
function sizeChart(packages: readonly ReportPackage[], total: number): string {
  const sorted = [...packages].sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
  const shown = sorted.slice(0, 25);
  const rest = sorted.slice(25);
  const bars = [
    ...shown.map((p) => ({ label: `${p.name} ${p.version}`, size: p.size })),
    ...(rest.length === 0
      ? []
      : [
          {
            label: `${rest.length} more packages`,
            size: rest.reduce((s, p) => s + p.size, 0),
          },
        ]),
  ];
  const max = Math.max(1, ...bars.map((b) => b.size));
  const rowHeight = 22;
  const labelWidth = 300;
  const barWidth = 600;
  const height = bars.length * rowHeight + 10;
  const rows = bars
    .map((b, i) => {
      const y = i * rowHeight + 5;
      const w = Math.max(1, Math.round((b.size / max) * barWidth));
      const share = total === 0 ? 0 : (b.size / total) * 100;
      return `<g><title>${escapeHtml(`${b.label}: ${formatBytes(b.size)} (${share.toFixed(1)}%)`)}</title><text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" font-size="12">${escapeHtml(b.label)}</text><rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${rowHeight - 6}" fill="#0969da"></rect><text x="${labelWidth + w + 6}" y="${y + 15}" font-size="12">${escapeHtml(`${formatBytes(b.size)} · ${share.toFixed(1)}%`)}</text></g>`;
    })
    .join('');
  return `<svg id="size-chart" role="img" aria-label="Size of each package, largest first" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 160}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 160} ${height}" font-family="system-ui,sans-serif">${rows}</svg>`;
}

export function renderReportHtml(data: ReportData): string {
  const e = escapeHtml;
  const findings = data.advisories?.findings ?? [];
  const refused = findings.filter((f) => f.verdict === 'refused').length;
  const fromSource = data.packages.filter((p) => p.fromSource);
  const sections: string[] = [];

  sections.push(`<h1>Review of ${e(data.bundle)}</h1>
<p class="muted">Written by ${e(data.tool)} on ${e(data.createdAt)} for ${e(data.targets.join('; ') || 'no target recorded')}. Requirements: <code>${e(data.requirements.join(', ') || '(none)')}</code>.</p>
<div class="summary" id="summary">
<div><b>${data.packages.length}</b>packages</div>
<div><b>${e(formatBytes(data.totalSize))}</b>in all</div>
<div><b>${fromSource.length}</b>built from source</div>
<div><b>${data.advisories === undefined ? '–' : refused}</b>${data.advisories === undefined ? 'advisories not checked' : 'findings refused'}</div>
<div><b>${data.signers.length}</b>signatures</div>
</div>`);

  sections.push(
    `<h2 id="findings-title">Findings</h2>${
      data.advisories === undefined
        ? '<p class="muted">No advisory snapshot was given (<code>ferry report --advisories FILE</code>).</p>'
        : `<p class="muted">${data.advisories.count} advisories from <code>${e(data.advisories.source)}</code>${data.advisories.newest === undefined ? '' : `, newest modified ${e(data.advisories.newest)}`}.</p>${
            findings.length === 0
              ? '<p class="ok">No known vulnerabilities found.</p>'
              : table(
                  [
                    'Package',
                    'Advisory',
                    'Aliases',
                    'Severity',
                    'Affected',
                    'Fixed in',
                    'Verdict',
                    'Path',
                    'Summary',
                  ],
                  findings.map((f) => [
                    e(`${f.package} ${f.version}`),
                    f.references[0] === undefined
                      ? e(f.id)
                      : `<a href="${e(f.references[0])}" rel="noreferrer">${e(f.id)}</a>`,
                    e(f.aliases.join(', ') || '–'),
                    `<span class="sev-${e(f.severity.level)}">${e(f.severity.level)}${f.severity.score === undefined ? '' : ` ${f.severity.score.toFixed(1)}`}</span>`,
                    e(f.affected.join('; ')),
                    e(f.fixedIn.join(', ') || 'no fix known'),
                    `<span class="verdict-${f.verdict}">${e(f.verdict)}</span>${f.note === undefined ? '' : `<br><span class="muted">${e(f.note)}</span>`}`,
                    e(f.path.join(' › ')),
                    e(f.summary),
                  ]),
                  'findings',
                )
          }`
    }`,
  );

  sections.push(
    `<h2>Signatures so far</h2>${
      data.signers.length === 0
        ? '<p id="signers">No signatures yet.</p>'
        : table(
            ['Key id', 'Algorithm', 'Trusted comment', 'File'],
            data.signers.map((s) => [
              `<code>${e(s.keyId)}</code>`,
              e(s.algorithm),
              e(s.comment ?? ''),
              `<code>signatures/${e(s.file)}</code>`,
            ]),
            'signers',
          )
    }<p class="muted">Listed, not verified here: <code>ferry verify BUNDLE --trusted-key KEY</code> checks them against keys you trust.</p>`,
  );

  if (data.diff !== undefined) {
    const d = data.diff;
    const list = (items: string[]): string =>
      items.length === 0 ? '<span class="muted">none</span>' : items.map(e).join(', ');
    sections.push(`<h2>Changes since ${e(d.previous)}</h2>
<table id="diff"><tbody>
<tr><th>Added</th><td>${list(d.added.map((p) => `${p.name} ${p.version}`))}</td></tr>
<tr><th>Removed</th><td>${list(d.removed.map((p) => `${p.name} ${p.version}`))}</td></tr>
<tr><th>Upgraded</th><td>${list(d.upgraded.map((p) => `${p.name} ${p.from} → ${p.to}`))}</td></tr>
<tr><th>Downgraded</th><td>${list(d.downgraded.map((p) => `${p.name} ${p.from} → ${p.to}`))}</td></tr>
</tbody></table>`);
  }

  if (data.exclusions !== undefined)
    sections.push(
      `<h2>Trimmed</h2>${table(
        ['Left out', 'Why'],
        data.exclusions.map((x) => [`<code>${e(x.what)}</code>`, e(x.reason)]),
        'exclusions',
      )}`,
    );

  sections.push(
    `<h2>Size</h2><p class="muted">Largest first; ${e(formatBytes(data.totalSize))} in all.</p>${sizeChart(data.packages, data.totalSize)}`,
  );

  sections.push(
    `<h2>Packages</h2>${table(
      [
        'Package',
        'Version',
        'Licence',
        'Size',
        'Files (SHA-256)',
        'Index',
        'Built from source',
        'Required through',
      ],
      data.packages.map((p) => [
        e(p.name),
        e(p.version),
        `${e(p.licence)}<br><span class="muted">${e(
          p.licence === 'unknown'
            ? p.licenceDeclared === undefined
              ? 'nothing declared'
              : `declared: ${p.licenceDeclared}`
            : `from ${p.licenceSource}`,
        )}</span>`,
        e(formatBytes(p.size)),
        p.files
          .map(
            (f) =>
              `<code>${e(f.filename)}</code><br><span class="hash">${e(f.sha256 ?? '')}</span>`,
          )
          .join('<br>'),
        e([...new Set(p.files.map((f) => f.index ?? ''))].join(', ')),
        p.fromSource ? '<b>yes</b> (sdist)' : 'no',
        e(p.path.join(' › ')),
      ]),
      'packages',
    )}`,
  );

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ferry review: ${e(data.bundle)}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}
