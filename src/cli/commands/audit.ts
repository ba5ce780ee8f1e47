import { readPolicyFile } from '../../audit/policy-file.js';
import { FerryError } from '../../core/errors.js';
import { type AuditReport, audit, type Finding } from '../../ops/audit.js';
import { type Command, list, onePositional, str, usageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { openBundleForCommand } from '../open-for-command.js';
import { VERSION } from '../version.js';

const FORMATS = ['table', 'json', 'sarif'] as const;

export const auditCommand: Command = {
  name: 'audit',
  options: {
    advisories: { type: 'string' },
    format: { type: 'string' },
    ignore: { type: 'string', multiple: true },
    policy: { type: 'string' },
  },
  help: `Usage: ferry audit (BUNDLE | pylock.toml | STORE) --advisories FILE|DIR
                  [--format table|json|sarif] [--ignore ID ...] [--policy ferry-policy.toml]

Checks every package of a bundle (folder, .ferry.tar or its first volume), a pylock.toml or
an intranet index store (a folder with store.json: every project and version of its current
generation, in every index) against an OSV advisory snapshot, with no network: the PyPI all.zip that
\`ferry advisories fetch -o FILE\` downloads on the online side, a folder of OSV JSON files,
or one OSV JSON file. Each finding shows the advisory id and aliases (CVE), the severity,
the affected and fixed versions, and the path from a top-level requirement to the package
(a store's catalog records no dependencies, so its findings have no path).
With --policy, the policy's package rules are checked too (projects, licences, sdists,
release age) and its max-severity and exceptions decide which findings are accepted.

Options:
      --advisories PATH   the OSV snapshot (zip, folder or JSON file); required
      --format FORMAT     table (default, for people), json, or sarif (SARIF 2.1.0)
      --ignore ID         leave out this advisory (id or alias); repeatable
      --policy FILE       ferry-policy.toml (docs/audit.md); default: every finding refuses

Exit status: 0 nothing refused; 10 a finding or policy rule not accepted by the policy;
2 a bad snapshot, policy or argument.`,
  async run(args, out) {
    const subject = onePositional(args, 'audit', 'BUNDLE, pylock.toml or STORE');
    const advisories = str(args.values.advisories);
    if (advisories === undefined)
      throw usageError(
        'audit',
        'missing --advisories PATH (the OSV snapshot from `ferry advisories fetch`).',
      );
    const format = str(args.values.format) ?? 'table';
    if (!(FORMATS as readonly string[]).includes(format))
      throw usageError('audit', `--format "${format}" is not one of ${FORMATS.join(', ')}.`);
    const policyPath = str(args.values.policy);
    const policy = policyPath === undefined ? undefined : await readPolicyFile(policyPath);
    const report = await audit({
      subject,
      advisories,
      ignore: list(args.values.ignore),
      ...(policy === undefined ? {} : { policy }),
      open: openBundleForCommand,
      events: out.events,
    });
    if (format === 'json') process.stdout.write(`${JSON.stringify(report)}\n`);
    else if (format === 'sarif') process.stdout.write(`${JSON.stringify(toSarif(report))}\n`);
    else out.result(report, formatAuditTable(report));
    if (!report.refused) return EXIT.ok;
    const refused = report.findings.filter((f) => f.verdict === 'refused').length;
    throw new FerryError(
      'ERR_FERRY_FINDINGS',
      `${subject}: ${[
        refused > 0 ? `${refused} finding(s)` : '',
        report.violations.length > 0 ? `${report.violations.length} policy rule violation(s)` : '',
      ]
        .filter(Boolean)
        .join(' and ')} not accepted by ${report.policy}`,
      {
        hint: 'Upgrade to a fixed version, or accept a finding with an exception (id, reason, expires) in ferry-policy.toml; --ignore ID leaves one out of this run.',
        details: { findings: refused, violations: report.violations.length },
      },
    );
  },
};

const pad = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

const severityText = (f: Finding): string =>
  `${f.severity.level}${f.severity.score === undefined ? '' : ` ${f.severity.score.toFixed(1)}`}`;

export function formatAuditTable(report: AuditReport): string {
  const lines: string[] = [];
  const { subject, advisories } = report;
  lines.push(
    `audited ${subject.label} (${report.packages} packages) against ${advisories.count} advisories from ${advisories.source}${advisories.newest === undefined ? '' : ` (newest modified ${advisories.newest})`}; policy: ${report.policy}`,
  );
  if (report.findings.length === 0) lines.push('no known vulnerabilities found');
  else {
    const rows = [
      ['PACKAGE', 'VERSION', 'ID', 'ALIASES', 'SEVERITY', 'FIXED IN', 'VERDICT', 'PATH'],
    ];
    for (const f of report.findings)
      rows.push([
        f.package,
        f.version,
        f.id,
        f.aliases.join(',') || '-',
        severityText(f),
        f.fixedIn.join(',') || 'no fix',
        f.verdict,
        f.path.length === 0 ? '-' : f.path.join(' > '),
      ]);
    lines.push('', pad(rows));
    const details = report.findings.filter(
      (f) => f.note !== undefined || f.uncertain !== undefined,
    );
    if (details.length > 0) {
      lines.push('');
      for (const f of details)
        lines.push(
          `${f.id} (${f.package} ${f.version}): ${[f.note, f.uncertain].filter(Boolean).join('; ')}`,
        );
    }
  }
  if (report.violations.length > 0) {
    lines.push('', 'policy rule violations:');
    for (const v of report.violations)
      lines.push(`  [${v.rule}] ${v.message}`, `    fix: ${v.fix}`);
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

const sarifLevel = (f: Finding): 'error' | 'note' => (f.verdict === 'refused' ? 'error' : 'note');

/** SARIF 2.1.0 (OASIS): one rule per advisory, one result per finding and policy violation. */
export function toSarif(report: AuditReport): Record<string, unknown> {
  const location =
    report.subject.kind === 'lock'
      ? report.subject.label
      : report.subject.kind === 'store'
        ? 'catalog.json'
        : 'manifest.json';
  const rules = new Map<string, Record<string, unknown>>();
  for (const f of report.findings)
    if (!rules.has(f.id))
      rules.set(f.id, {
        id: f.id,
        name: f.id,
        shortDescription: { text: f.summary || f.id },
        ...(f.references[0] === undefined ? {} : { helpUri: f.references[0] }),
        properties: {
          aliases: f.aliases,
          severity: f.severity.level,
          ...(f.severity.score === undefined
            ? {}
            : { 'security-severity': f.severity.score.toFixed(1) }),
          tags: ['security', 'vulnerability'],
        },
      });
  for (const v of report.violations)
    if (!rules.has(`policy/${v.rule}`))
      rules.set(`policy/${v.rule}`, {
        id: `policy/${v.rule}`,
        name: v.rule,
        shortDescription: { text: `ferry-policy.toml rule ${v.rule}` },
      });
  const results = [
    ...report.findings.map((f) => ({
      ruleId: f.id,
      level: sarifLevel(f),
      message: {
        text: `${f.package} ${f.version} is affected by ${f.id}${f.aliases.length > 0 ? ` (${f.aliases.join(', ')})` : ''}: ${f.summary || 'no summary'}. Affected: ${f.affected.join('; ')}. Fixed in: ${f.fixedIn.join(', ') || 'no fix known'}. ${f.path.length === 0 ? 'Path: none (a store records no dependencies).' : `Path: ${f.path.join(' > ')}.`}`,
      },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: location } },
          logicalLocations: [{ name: `${f.package}==${f.version}`, kind: 'package' }],
        },
      ],
      ...(f.verdict === 'refused'
        ? {}
        : { suppressions: [{ kind: 'external', justification: f.note ?? f.verdict }] }),
      properties: { package: f.package, version: f.version, fixedIn: f.fixedIn, path: f.path },
    })),
    ...report.violations.map((v) => ({
      ruleId: `policy/${v.rule}`,
      level: 'error',
      message: { text: `${v.message}. Fix: ${v.fix}` },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: location } },
          ...(v.package === undefined
            ? {}
            : { logicalLocations: [{ name: v.package, kind: 'package' }] }),
        },
      ],
    })),
  ];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'ferry',
            version: VERSION,
            rules: [...rules.values()],
          },
        },
        results,
      },
    ],
  };
}
