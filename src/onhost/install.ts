/**
 * The steps of `ferry install` on the target, as uv splits installing: planInstall (verify →
 * offline check → destination → doctor), prepareInstall (the staging venv) and installPrepared
 * (uv or pip → smoke test → move into place). src/ops/install.ts runs them in that order.
 *
 * Nothing at the destination changes until the install and the smoke test have passed:
 *   - a new venv is built in `.NAME.ferry-tmp` beside the destination and renamed into place;
 *   - `--into` copies the existing venv to `.NAME.ferry-tmp` (cp -a), installs and tests the
 *     copy, then swaps the two folders with one renameat2(RENAME_EXCHANGE) — atomic, so a kill
 *     at any moment leaves either the old venv or the new one at the path, never a mix.
 * A stale staging folder left by a killed run is removed by the next run. uv (carried in the
 * bundle, ./installer.ts) or pip runs with no index, hashes required and no configuration, so
 * no network is used; a bundle that would need the network (a requirement with no file, an
 * sdist without its build backend) is refused first.
 *
 * The parts the steps use: ./bundle-check.ts (manifest, files, signatures, the receipt's
 * bundle identity), ./offline-plan.ts (nothing will need the network) and ./staging.ts (the
 * folders beside the destination and the atomic swap).
 */
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { uvTools } from '../bundle/installer-tool.js';
import type { Manifest } from '../bundle/manifest.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { lastLines } from '../core/last-lines.js';
import { probeHost } from '../host/probe.js';
import type { TargetProfile } from '../host/profile.js';
import { defaultPython, run } from '../host/python-env.js';
import { normalizeName } from '../standards/name.js';
import type { TrustedKey } from '../trust/keys.js';
import { type BuiltOnTarget, buildCarriedSdists, type CarriedBuild } from './build-carried.js';
import { buildOnlyPackages } from './build-only.js';
import {
  type BundleIdentity,
  bundleIdentity,
  readBundleManifest,
  untrustedWithoutKeys,
  verifyForInstall,
} from './bundle-check.js';
import { bundleFactsFromManifest, type DoctorProblem, diagnose } from './doctor.js';
import {
  type CarriedUv,
  chooseInstaller,
  findCarriedUv,
  type InstallerChoice,
  type InstallerUsed,
  installerWorkDir,
  runInstaller,
} from './installer.js';
import { type OfflinePlan, planOfflineInstall } from './offline-plan.js';
import { type SmokeMode, selectSmokeChecks } from './smoke/checks.js';
import {
  type ImportResult,
  passed,
  runSmokeChecks,
  type SmokeCheckResult,
} from './smoke/run-smoke.js';
import { recoverInterrupted, relocateVenv, stagingPath, swapInto } from './staging.js';
import { createVenv, ensurePip, type SeedWheel, withSeedWheels } from './venv.js';

// ops/install.ts refuses a keyless install with the same error before it opens the bundle.
export { untrustedWithoutKeys };

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
  /** Wheels built here from carried sdists (--allow-sdist), with their SHA-256. */
  readonly builtOnTarget?: readonly BuiltOnTarget[];
  /** The installer that ran (uv or pip), its version and why it was chosen. */
  readonly installer?: InstallerUsed;
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

  // A new venv's interpreter is probed while the bundle is verified (the probe reads the host,
  // not the bundle; its answer is used only once the bundle has passed). An --into venv is
  // probed after its folder is checked and any interrupted swap recovered.
  const python = mode === 'new' ? (options.python ?? defaultPython()) : join(dest, 'bin', 'python');
  const probe = options.probe ?? ((py: string) => probeHost({ python: py, runningOnly: true }));
  const settle = (p: Promise<TargetProfile>) =>
    p.then(
      (profile) => ({ profile }),
      (error: unknown) => ({ error }),
    );
  const earlyProbe = mode === 'new' ? settle(probe(python)) : undefined;

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
  if (mode === 'new') {
    if (existing !== undefined && !options.force) {
      throw new FerryError('ERR_FERRY_VENV_EXISTS', `"${dest}" already exists.`, {
        hint: 'Choose a new --venv path, pass --force to replace it, or --into to install into it.',
      });
    }
  } else {
    const cfg = await lstat(join(dest, 'pyvenv.cfg')).catch(() => undefined);
    if (existing === undefined || !existing.isDirectory() || cfg === undefined) {
      throw new FerryError('ERR_FERRY_NOT_A_VENV', `"${dest}" is not a venv (no pyvenv.cfg).`, {
        hint: 'Create it with python3 -m venv, or use --venv PATH for a new one.',
      });
    }
  }

  // 3. doctor
  events({ type: 'install-step', step: 'doctor', detail: python });
  const probed = await (earlyProbe ?? settle(probe(python))).then((r) => {
    if ('error' in r) throw r.error;
    return r.profile;
  });
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
  installer?: InstallerUsed,
  builtOnTarget?: readonly BuiltOnTarget[],
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
    ...(installer === undefined ? {} : { installer }),
    ...(builtOnTarget === undefined || builtOnTarget.length === 0 ? {} : { builtOnTarget }),
  };
}

