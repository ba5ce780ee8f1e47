/**
 * The audit use case, fully offline: a bundle (folder, archive or volumes) or a pylock.toml,
 * matched against an OSV snapshot on disk, each finding with the path from a top-level
 * requirement that brings the package in, judged by the policy (ferry-policy.toml, or the
 * default: every finding refuses). `loadSubject` is shared with `ferry why` and `ferry report`.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Licence, licenceFromMetadata } from '../audit/licences.js';
import type { AdvisoryMatch } from '../audit/osv.js';
import { buildGraph, type DependencyGraph, normalizeLoose, shortestPath } from '../audit/paths.js';
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
import { readAdvisorySnapshot } from '../audit/snapshot.js';
import type { Locked } from '../bundle/locked.js';
import { type Manifest, parseManifest } from '../bundle/manifest.js';
import { type PylockFile, parsePylock } from '../bundle/pylock.js';
import { AtomicFile } from '../core/atomic-write.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import { readWheelMetadata } from '../index/wheel-metadata.js';
import { netRequest } from '../net/request.js';
import type { NetSettings } from '../net/settings.js';
import { parseCoreMetadata } from '../standards/metadata.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

export interface SubjectFile {
  readonly filename: string;
  readonly sha256?: string;
  readonly size?: number;
  readonly url?: string;
  readonly index?: string;
  readonly uploadTime?: string;
  /** A source distribution: pip builds it on the target. */
  readonly sdist: boolean;
}

export interface SubjectPackage {
  readonly name: string;
  readonly version: string;
  readonly dependencies: readonly string[];
  readonly files: readonly SubjectFile[];
  /** Read from the wheel's METADATA; undefined for a lock (no wheels at hand). */
  readonly licence?: Licence;
}

export interface Signer {
  readonly file: string;
  readonly keyId: string;
  readonly algorithm: 'Ed25519 (minisign)' | 'SM2';
  /** minisign's trusted comment (signed, so it says what the signer wrote). */
  readonly comment?: string;
}

export interface Subject {
  readonly kind: 'bundle' | 'lock';
  /** As the user named it. */
  readonly label: string;
  readonly requirements: readonly string[];
  readonly packages: readonly SubjectPackage[];
  readonly graph: DependencyGraph;
  /** A bundle's manifest and its folder (valid until cleanup). */
  readonly manifest?: Manifest;
  readonly dir?: string;
  /** Signature files present in a bundle (not verified here: `ferry verify` does that). */
  readonly signers?: readonly Signer[];
  cleanup(): Promise<void>;
}

const isLockPath = async (path: string): Promise<boolean> =>
  path.endsWith('.toml') && (await stat(path).catch(() => undefined))?.isFile() === true;

function packagesFromPylock(lock: PylockFile): SubjectPackage[] {
  return lock.packages.map((p) => {
    const file = (
      d: {
        name: string;
        hashes: Readonly<Record<string, string>>;
        size?: number;
        url?: string;
        path?: string;
        uploadTime?: string;
      },
      sdist: boolean,
    ): SubjectFile => ({
      filename: d.name,
      sdist,
      ...(d.hashes.sha256 === undefined ? {} : { sha256: d.hashes.sha256 }),
      ...(d.size === undefined ? {} : { size: d.size }),
      ...(d.url === undefined ? {} : { url: d.url }),
      ...(p.index === undefined ? {} : { index: p.index }),
      ...(d.uploadTime === undefined ? {} : { uploadTime: d.uploadTime }),
    });
    return {
      name: p.name,
      version: p.version ?? '',
      dependencies: (p.dependencies ?? []).map((d) => String(d.name)),
      files: [
        ...(p.wheels ?? []).map((w) => file(w, false)),
        ...(p.sdist === undefined ? [] : [file(p.sdist, true)]),
      ],
    };
  });
}

const ferryRequirements = (lock: PylockFile): string[] => {
  const r = (lock.tool?.ferry as Record<string, unknown> | undefined)?.requirements;
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
};

async function wheelLicence(path: string): Promise<Licence> {
  try {
    return licenceFromMetadata(parseCoreMetadata(await readWheelMetadata(path), path));
  } catch {
    return { source: 'none' };
  }
}

