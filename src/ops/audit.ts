/**
 * The audit use case, fully offline: a bundle (folder, archive or volumes), a pylock.toml or
 * an intranet index store (its current generation), matched against an OSV snapshot on disk,
 * each finding with the path from a top-level requirement that brings the package in (a
 * store's catalog has no dependency graph, so its findings have none), judged by the policy
 * (ferry-policy.toml, or the default: every finding refuses). What is audited is read by
 * ./audit-subject.ts (shared with `ferry why` and `ferry report`); the snapshot is fetched by
 * ./advisories.ts.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Licence } from '../audit/licences.js';
import type { AdvisoryMatch } from '../audit/osv.js';
import { type DependencyGraph, normalizeLoose, shortestPath } from '../audit/paths.js';
import {
  checkPackages,
  DEFAULT_POLICY,
  judgeFinding,
  type Policy,
  type PolicyPackage,
  policyRefusal,
  type Violation,
} from '../audit/policy.js';
import type { Severity } from '../audit/severity.js';
import { type AdvisorySnapshot, readAdvisorySnapshot } from '../audit/snapshot.js';
import type { Locked } from '../bundle/locked.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { STORE_FILES } from '../server/store/layout.js';
import { openIndexStore } from '../server/store/store.js';
import { loadSubject, policyPackages, type SubjectPackage, wheelLicence } from './audit-subject.js';
import type { OpenBundle } from './open.js';

export interface Finding {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly severity: Severity;
  readonly package: string;
  readonly version: string;
  /** The advisory's ranges the version falls in (">=1.0, <1.2"), or "==1.1" from its list. */
  readonly affected: readonly string[];
  /** Versions that fix it, above the one in the lock; empty when no fix is known. */
  readonly fixedIn: readonly string[];
  /** From a top-level requirement to the package; empty for a store (its catalog has no graph). */
  readonly path: readonly string[];
  readonly references: readonly string[];
  readonly uncertain?: string;
  /** refused: the policy does not accept it; accepted: an exception or max-severity does; ignored: --ignore. */
  readonly verdict: 'refused' | 'accepted' | 'ignored';
  readonly rule?: string;
  readonly note?: string;
}

export interface AuditReport {
  readonly subject: { readonly kind: 'bundle' | 'lock' | 'store'; readonly label: string };
  readonly advisories: {
    readonly source: string;
    readonly count: number;
    readonly skipped: number;
    readonly newest?: string;
  };
  readonly policy: string;
  readonly packages: number;
  readonly findings: readonly Finding[];
  /** Package rules the policy refuses (projects, licences, sdists, release age). */
  readonly violations: readonly Violation[];
  /** Things a reader should know (rules that could not be checked, expired exceptions). */
  readonly notes: readonly string[];
  /** True when a finding or a violation is not accepted: the command exits 10. */
  readonly refused: boolean;
}

export interface AuditRequest {
  /** A bundle (folder, archive, volumes), a pylock.toml or an index store's folder. */
  readonly subject: string;
  /** An OSV snapshot: the PyPI all.zip, a folder of JSON files, or one JSON file. */
  readonly advisories: string;
  /** Advisory ids (or aliases) to leave out, as pip-audit's --ignore-vuln. */
  readonly ignore?: readonly string[];
  readonly policy?: Policy;
  /** The clock, for exception expiry and release age. */
  readonly now?: Date;
  readonly open?: OpenBundle;
  readonly events?: EventSink;
}

/**
 * Findings for every package of a subject against a snapshot (shared with report). Without a
 * graph (an index store) a finding has no path.
 */
