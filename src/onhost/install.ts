/**
 * The steps of `ferry install` on the target, as uv splits installing: planInstall (verify →
 * offline check → destination → doctor), prepareInstall (the staging venv) and installPrepared
 * (pip → smoke test → move into place). src/ops/install.ts runs them in that order.
 *
 * Nothing at the destination changes until the install and the smoke test have passed:
 *   - a new venv is built in `.NAME.ferry-tmp` beside the destination and renamed into place;
 *   - `--into` copies the existing venv to `.NAME.ferry-tmp` (cp -a), installs and tests the
 *     copy, then swaps the two folders with one renameat2(RENAME_EXCHANGE) — atomic, so a kill
 *     at any moment leaves either the old venv or the new one at the path, never a mix.
 * A stale staging folder left by a killed run is removed by the next run. pip runs with
 * --no-index and no pip configuration, so no network is used; a bundle that would need the
 * network (a requirement with no file, an sdist without its build backend) is refused first.
 */
import { lstat, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { type Manifest, parseManifest } from '../bundle/manifest.js';
import { verifyBundle } from '../bundle/verify.js';
import { FerryError, isFerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { hashFile } from '../core/hash-file.js';
import { probeHost } from '../host/probe.js';
import type { TargetProfile } from '../host/profile.js';
import { defaultPython, isolatedPipEnv, run } from '../host/python-env.js';
import { readSdistFiles } from '../index/sdist-metadata.js';
import { normalizeName } from '../standards/name.js';
import { formatVersion, tryParseVersion } from '../standards/version.js';
import type { TrustedKey } from '../trust/keys.js';
import { bundleFactsFromManifest, type DoctorProblem, diagnose } from './doctor.js';
import { type SmokeMode, selectSmokeChecks } from './smoke/checks.js';
import {
  type ImportResult,
  passed,
  runSmokeChecks,
  type SmokeCheckResult,
} from './smoke/run-smoke.js';

/** What planInstall needs: the bundle, the destination, the keys, and how to judge the host. */
export interface PlanOptions {
  readonly bundleDir: string;
  /** A new venv at this path (exactly one of venv / into). */
  readonly venv?: string;
  /** An existing venv to install into; left as it was on any failure. */
  readonly into?: string;
  /** The interpreter for a new venv (default FERRY_PYTHON or python3). */
  readonly python?: string;
  /** Replace an existing folder at `venv`. */
  readonly force?: boolean;
  /** Install even when doctor reports errors. */
  readonly skipDoctor?: boolean;
  /** Keys to check the bundle's signatures with. */
  readonly trustedKeys?: readonly TrustedKey[];
  /** Distinct trusted signers needed (default 1), as `ferry verify --require-signers`. */
  readonly requireSigners?: number;
  /**
   * With no trusted keys, install anyway after checking integrity only (and say so). Without
   * it, no keys means no install: trust fails closed, as in `ferry verify` and install.py.
   */
  readonly allowUnsigned?: boolean;
  /**
   * The bundle as the user named it (an archive, a volume), shown in messages and recorded in
   * the receipt instead of `bundleDir`, the temporary folder an archive was extracted to.
   */
  readonly bundleLabel?: string;
  /** Describes the host (default: probeHost with the venv's interpreter). */
  readonly probe?: (python: string) => Promise<TargetProfile>;
  /**
   * A delta bundle (manifest baseFiles, docs/deltas.md): a folder holding its base files,
   * each already checked by SHA-256; called after the bundle is verified. Throws when the
   * base is not there.
   */
  readonly resolveBase?: (manifest: Manifest) => Promise<string>;
  readonly events?: EventSink;
}

export interface InstallReport {
  readonly outcome: 'passed' | 'failed';
  readonly mode: 'new' | 'into';
  readonly venv: string;
  readonly python: string;
  readonly bundle: BundleIdentity;
  readonly packages: readonly { name: string; version: string }[];
  readonly doctor: readonly DoctorProblem[];
  readonly checks: readonly SmokeCheckResult[];
  /** The import check's per-module results (also in checks[].data.imports). */
  readonly imports: readonly ImportResult[];
  readonly host: TargetProfile;
  readonly seconds: number;
}

export interface BundleIdentity {
  readonly path: string;
  /** SHA-256 of `of` (SHA256SUMS when the bundle has one: it covers every file). */
  readonly sha256: string;
  readonly of: 'SHA256SUMS' | 'manifest.json';
  readonly framework?: { readonly name: string; readonly version: string };
  readonly cuda?: string;
}

/** Reads BUNDLE/manifest.json; `label` is the bundle as the user named it, for messages. */
export async function readBundleManifest(bundleDir: string, label = bundleDir): Promise<Manifest> {
  const path = join(bundleDir, 'manifest.json');
  const shown = label === bundleDir ? path : `manifest.json in ${label}`;
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new FerryError(
      'ERR_FERRY_NOT_A_BUNDLE',
      `"${label}" is not a ferry bundle: ${shown} cannot be read (${error.code ?? error.message}).`,
      {
        hint: 'Pass the folder that `ferry bundle -o` wrote, or the archive `ferry pack` made of it.',
      },
    );
  });
  return parseManifest(text, shown);
}