async function readSigners(dir: string): Promise<Signer[]> {
  const names = await readdir(join(dir, 'signatures')).catch(() => [] as string[]);
  const out: Signer[] = [];
  for (const file of names.sort()) {
    const ed = /^([0-9A-F]{16})\.minisig$/.exec(file);
    const sm2 = /^([0-9a-fA-F]+)\.sm2\.sig$/.exec(file);
    if (ed !== null) {
      const text = await readFile(join(dir, 'signatures', file), 'utf8').catch(() => '');
      const comment = /^trusted comment: (.*)$/m.exec(text)?.[1];
      out.push({
        file,
        keyId: ed[1]!,
        algorithm: 'Ed25519 (minisign)',
        ...(comment === undefined ? {} : { comment }),
      });
    } else if (sm2 !== null) out.push({ file, keyId: sm2[1]!, algorithm: 'SM2' });
  }
  return out;
}

/**
 * Opens what `ferry audit`, `why` and `report` read: a pylock.toml, or a bundle (its
 * manifest, its own pylock.toml for upload times, and each wheel's METADATA for licences).
 */
export async function loadSubject(
  path: string,
  options: { readonly open?: OpenBundle; readonly licences?: boolean } = {},
): Promise<Subject> {
  if (await isLockPath(path)) {
    const lock = parsePylock(await readFile(path, 'utf8'), path);
    const packages = packagesFromPylock(lock);
    const requirements = ferryRequirements(lock);
    return {
      kind: 'lock',
      label: path,
      requirements,
      packages,
      graph: buildGraph(packages, requirements),
      cleanup: async () => undefined,
    };
  }
  const opened = await (options.open ?? defaultOpenBundle)(path);
  try {
    const manifestPath = join(opened.dir, 'manifest.json');
    const text = await readFile(manifestPath, 'utf8').catch(() => {
      throw new FerryError('ERR_FERRY_NOT_A_BUNDLE', `"${path}" has no manifest.json`, {
        hint: 'Give a bundle folder or archive written by ferry bundle / ferry pack, or a pylock.toml.',
      });
    });
    const manifest = parseManifest(text, `${opened.label}/manifest.json`);
    // Upload times are in the bundle's own lock, not in the manifest.
    const uploads = new Map<string, string>();
    const lockText = await readFile(join(opened.dir, 'pylock.toml'), 'utf8').catch(() => undefined);
    if (lockText !== undefined) {
      for (const p of packagesFromPylock(parsePylock(lockText, `${opened.label}/pylock.toml`)))
        for (const f of p.files)
          if (f.uploadTime !== undefined) uploads.set(f.filename, f.uploadTime);
    }
    const packages: SubjectPackage[] = [];
    for (const p of manifest.packages) {
      const files = manifest.files.filter(
        (f) => normalizeLoose(f.name) === normalizeLoose(p.name) && f.version === p.version,
      );
      const wheel = files.find((f) => f.path.endsWith('.whl'));
      const licence =
        options.licences === false
          ? undefined
          : wheel === undefined
            ? ({
                source: 'none',
                declared: 'a source distribution (its metadata is not read)',
              } as Licence)
            : await wheelLicence(join(opened.dir, wheel.path));
      packages.push({
        name: p.name,
        version: p.version,
        dependencies: p.dependencies,
        files: files.map((f) => {
          const filename = f.path.slice(f.path.lastIndexOf('/') + 1);
          const uploadTime = uploads.get(filename);
          return {
            filename,
            sha256: f.sha256,
            size: f.size,
            url: f.url,
            ...(f.index === undefined ? {} : { index: f.index }),
            ...(uploadTime === undefined ? {} : { uploadTime }),
            sdist: !filename.endsWith('.whl'),
          };
        }),
        ...(licence === undefined ? {} : { licence }),
      });
    }
    return {
      kind: 'bundle',
      label: opened.label,
      requirements: manifest.requirements,
      packages,
      graph: buildGraph(packages, manifest.requirements),
      manifest,
      dir: opened.dir,
      signers: await readSigners(opened.dir),
      cleanup: () => opened.cleanup(),
    };
  } catch (error) {
    await opened.cleanup();
    throw error;
  }
}

/** The policy's view of a subject's packages. */
export const policyPackages = (subject: Subject): PolicyPackage[] =>
  subject.packages.map((p) => ({
    name: p.name,
    version: p.version,
    ...(p.licence === undefined ? {} : { licence: p.licence }),
    hasSdist: p.files.some((f) => f.sdist),
    uploadTimes: p.files.map((f) => f.uploadTime),
  }));

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
  /** From a top-level requirement to the package. */
  readonly path: readonly string[];
  readonly references: readonly string[];
  readonly uncertain?: string;
  /** refused: the policy does not accept it; accepted: an exception or max-severity does; ignored: --ignore. */
  readonly verdict: 'refused' | 'accepted' | 'ignored';
  readonly rule?: string;
  readonly note?: string;
}