export function findingsFor(
  subject: {
    readonly packages: readonly Pick<SubjectPackage, 'name' | 'version'>[];
    readonly graph?: DependencyGraph;
  },
  match: (name: string, version: string) => AdvisoryMatch[],
  policy: Policy,
  now: Date,
  ignore: readonly string[] = [],
): Finding[] {
  const ignored = new Set(ignore.map((i) => i.toUpperCase()));
  const out: Finding[] = [];
  for (const p of subject.packages) {
    for (const m of match(p.name, p.version)) {
      const a = m.advisory;
      const base = {
        id: a.id,
        aliases: a.aliases,
        summary: a.summary,
        severity: a.severity,
        package: p.name,
        version: p.version,
        affected: m.affectedRanges,
        fixedIn: m.fixedIn,
        path: subject.graph === undefined ? [] : (shortestPath(subject.graph, p.name) ?? [p.name]),
        references: a.references,
        ...(m.uncertain === undefined ? {} : { uncertain: m.uncertain }),
      };
      if ([a.id, ...a.aliases].some((x) => ignored.has(x.toUpperCase()))) {
        out.push({ ...base, verdict: 'ignored', note: 'left out with --ignore' });
        continue;
      }
      const v = judgeFinding(
        policy,
        { id: a.id, aliases: a.aliases, level: a.severity.level, package: p.name },
        now,
      );
      out.push({
        ...base,
        verdict: v.verdict,
        rule: v.rule,
        ...(v.note === undefined ? {} : { note: v.note }),
      });
    }
  }
  return out.sort(
    (x, y) => x.package.localeCompare(y.package) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
}

/** A folder holding store.json: an intranet index store (src/server/store). */
const isStore = async (path: string): Promise<boolean> =>
  (await stat(join(path, STORE_FILES.config)).catch(() => undefined))?.isFile() === true;

/**
 * The projects and versions of a store's current generation, every index together (a version
 * in two indexes counts once). Its catalog says which files the store serves, not what
 * depends on what, and it reads no wheel: licences and release ages are not judged here.
 */
async function storePackages(path: string): Promise<{
  label: string;
  packages: SubjectPackage[];
}> {
  const store = await openIndexStore(path);
  const { catalog, generation } = await store.current();
  const packages = new Map<string, SubjectPackage & { files: SubjectPackage['files'] }>();
  for (const index of Object.keys(catalog.indexes).sort())
    for (const project of Object.values(catalog.indexes[index]!.projects))
      for (const file of project.files) {
        const key = `${normalizeLoose(project.name)} ${file.version}`;
        const have = packages.get(key);
        const entry = {
          filename: file.filename,
          sha256: file.sha256,
          size: file.size,
          url: file.url,
          index,
          sdist: !file.filename.endsWith('.whl'),
        };
        if (have === undefined)
          packages.set(key, {
            name: project.name,
            version: file.version,
            dependencies: [],
            files: [entry],
          });
        else if (!have.files.some((f) => f.sha256 === file.sha256))
          packages.set(key, { ...have, files: [...have.files, entry] });
      }
  return {
    label: `${path} (generation ${generation})`,
    packages: [...packages.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
    ),
  };
}

async function auditStore(
  request: AuditRequest,
  snapshot: AdvisorySnapshot,
  policy: Policy,
  now: Date,
): Promise<AuditReport> {
  const { label, packages } = await storePackages(request.subject);
  const findings = findingsFor({ packages }, (n, v) => snapshot.index.match(n, v), policy, now, [
    ...(request.ignore ?? []),
  ]);
  // 'install': no release age (the catalog records when a file entered the store, not when it
  // was released); no licence either (none is read from the catalog).
  const violations = checkPackages(
    policy,
    packages.map((p) => ({
      name: p.name,
      version: p.version,
      hasSdist: p.files.some((f) => f.sdist),
      uploadTimes: [],
    })),
    { now, stage: 'install' },
  );
  const notes = [
    'a store has no dependency graph (its catalog lists projects, versions and files), so findings show no path; ferry audit the bundle or its pylock.toml for paths',
  ];
  if (policy.licenses.allow !== undefined)
    notes.push('licenses.allow was not checked: the store is audited from its catalog');
  if (policy.files.minReleaseAgeDays !== undefined)
    notes.push(
      'files.min-release-age-days was not checked: the catalog records when files entered the store, not when they were released',
    );
  notes.push(...expiredExceptions(findings, request.events));
  return {
    subject: { kind: 'store', label },
    advisories: snapshotSummary(snapshot),
    policy: policy.source ?? 'default (every finding refuses)',
    packages: packages.length,
    findings,
    violations,
    notes,
    refused: violations.length > 0 || findings.some((f) => f.verdict === 'refused'),
  };
}

/** Exceptions in the policy that have expired: a note each, and a warning event. */
function expiredExceptions(findings: readonly Finding[], events: EventSink | undefined): string[] {
  const notes: string[] = [];
  for (const f of findings)
    if (f.note?.includes('expired') === true) {
      notes.push(`${f.id} (${f.package}): ${f.note}`);
      events?.({
        type: 'warning',
        code: 'W_FERRY_EXCEPTION_EXPIRED',
        message: `${f.id}: ${f.note}`,
      });
    }
  return notes;
}

/** What the report says of the advisory snapshot it was checked against. */
const snapshotSummary = (snapshot: AdvisorySnapshot): AuditReport['advisories'] => ({
  source: snapshot.source,
  count: snapshot.advisories,
  skipped: snapshot.skipped,
  ...(snapshot.newest === undefined ? {} : { newest: snapshot.newest }),
});

export async function audit(request: AuditRequest): Promise<AuditReport> {
  const now = request.now ?? new Date();
  const policy = request.policy ?? DEFAULT_POLICY;
  // The snapshot first: a wrong path is reported before an archive is unpacked.
  const snapshot = await readAdvisorySnapshot(request.advisories);
  if (snapshot.skipped > 0)
    request.events?.({
      type: 'warning',
      code: 'W_FERRY_ADVISORY_SKIPPED',
      message: `${snapshot.skipped} file(s) in ${snapshot.source} are not OSV records and were skipped (e.g. ${snapshot.skippedExamples.join(', ')})`,
    });
  if (await isStore(request.subject)) return auditStore(request, snapshot, policy, now);
  const subject = await loadSubject(request.subject, {
    ...(request.open === undefined ? {} : { open: request.open }),
  });
  try {
    const findings = findingsFor(
      subject,
      (n, v) => snapshot.index.match(n, v),
      policy,
      now,
      request.ignore,
    );
    const violations = checkPackages(policy, policyPackages(subject), { now, stage: 'audit' });
    const notes: string[] = [];
    if (subject.kind === 'lock' && policy.licenses.allow !== undefined)
      notes.push(
        'licenses.allow was not checked: a pylock.toml carries no licences; audit the bundle for them',
      );
    notes.push(...expiredExceptions(findings, request.events));
    return {
      subject: { kind: subject.kind, label: subject.label },
      advisories: snapshotSummary(snapshot),
      policy: policy.source ?? 'default (every finding refuses)',
      packages: subject.packages.length,
      findings,
      violations,
      notes,
      refused: violations.length > 0 || findings.some((f) => f.verdict === 'refused'),
    };
  } finally {
    await subject.cleanup();
  }
}

/**
 * `ferry bundle --policy`, before anything is downloaded: projects, sdists and release age
 * from the lock (licences need the wheels: enforceLicencePolicy, after the download).
 */
export function enforcePolicyOnLock(policy: Policy, locked: Locked, now: Date = new Date()): void {
  const packages = locked.packages.map((p) => ({
    name: p.name,
    version: p.version,
    hasSdist: p.files.some((f) => !f.filename.endsWith('.whl')),
    uploadTimes: p.files.map((f) => f.uploadTime),
  }));
  const violations = checkPackages(policy, packages, { now, stage: 'bundle' });
  if (violations.length > 0) throw policyRefusal(policy, violations, 'the lock');
}

/** The licence rule on downloaded files (`path`: where each one is now, e.g. in the cache). */
export async function enforceLicencePolicy(
  policy: Policy,
  files: readonly {
    readonly name: string;
    readonly version: string;
    readonly filename: string;
    readonly path: string;
  }[],
): Promise<void> {
  if (policy.licenses.allow === undefined) return;
  const byPackage = new Map<string, PolicyPackage>();
  for (const f of files) {
    const key = `${normalizeLoose(f.name)} ${f.version}`;
    if (byPackage.has(key)) continue;
    const licence: Licence = f.filename.endsWith('.whl')
      ? await wheelLicence(f.path)
      : { source: 'none', declared: 'a source distribution (its metadata is not read)' };
    byPackage.set(key, {
      name: f.name,
      version: f.version,
      licence,
      hasSdist: false,
      uploadTimes: [],
    });
  }
  const licencesOnly: Policy = {
    ...DEFAULT_POLICY,
    licenses: policy.licenses,
    ...(policy.source === undefined ? {} : { source: policy.source }),
  };
  const violations = checkPackages(licencesOnly, [...byPackage.values()], {
    now: new Date(0),
    stage: 'install',
  });
  if (violations.length > 0) throw policyRefusal(policy, violations, 'the bundle');
}

/**
 * `ferry install --policy` and `ferry import --policy`, on the opened (verified) bundle:
 * projects, licences and sdists. At install a release's age is not checked (it only grows
 * older, so it was the bundle's concern); at import it is (stage 'audit'), from the upload
 * times in the bundle's own pylock.toml, since the bundle may have been made without a policy.
 */
export async function enforcePolicyOnBundle(
  policy: Policy,
  dir: string,
  label: string,
  options: { readonly stage?: 'install' | 'audit'; readonly now?: Date } = {},
): Promise<void> {
  const subject = await loadSubject(dir, {
    open: async () => ({ dir, label, cleanup: async () => undefined }),
  });
  const violations = checkPackages(policy, policyPackages(subject), {
    now: options.now ?? new Date(),
    stage: options.stage ?? 'install',
  });
  if (violations.length > 0) throw policyRefusal(policy, violations, label);
}

/** The signers rule: the policy's count raises --require-signers; --allow-unsigned is refused. */
export function signersUnderPolicy(
  policy: Policy | undefined,
  requested: { readonly requireSigners: number; readonly allowUnsigned: boolean },
  label: string,
): number {
  const required = policy?.signatures.requiredSigners;
  if (policy === undefined || required === undefined) return requested.requireSigners;
  if (requested.allowUnsigned)
    throw policyRefusal(
      policy,
      [
        {
          rule: 'signatures.required-signers',
          message: `${label}: --allow-unsigned checks no signature, and ${policy.source ?? 'the policy'} asks for ${required} trusted signer(s)`,
          fix: `Give the signers' keys with --trusted-key instead of --allow-unsigned, or remove signatures.required-signers.`,
        },
      ],
      label,
    );
  return Math.max(required, requested.requireSigners);
}

/** A too-few-signers refusal from verify, restated as the policy rule that asked for them. */
export function signerRefusal(policy: Policy | undefined, error: unknown, label: string): unknown {
  const required = policy?.signatures.requiredSigners;
  if (
    policy === undefined ||
    required === undefined ||
    !(error instanceof FerryError) ||
    error.code !== 'ERR_FERRY_UNTRUSTED' ||
    !/ required trusted signer/.test(error.message)
  )
    return error;
  return policyRefusal(
    policy,
    [
      {
        rule: 'signatures.required-signers',
        package: label,
        message: `${error.message}; ${policy.source ?? 'the policy'} asks for ${required}`,
        fix: `Have another trusted key countersign (ferry sign BUNDLE --key reviewer.key) and name it with --trusted-key, or lower signatures.required-signers.`,
      },
    ],
    label,
  );
}