/** Every file the manifest names is present with the recorded size and SHA-256. */
export async function checkBundleFiles(
  bundleDir: string,
  manifest: Manifest,
  label = bundleDir,
): Promise<void> {
  const problems: string[] = [];
  for (const file of manifest.files) {
    const path = join(bundleDir, file.path);
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined) {
      problems.push(`${file.path}: missing`);
      continue;
    }
    if (info.size !== file.size) {
      problems.push(`${file.path}: ${info.size} bytes, the manifest says ${file.size}`);
      continue;
    }
    const actual = await hashFile(path);
    if (actual !== file.sha256)
      problems.push(`${file.path}: sha256 ${actual}, the manifest says ${file.sha256}`);
  }
  if (problems.length > 0) {
    throw new FerryError(
      'ERR_FERRY_BUNDLE_DAMAGED',
      `The bundle "${label}" is damaged:\n  ${problems.join('\n  ')}`,
      {
        hint: 'Carry the bundle again from its source, or rebuild it.',
        details: { problems },
      },
    );
  }
}

/**
 * The bundle's identity for receipts: the SHA-256 of SHA256SUMS, else of manifest.json. `path`
 * is `label` (what the user named, made absolute), never a temporary extraction folder.
 */
export async function bundleIdentity(
  bundleDir: string,
  manifest: Manifest,
  label = bundleDir,
): Promise<BundleIdentity> {
  const sums = join(bundleDir, 'SHA256SUMS');
  const hasSums = (await lstat(sums).catch(() => undefined))?.isFile() === true;
  const facts = bundleFactsFromManifest(manifest);
  return {
    path: resolvePath(label),
    sha256: await hashFile(hasSums ? sums : join(bundleDir, 'manifest.json')),
    of: hasSums ? 'SHA256SUMS' : 'manifest.json',
    ...(facts.frameworkPackage === undefined ? {} : { framework: facts.frameworkPackage }),
    ...(facts.cuda === undefined ? {} : { cuda: facts.cuda }),
  };
}

export interface VerifyForInstallOptions {
  readonly trustedKeys?: readonly TrustedKey[];
  readonly requireSigners?: number;
  /** No keys: check integrity only, with a warning. Without it, no keys is refused (exit 7). */
  readonly allowUnsigned?: boolean;
  /** The bundle as the user named it, for messages. */
  readonly label?: string;
  readonly events?: EventSink;
}

/** The refusal when no key is given: before anything is read, made or extracted. */
export function untrustedWithoutKeys(label: string): FerryError {
  return new FerryError(
    'ERR_FERRY_UNTRUSTED',
    `Refusing to install ${label}: no trusted key was given, so nothing proves who made the bundle (anyone who can change it can also recompute SHA256SUMS and manifest.json).`,
    {
      hint: "Name the signer's public key with --trusted-key FILE (or a trust file with --trust-file FILE), obtained out of band. --allow-unsigned installs after an integrity check only, without signatures.",
    },
  );
}

/**
 * Integrity and signatures (`ferry verify`) when the bundle has SHA256SUMS. Fails closed: with
 * no trusted key the bundle is refused unless `allowUnsigned`, exactly as `ferry verify` and
 * install.py do. A bundle from before SHA256SUMS carries no signatures, so it installs only
 * with `allowUnsigned`, checked file by file against manifest.json.
 */