export interface AuditReport {
  readonly subject: { readonly kind: 'bundle' | 'lock'; readonly label: string };
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
  /** A bundle (folder, archive, volumes) or a pylock.toml. */
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

/** Findings for every package of a subject against a snapshot (shared with report). */
export function findingsFor(
  subject: Subject,
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
        path: shortestPath(subject.graph, p.name) ?? [p.name],
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
    for (const f of findings)
      if (f.note?.includes('expired') === true) {
        notes.push(`${f.id} (${f.package}): ${f.note}`);
        request.events?.({
          type: 'warning',
          code: 'W_FERRY_EXCEPTION_EXPIRED',
          message: `${f.id}: ${f.note}`,
        });
      }
    return {
      subject: { kind: subject.kind, label: subject.label },
      advisories: {
        source: snapshot.source,
        count: snapshot.advisories,
        skipped: snapshot.skipped,
        ...(snapshot.newest === undefined ? {} : { newest: snapshot.newest }),
      },
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

/** osv.dev's public bucket: one zip per ecosystem, one JSON per advisory (osv.dev README). */
export const OSV_PYPI_ZIP_URL = 'https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip';

export interface FetchAdvisoriesRequest {
  readonly output: string;
  /** Default: OSV_PYPI_ZIP_URL. */
  readonly url?: string;
  readonly settings?: NetSettings;
  readonly events?: EventSink;
}

export interface FetchAdvisoriesResult {
  readonly path: string;
  readonly url: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly advisories: number;
  readonly newest?: string;
}

/**
 * The online half: downloads the PyPI snapshot through src/net (pip's proxy and certificate
 * settings apply), checks that it reads as a snapshot, and only then puts it at `output`
 * (atomically: an interrupted download never leaves a half zip that a later audit would read).
 */
export async function fetchAdvisories(
  request: FetchAdvisoriesRequest,
): Promise<FetchAdvisoriesResult> {
  const url = request.url ?? OSV_PYPI_ZIP_URL;
  const file = await AtomicFile.open(request.output).catch((error: NodeJS.ErrnoException) => {
    throw new FerryError(
      'ERR_FERRY_DESTINATION',
      `cannot write "${request.output}": ${error.code ?? error.message}`,
      { hint: 'Check that the folder exists and is writable, or choose another -o path.' },
    );
  });
  try {
    const hash = createHash('sha256');
    let response: Awaited<ReturnType<typeof netRequest>>;
    try {
      response = await netRequest(url, {
        ...(request.settings === undefined ? {} : { settings: request.settings }),
      });
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw new FerryError(
        'ERR_FERRY_DOWNLOAD_FAILED',
        `cannot download ${redactUrl(url)}: ${(error as Error).message}`,
        {
          hint: 'Run this on the online side; check the proxy settings pip uses, or give --url for a mirror of the snapshot.',
        },
      );
    }
    if (response.status !== 200) {
      await response.body.cancel();
      throw new FerryError(
        'ERR_FERRY_HTTP_STATUS',
        `${redactUrl(url)} answered HTTP ${response.status}`,
        { hint: 'Check the URL (--url) and that the snapshot is published there.' },
      );
    }
    request.events?.({ type: 'info', message: `downloading ${redactUrl(url)}` });
    for await (const chunk of response.body) {
      hash.update(chunk);
      await file.write(chunk);
    }
    await file.close();
    const snapshot = await readAdvisorySnapshot(file.tempPath).catch((error: unknown) => {
      throw new FerryError(
        'ERR_FERRY_BAD_ADVISORIES',
        `${redactUrl(url)} did not send an OSV snapshot: ${(error as Error).message}`,
        { hint: 'Check the URL (--url): it should serve the PyPI all.zip.' },
      );
    });
    await file.commit();
    return {
      path: request.output,
      url: redactUrl(url),
      bytes: file.size,
      sha256: hash.digest('hex'),
      advisories: snapshot.advisories,
      ...(snapshot.newest === undefined ? {} : { newest: snapshot.newest }),
    };
  } catch (error) {
    await file.abort();
    throw error;
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
 * `ferry install --policy`, on the opened bundle: projects, licences and sdists (a release
 * only grows older, so its age was the bundle's concern).
 */
export async function enforcePolicyOnBundle(
  policy: Policy,
  dir: string,
  label: string,
): Promise<void> {
  const subject = await loadSubject(dir, {
    open: async () => ({ dir, label, cleanup: async () => undefined }),
  });
  const violations = checkPackages(policy, policyPackages(subject), {
    now: new Date(),
    stage: 'install',
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