/** A staging venv made by prepareInstall, ready for the installer. */
export interface PreparedInstall {
  readonly staging: string;
  /** The staging venv's interpreter. */
  readonly python: string;
  /** The carried sdists built into wheels, offline (./build-carried.ts); absent when none. */
  readonly carried?: CarriedBuild;
  /** The bundle's uv as found while preparing (it seeded the new venv), for installPrepared. */
  readonly carriedUv?: CarriedUv;
  /** ensurepip's wheels, for the install to add: the new venv was made without pip (./venv.ts). */
  readonly seedWheels?: readonly SeedWheel[];
}

/**
 * Prepare: the staging venv beside the destination, a new one (./venv.ts: seeded by the
 * bundle's uv when it runs here, else `python -m venv`) or, for --into, a copy of the existing
 * venv (cp -a) so that the original stays intact on failure. On failure the caller removes
 * plan.staging (discardStaging).
 */
export async function prepareInstall(
  plan: InstallPlan,
  events: EventSink = () => {},
  options: { readonly installer?: InstallerChoice } = {},
): Promise<PreparedInstall> {
  const { python, staging, dest } = plan;
  let carriedUv: CarriedUv | undefined;
  let seedWheels: readonly SeedWheel[] = [];
  if (plan.mode === 'new') {
    // When the bundle carries uv, the venv is made without pip while uv is unpacked and tried
    // (side by side: they touch different folders); uv then installs ensurepip's wheels too.
    const wantUv =
      (options.installer ?? 'auto') !== 'pip' &&
      plan.offline.sdists.length === 0 &&
      uvTools(plan.manifest.tools).length > 0;
    events({
      type: 'install-step',
      step: 'venv',
      detail: wantUv ? `${python} (without pip: uv installs ensurepip's wheels)` : python,
    });
    if (wantUv) await mkdir(staging, { recursive: true });
    const [found, created] = await Promise.all([
      wantUv
        ? findCarriedUv({
            bundleDir: plan.bundleDir,
            manifest: plan.manifest,
            workDir: installerWorkDir(staging),
          })
        : undefined,
      createVenv({ python, dir: staging, seedByInstaller: wantUv }),
    ]);
    carriedUv = found;
    seedWheels = created.seedWheels;
    if (seedWheels.length > 0 && carriedUv?.installer === undefined) {
      // The carried uv does not run here: pip installs (the install step says why; with
      // --installer uv it refuses), so the venv gets pip the usual way.
      if (options.installer !== 'uv') await ensurePip(join(staging, 'bin', 'python'));
      seedWheels = [];
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
  const venvPython = join(staging, 'bin', 'python');
  if (plan.offline.sdists.length === 0)
    return {
      staging,
      python: venvPython,
      ...(carriedUv === undefined ? {} : { carriedUv }),
      ...(seedWheels.length === 0 ? {} : { seedWheels }),
    };
  // Carried sdists are built now, with the staging venv's pip and the bundle's wheels only, so
  // that the install step installs wheels alone, each under its hash.
  events({
    type: 'install-step',
    step: 'build',
    detail: `${plan.offline.sdists.length} sdist(s), from the bundle's wheels, no network`,
  });
  const carried = await buildCarriedSdists({
    python: venvPython,
    bundleDir: plan.bundleDir,
    sdists: plan.offline.sdists,
    findLinks: [
      join(plan.bundleDir, 'wheels'),
      ...(plan.baseDir === undefined ? [] : [plan.baseDir]),
    ],
    requirements: join(plan.bundleDir, 'requirements.txt'),
    buildOnly: buildOnlyPackages(plan.manifest.packages),
    workDir: carriedBuildDir(staging),
    events,
  });
  return { staging, python: venvPython, carried };
}

/** Where prepareInstall builds carried sdists: inside the staging venv, removed before the move. */
const carriedBuildDir = (staging: string): string => join(staging, '.ferry-build');

export interface InstallStepOptions {
  /** `--installer`: auto (default: uv when the bundle carries it and it runs here), uv, pip. */
  readonly installer?: InstallerChoice;
  readonly smoke?: SmokeMode;
  readonly smokeTimeoutSeconds?: number;
  readonly events?: EventSink;
}

/**
 * Install: uv or pip (src/onhost/installer.ts), hashes required, no index, no configuration and
 * so no network, into the staging venv; the smoke test there; then the venv moved into place
 * atomically. A failed smoke test throws ERR_FERRY_SMOKE_FAILED with the failed report in its
 * details.
 */
export async function installPrepared(
  plan: InstallPlan,
  prepared: PreparedInstall,
  options: InstallStepOptions = {},
): Promise<InstallReport> {
  const events = options.events ?? (() => {});
  const { manifest, bundleDir, dest, mode } = plan;
  const { staging, python: venvPython } = prepared;
  // Carried sdists were built into wheels by prepareInstall: the install takes wheels only.
  const built = prepared.carried;
  const requirementsFile = built?.requirements ?? join(bundleDir, 'requirements.txt');
  const builtLinks = built === undefined ? [] : [built.wheelsDir];
  const sdistCount = built === undefined ? plan.offline.sdists.length : 0;
  const workDir = installerWorkDir(staging);
  const installer = await chooseInstaller({
    bundleDir,
    manifest,
    choice: options.installer ?? 'auto',
    workDir,
    python: venvPython,
    sdists: sdistCount,
    ...(prepared.carriedUv === undefined ? {} : { carriedUv: prepared.carriedUv }),
    events,
  });
  events({
    type: 'install-step',
    step: installer.name,
    detail: `${manifest.files.length} files, no network; ${installer.name} ${installer.version}: ${installer.reason}`,
  });
  // A venv made without pip gets ensurepip's wheels in uv's same hash-checked install (pip,
  // which never runs in such a venv unless another caller chose it, gets them by ensurepip).
  if (installer.name === 'pip' && (prepared.seedWheels ?? []).length > 0)
    await ensurePip(venvPython);
  const seeded =
    installer.name === 'uv'
      ? await seedRequirements(prepared, requirementsFile, workDir, manifest)
      : { requirements: requirementsFile, findLinks: [] };
  await runInstaller({
    installer,
    python: venvPython,
    findLinks: [
      ...builtLinks,
      join(bundleDir, 'wheels'),
      ...(plan.baseDir === undefined ? [] : [plan.baseDir]),
      ...seeded.findLinks,
    ],
    requirements: seeded.requirements,
    sdists: sdistCount,
    workDir,
  });
  const used: InstallerUsed = {
    name: installer.name,
    version: installer.version,
    reason: installer.reason,
  };

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
        details: { report: installReport(plan, 'failed', results, used, built?.built) },
      },
    );
  }

  // Into place, without the build folder.
  await rm(carriedBuildDir(staging), { recursive: true, force: true });
  await relocateVenv(staging, dest);
  if (plan.replaces) await swapInto(staging, dest);
  else await rename(staging, dest);
  await rm(staging, { recursive: true, force: true }); // the old venv, after a swap
  events({ type: 'install-step', step: 'done', detail: dest });
  return installReport(plan, 'passed', results, used, built?.built);
}

/** The requirements file (and find-links) with the seed wheels of a venv made without pip. */
async function seedRequirements(
  prepared: PreparedInstall,
  requirementsFile: string,
  workDir: string,
  manifest: Manifest,
): Promise<{ requirements: string; findLinks: string[] }> {
  const seedWheels = prepared.seedWheels ?? [];
  if (seedWheels.length === 0) return { requirements: requirementsFile, findLinks: [] };
  const pinned = new Set(manifest.packages.map((p) => normalizeName(p.name)));
  const amended = withSeedWheels(await readFile(requirementsFile, 'utf8'), seedWheels, pinned);
  await mkdir(workDir, { recursive: true });
  const path = join(workDir, 'requirements-with-seed.txt');
  await writeFile(path, amended.requirements);
  return { requirements: path, findLinks: amended.findLinks };
}

/** Removes the staging folder after a failed prepare or install: the destination is untouched. */
export async function discardStaging(plan: InstallPlan): Promise<void> {
  await rm(plan.staging, { recursive: true, force: true });
}