export async function verifyForInstall(
  bundleDir: string,
  manifest: Manifest,
  options: VerifyForInstallOptions = {},
): Promise<void> {
  const trustedKeys = options.trustedKeys ?? [];
  const label = options.label ?? bundleDir;
  const events = options.events ?? (() => {});
  if (trustedKeys.length === 0 && options.allowUnsigned !== true) throw untrustedWithoutKeys(label);
  const hasSums = (await lstat(join(bundleDir, 'SHA256SUMS')).catch(() => undefined)) !== undefined;
  if (hasSums) {
    await verifyBundle(bundleDir, {
      ...(trustedKeys.length > 0
        ? { trustedKeys, requireSigners: options.requireSigners ?? 1 }
        : { allowUnsigned: true }),
      label,
    });
    if (trustedKeys.length === 0) {
      events({
        type: 'warning',
        code: 'W_FERRY_SIGNATURES_NOT_CHECKED',
        message: `${label} is intact, but its signatures were NOT checked (--allow-unsigned)`,
      });
    }
    return;
  }
  if (trustedKeys.length > 0) {
    throw new FerryError(
      'ERR_FERRY_UNTRUSTED',
      `The bundle ${label} has no SHA256SUMS, so it carries no signatures to check.`,
      {
        hint: 'Rebuild the bundle with a current ferry and sign it, or install it with --allow-unsigned (integrity only).',
      },
    );
  }
  await checkBundleFiles(bundleDir, manifest, label);
  events({
    type: 'warning',
    code: 'W_FERRY_UNSIGNED',
    message: `${label} has no SHA256SUMS: checked against manifest.json only, no signatures (--allow-unsigned)`,
  });
}

export interface OfflinePlan {
  /** sdists pip will build (their build backend is in the bundle). */
  readonly sdists: readonly string[];
}

/**
 * Proves, before pip runs, that installing needs nothing from the network: every pinned line of
 * requirements.txt has a file in the bundle, and every sdist's build requirements
 * (pyproject.toml [build-system] requires, or setuptools + wheel) have wheels in the bundle.
 */
export async function planOfflineInstall(
  bundleDir: string,
  manifest: Manifest,
  label = bundleDir,
  withBase = false,
): Promise<OfflinePlan> {
  const text = await readFile(join(bundleDir, 'requirements.txt'), 'utf8').catch(() => {
    throw new FerryError('ERR_FERRY_INCOMPLETE', `The bundle ${label} has no requirements.txt.`, {
      hint: 'Rebuild the bundle with `ferry bundle`; it writes requirements.txt with hashes.',
    });
  });
  // A delta's base files are there too once its base was found (gathered beside the bundle).
  const baseFiles = withBase
    ? (manifest.baseFiles ?? []).map((f) => ({ ...f, path: f.filename }))
    : [];
  const files = [...manifest.files, ...baseFiles].map((f) => ({
    ...f,
    key: normalizeName(f.name),
    v: normVersion(f.version),
  }));
  const missing: string[] = [];
  const sdists: string[] = [];
  for (const line of logicalLines(text)) {
    if (line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;\\]+)/.exec(line);
    if (m === null) {
      missing.push(`${line.split(/\s/)[0]} (not pinned with ==)`);
      continue;
    }
    const name = normalizeName(m[1] as string);
    const version = normVersion(m[2] as string);
    const mine = files.filter((f) => f.key === name && f.v === version);
    if (mine.length === 0) missing.push(`${name}==${m[2]}`);
    else if (!mine.some((f) => f.path.endsWith('.whl'))) sdists.push(...mine.map((f) => f.path));
  }
  if (missing.length > 0) {
    throw new FerryError(
      'ERR_FERRY_NEEDS_NETWORK',
      `Installing would need the network: requirements.txt names ${missing.length} package(s) the bundle has no file for: ${missing.join(', ')}`,
      {
        hint: 'Rebuild the bundle on the jump host; ferry install never downloads.',
        details: { missing },
      },
    );
  }
  const wheelNames = new Set(files.filter((f) => f.path.endsWith('.whl')).map((f) => f.key));
  const unbuildable: string[] = [];
  for (const sdist of sdists) {
    const requires = await sdistBuildRequires(join(bundleDir, sdist));
    const lacking = requires
      .map((r) => normalizeName(/^[A-Za-z0-9._-]+/.exec(r.trim())?.[0] ?? r))
      .filter((n) => !wheelNames.has(n));
    if (lacking.length > 0) unbuildable.push(`${sdist} needs ${lacking.join(', ')} to build`);
  }
  if (unbuildable.length > 0) {
    throw new FerryError(
      'ERR_FERRY_NEEDS_NETWORK',
      `Installing would need the network: ${unbuildable.length} sdist(s) have no build backend in the bundle: ${unbuildable.join('; ')}`,
      {
        hint: 'Bundle wheels for this target instead (ferry bundle refuses sdists unless asked), or add the build requirements to the bundle.',
        details: { unbuildable },
      },
    );
  }
  return { sdists };
}

function normVersion(v: string): string {
  const parsed = tryParseVersion(v);
  return parsed === undefined ? v : formatVersion(parsed);
}

function logicalLines(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');
}

/**
 * [build-system] requires of an sdist's pyproject.toml; pip's legacy default without one. The
 * archive is read by the one sdist reader (index/sdist-metadata.ts over src/archive/), with its
 * bounds on decompression and its refusal of unsafe entries; an archive that is merely damaged
 * falls back to the default and lets pip report it.
 */
async function sdistBuildRequires(path: string): Promise<string[]> {
  const fallback = ['setuptools', 'wheel'];
  if (!path.endsWith('.tar.gz')) return fallback;
  let pyproject: string | undefined;
  try {
    pyproject = (await readSdistFiles(await readFile(path), basename(path))).pyproject;
  } catch (error) {
    if (isFerryError(error) && error.code === 'ERR_FERRY_BAD_SDIST') return fallback;
    throw error;
  }
  if (pyproject === undefined) return fallback;
  try {
    const toml = parseToml(pyproject) as { 'build-system'?: { requires?: unknown } };
    const requires = toml['build-system']?.requires;
    return Array.isArray(requires) ? requires.map(String) : fallback;
  } catch {
    return fallback;
  }
}

/** The staging folder beside a destination. */
export const stagingPath = (dest: string): string =>
  join(dirname(dest), `.${basename(dest)}.ferry-tmp`);
/** Where the old venv waits when the atomic exchange is not available (see swapInto). */
export const previousPath = (dest: string): string =>
  join(dirname(dest), `.${basename(dest)}.ferry-old`);

/**
 * Cleans what a killed run left: a stale staging folder is removed; an old venv moved aside
 * by the two-rename fallback is put back when the destination is missing, else removed.
 */
export async function recoverInterrupted(
  dest: string,
  events: EventSink = () => {},
): Promise<void> {
  const staging = stagingPath(dest);
  if ((await lstat(staging).catch(() => undefined)) !== undefined) {
    events({
      type: 'warning',
      code: 'W_FERRY_STALE_STAGING',
      message: `removing ${staging}, left by an interrupted install`,
    });
    await rm(staging, { recursive: true, force: true });
  }
  const old = previousPath(dest);
  if ((await lstat(old).catch(() => undefined)) !== undefined) {
    if ((await lstat(dest).catch(() => undefined)) === undefined) {
      events({
        type: 'warning',
        code: 'W_FERRY_RESTORED',
        message: `restoring ${dest} from ${old}, left by an interrupted install`,
      });
      await rename(old, dest);
    } else {
      await rm(old, { recursive: true, force: true });
    }
  }
}

/**
 * What an install will do, decided before anything is made (uv's Plan step): the bundle
 * verified and proven installable offline, the destination and the interpreter, and doctor's
 * verdict on this host. The only change it makes is undoing what a killed run left beside the
 * destination, so that it sees the destination as it really is.
 */
export interface InstallPlan {
  readonly mode: 'new' | 'into';
  /** The venv's final path. */
  readonly dest: string;
  /** Where the new venv is built and tested (`.NAME.ferry-tmp` beside dest). */
  readonly staging: string;
  /** Something is at dest already (a --force'd --venv, or the --into venv). */
  readonly replaces: boolean;
  /** The interpreter for a new venv, or the --into venv's own. */
  readonly python: string;
  readonly bundleDir: string;
  /** A delta's base files (a second --find-links for pip). */
  readonly baseDir?: string;
  readonly label: string;
  readonly manifest: Manifest;
  readonly offline: OfflinePlan;
  readonly bundle: BundleIdentity;
  readonly host: TargetProfile;
  readonly problems: readonly DoctorProblem[];
  /** When planning started, for the report's duration. */
  readonly started: number;
}

/** Plan: verify → offline check → destination → doctor. Throws before anything is made. */
export async function planInstall(options: PlanOptions): Promise<InstallPlan> {
  const started = Date.now();
  const events = options.events ?? (() => {});
  const bundleDir = resolvePath(options.bundleDir);
  if ((options.venv === undefined) === (options.into === undefined)) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      'give exactly one of --venv PATH (a new venv) and --into PATH (an existing venv)',
      { hint: 'Run "ferry install --help" for usage.' },
    );
  }
  const mode = options.into === undefined ? 'new' : 'into';
  const dest = resolvePath((options.venv ?? options.into) as string);

  const label = options.bundleLabel ?? bundleDir;
  const trustedKeys = options.trustedKeys ?? [];
  // Trust fails closed before anything is read or made: no venv, no staging folder.
  if (trustedKeys.length === 0 && options.allowUnsigned !== true) throw untrustedWithoutKeys(label);

  // 1. verify
  events({ type: 'install-step', step: 'verify', detail: label });
  const manifest = await readBundleManifest(bundleDir, label);
  await verifyForInstall(bundleDir, manifest, {
    trustedKeys,
    ...(options.requireSigners === undefined ? {} : { requireSigners: options.requireSigners }),
    allowUnsigned: options.allowUnsigned === true,
    label,
    events,
  });
  const delta = (manifest.baseFiles ?? []).length > 0;
  if (delta && options.resolveBase === undefined)
    throw new FerryError(
      'ERR_FERRY_DELTA_BASE_MISSING',
      `${label} is a delta bundle: it relies on files it does not carry.`,
      {
        hint: 'Give --base DIR: the earlier bundle(s) it builds on, or an index store holding them.',
      },
    );
  const baseDir = delta ? await options.resolveBase?.(manifest) : undefined;
  const offline = await planOfflineInstall(bundleDir, manifest, label, baseDir !== undefined);
  const bundle = await bundleIdentity(bundleDir, manifest, label);

  // 2. destination
  await recoverInterrupted(dest, events);
  const existing = await lstat(dest).catch(() => undefined);
  let python: string;
  if (mode === 'new') {
    if (existing !== undefined && !options.force) {
      throw new FerryError('ERR_FERRY_VENV_EXISTS', `"${dest}" already exists.`, {
        hint: 'Choose a new --venv path, pass --force to replace it, or --into to install into it.',
      });
    }
    python = options.python ?? defaultPython();
  } else {
    const cfg = await lstat(join(dest, 'pyvenv.cfg')).catch(() => undefined);
    if (existing === undefined || !existing.isDirectory() || cfg === undefined) {
      throw new FerryError('ERR_FERRY_NOT_A_VENV', `"${dest}" is not a venv (no pyvenv.cfg).`, {
        hint: 'Create it with python3 -m venv, or use --venv PATH for a new one.',
      });
    }
    python = join(dest, 'bin', 'python');
  }

  // 3. doctor
  events({ type: 'install-step', step: 'doctor', detail: python });
  const probed = await (options.probe ?? ((py: string) => probeHost({ python: py })))(python);
  const host = { ...probed, interpreters: probed.interpreters.filter((i) => i.running) };
  const problems = diagnose(bundleFactsFromManifest(manifest), host);
  for (const p of problems.filter((q) => q.severity === 'warning'))
    events({
      type: 'warning',
      code: `W_FERRY_DOCTOR_${p.code}`,
      message: `${p.message} (${p.fix})`,
    });
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    if (!options.skipDoctor) {
      throw new FerryError(
        'ERR_FERRY_DOCTOR',
        `The bundle will not run on this host (${errors.length} problem(s)):\n${errors.map((p) => `  ${p.code}: ${p.message}\n    fix: ${p.fix}`).join('\n')}`,
        {
          hint: 'Fix the host or carry a bundle built for it (ferry probe on this host); --skip-doctor installs anyway.',
          details: { problems },
        },
      );
    }
    for (const p of errors)
      events({
        type: 'warning',
        code: `W_FERRY_DOCTOR_${p.code}`,
        message: `ignored (--skip-doctor): ${p.message}`,
      });
  }
  return {
    mode,
    dest,
    staging: stagingPath(dest),
    replaces: existing !== undefined,
    python,
    bundleDir,
    ...(baseDir === undefined ? {} : { baseDir }),
    label,
    manifest,
    offline,
    bundle,
    host: probed,
    problems,
    started,
  };
}

/** The report of an install, passed or failed (a receipt is written from it either way). */
export function installReport(
  plan: InstallPlan,
  outcome: 'passed' | 'failed',
  checks: readonly SmokeCheckResult[],
): InstallReport {
  return {
    outcome,
    mode: plan.mode,
    venv: plan.dest,
    python: plan.python,
    bundle: plan.bundle,
    packages: plan.manifest.packages.map((p) => ({ name: p.name, version: p.version })),
    doctor: plan.problems,
    checks,
    imports:
      (checks.find((c) => c.id === 'imports')?.data?.imports as ImportResult[] | undefined) ?? [],
    host: plan.host,
    seconds: (Date.now() - plan.started) / 1000,
  };
}

/** A staging venv made by prepareInstall, ready for pip. */
export interface PreparedInstall {
  readonly staging: string;
  /** The staging venv's interpreter. */
  readonly python: string;
}

/**
 * Prepare: the staging venv beside the destination, a new one (`python -m venv`) or, for
 * --into, a copy of the existing venv (cp -a) so that the original stays intact on failure.
 * On failure the caller removes plan.staging (discardStaging).
 */
export async function prepareInstall(
  plan: InstallPlan,
  events: EventSink = () => {},
): Promise<PreparedInstall> {
  const { python, staging, dest } = plan;
  if (plan.mode === 'new') {
    events({ type: 'install-step', step: 'venv', detail: python });
    const created = await run(python, ['-m', 'venv', staging], { env: isolatedPipEnv() });
    if (created.code !== 0) {
      throw new FerryError(
        'ERR_FERRY_VENV_FAILED',
        `"${python} -m venv" failed: ${lastLines(created.stderr || created.stdout)}`,
        {
          hint: 'Install the venv module for this Python (e.g. the python3-venv package), or choose another --python.',
        },
      );
    }
  } else {
    events({ type: 'install-step', step: 'copy', detail: `${dest} → ${staging}` });
    const copied = await run('cp', ['-a', '--reflink=auto', dest, staging]);
    if (copied.code !== 0) {
      throw new FerryError(
        'ERR_FERRY_VENV_FAILED',
        `could not copy "${dest}" to a staging folder: ${lastLines(copied.stderr)}`,
        {
          hint: 'Make room for a second copy of the venv beside it; --into installs into a copy so the venv stays intact on failure.',
        },
      );
    }
  }
  return { staging, python: join(staging, 'bin', 'python') };
}

export interface InstallStepOptions {
  readonly smoke?: SmokeMode;
  readonly smokeTimeoutSeconds?: number;
  readonly events?: EventSink;
}

/**
 * Install: pip --no-index --require-hashes into the staging venv (no pip configuration, so no
 * network), the smoke test there, then the venv moved into place atomically. A failed smoke
 * test throws ERR_FERRY_SMOKE_FAILED with the failed report in its details.
 */
export async function installPrepared(
  plan: InstallPlan,
  prepared: PreparedInstall,
  options: InstallStepOptions = {},
): Promise<InstallReport> {
  const events = options.events ?? (() => {});
  const { manifest, bundleDir, dest, mode } = plan;
  const { staging, python: venvPython } = prepared;
  events({
    type: 'install-step',
    step: 'pip',
    detail: `${manifest.files.length} files, no network`,
  });
  const pip = await run(
    venvPython,
    [
      '-m',
      'pip',
      'install',
      '--no-index',
      '--find-links',
      join(bundleDir, 'wheels'),
      ...(plan.baseDir === undefined ? [] : ['--find-links', plan.baseDir]),
      '--require-hashes',
      ...(plan.offline.sdists.length === 0 ? ['--only-binary', ':all:'] : []),
      '--no-cache-dir',
      '-r',
      join(bundleDir, 'requirements.txt'),
    ],
    { env: isolatedPipEnv() },
  );
  if (pip.code !== 0) {
    throw new FerryError(
      'ERR_FERRY_PIP_FAILED',
      `pip could not install the bundle:\n${lastLines(pip.stderr || pip.stdout, 15)}`,
      {
        hint: 'The bundle may have been built for another target; run `ferry doctor BUNDLE` on this host.',
      },
    );
  }

  // The smoke test, in the staging venv.
  const checks = selectSmokeChecks(
    options.smoke ?? 'auto',
    manifest.packages.map((p) => p.name),
  );
  const results = await runSmokeChecks(venvPython, checks, {
    events,
    ...(options.smokeTimeoutSeconds === undefined
      ? {}
      : { timeoutSeconds: options.smokeTimeoutSeconds }),
  });
  const failed = results.filter((r) => !passed(r) && r.outcome !== 'skipped');
  if (failed.length > 0) {
    throw new FerryError(
      'ERR_FERRY_SMOKE_FAILED',
      `The smoke test failed, so ${mode === 'new' ? 'no venv was made' : `${dest} was left as it was`}:\n${failed.map((r) => `  ${r.id}: ${r.outcome}: ${r.detail}`).join('\n')}`,
      {
        hint: 'A missing shared library, a wheel for another platform or a CPU/GPU mismatch is the usual cause; run `ferry doctor BUNDLE`.',
        details: { report: installReport(plan, 'failed', results) },
      },
    );
  }

  // Into place.
  await relocateVenv(staging, dest);
  if (plan.replaces) await swapInto(staging, dest);
  else await rename(staging, dest);
  await rm(staging, { recursive: true, force: true }); // the old venv, after a swap
  events({ type: 'install-step', step: 'done', detail: dest });
  return installReport(plan, 'passed', results);
}

/** Removes the staging folder after a failed prepare or install: the destination is untouched. */
export async function discardStaging(plan: InstallPlan): Promise<void> {
  await rm(plan.staging, { recursive: true, force: true });
}

/**
 * Puts `staging` at `dest` and the old `dest` at `staging`. renameat2(RENAME_EXCHANGE) does it
 * in one atomic step (Linux ≥ 3.15, glibc ≥ 2.28; Node has no binding, the venv's Python has
 * ctypes). Where that fails, two renames via `.NAME.ferry-old`, which recoverInterrupted undoes.
 */
async function swapInto(staging: string, dest: string): Promise<void> {
  const code = [
    'import ctypes, os, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'f = getattr(libc, "renameat2", None)',
    'sys.exit(3 if f is None else (0 if f(-100, os.fsencode(sys.argv[1]), -100, os.fsencode(sys.argv[2]), 2) == 0 else 4))',
  ].join('\n');
  const exchanged = await run(join(staging, 'bin', 'python'), ['-I', '-c', code, staging, dest], {
    env: isolatedPipEnv(),
  }).catch(() => undefined);
  if (exchanged?.code === 0) return;
  const old = previousPath(dest);
  await rename(dest, old);
  await rename(staging, dest);
  await rename(old, staging);
}

/**
 * A venv records its own path in pyvenv.cfg, the activate scripts and every console script's
 * shebang; rewrite the staging path to the final one before the rename.
 */
async function relocateVenv(from: string, to: string): Promise<void> {
  const targets = [join(from, 'pyvenv.cfg')];
  for (const entry of await readdir(join(from, 'bin'))) targets.push(join(from, 'bin', entry));
  for (const path of targets) {
    const info = await lstat(path);
    if (!info.isFile() || info.size > 1 << 20) continue;
    const bytes = await readFile(path);
    if (bytes.includes(0)) continue; // a binary, not a script
    const text = bytes.toString('utf8');
    if (!text.includes(from)) continue;
    await writeFile(path, text.split(from).join(to), { mode: info.mode });
  }
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
