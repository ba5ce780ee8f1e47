/**
 * The install use case: trust first (no key, no install, before anything is unpacked or
 * made), the keys loaded before the bundle is opened (a typo in a key path should not cost a
 * whole install), then onhost's three steps, Plan → Prepare → Install, as uv installs:
 *   planInstall      verify, prove it installs offline, the destination, doctor;
 *   prepareInstall   the staging venv beside the destination;
 *   installPrepared  uv or pip (no index, hashes required) into it, smoke test, atomic move.
 * A receipt is written when asked, for a failed smoke test too: it is what the far side needs
 * to see.
 */
import { rm } from 'node:fs/promises';
import type { Policy } from '../audit/policy.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import {
  discardStaging,
  type InstallReport,
  installPrepared,
  planInstall,
  prepareInstall,
  untrustedWithoutKeys,
} from '../onhost/install.js';
import type { InstallerChoice } from '../onhost/installer.js';
import { buildReceipt, writeReceipt } from '../onhost/receipt.js';
import type { SmokeMode } from '../onhost/smoke/checks.js';
import { loadSecretKey, loadTrustedKeys, type SecretKey } from '../trust/keys.js';
import { enforcePolicyOnBundle, signerRefusal, signersUnderPolicy } from './audit.js';
import { gatherBaseFiles } from './delta.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

export interface InstallRequest {
  /** A bundle folder, a NAME.ferry.tar, its first volume or its volumes.json. */
  readonly bundle: string;
  /** A new venv at this path (exactly one of venv / into). */
  readonly venv?: string;
  /** An existing venv to add the bundle to; left as it was on any failure. */
  readonly into?: string;
  readonly python?: string;
  readonly force?: boolean;
  readonly smoke?: SmokeMode;
  readonly smokeTimeoutSeconds?: number;
  readonly skipDoctor?: boolean;
  /** --trusted-key and --trust-file files. */
  readonly keyFiles: readonly string[];
  readonly requireSigners: number;
  readonly allowUnsigned: boolean;
  /** Write a receipt here; signed with the secret key at `keyPath` when given. */
  readonly receipt?: { readonly path: string; readonly keyPath?: string };
  /** Recorded in the receipt. */
  readonly ferryVersion: string;
  readonly open?: OpenBundle;
  readonly events?: EventSink;
  /** ferry-policy.toml (`--policy`): its signers, projects, licences and sdists rules. */
  readonly policy?: Policy;
  /**
   * For a delta bundle: earlier bundle folders, folders of wheels or an index store holding the
   * files it does not carry; each file is found by its SHA-256 (docs/deltas.md).
   */
  readonly base?: readonly string[];
  /** `--installer`: auto (uv when the bundle carries it and it runs here), uv, pip. */
  readonly installer?: InstallerChoice;
}

export async function install(request: InstallRequest): Promise<InstallReport> {
  const events = request.events ?? (() => {});
  // Trust fails closed, and before anything is extracted, created or installed.
  if (request.keyFiles.length === 0 && !request.allowUnsigned)
    throw untrustedWithoutKeys(request.bundle);
  const { policy } = request;
  const requireSigners = signersUnderPolicy(policy, request, request.bundle);
  const keyPath = request.receipt?.keyPath;
  const key = keyPath === undefined ? undefined : await loadSecretKey(keyPath);
  const trustedKeys = await loadTrustedKeys([...request.keyFiles]);
  const saveReceipt = async (report: InstallReport): Promise<void> => {
    if (request.receipt === undefined) return;
    await writeInstallReceipt(request.receipt.path, report, key, request.ferryVersion, events);
  };

  // A .ferry.tar, one of its volumes or its volumes.json is unpacked first (and removed after).
  const opened = await (request.open ?? defaultOpenBundle)(request.bundle);
  let report: InstallReport;
  let baseDir: string | undefined;
  try {
    const plan = await planInstall({
      bundleDir: opened.dir,
      bundleLabel: opened.label,
      ...(request.venv === undefined ? {} : { venv: request.venv }),
      ...(request.into === undefined ? {} : { into: request.into }),
      ...(request.python === undefined ? {} : { python: request.python }),
      force: request.force === true,
      skipDoctor: request.skipDoctor === true,
      trustedKeys,
      requireSigners,
      allowUnsigned: request.allowUnsigned,
      resolveBase: async (manifest) => {
        baseDir = await gatherBaseFiles(manifest, request.base ?? [], opened.label);
        return baseDir;
      },
      events,
    }).catch((error: unknown) => {
      throw signerRefusal(policy, error, opened.label);
    });
    // The Plan step made nothing, and the bundle is verified: now what the site accepts.
    if (policy !== undefined) await enforcePolicyOnBundle(policy, opened.dir, opened.label);
    try {
      const prepared = await prepareInstall(
        plan,
        events,
        request.installer === undefined ? {} : { installer: request.installer },
      );
      report = await installPrepared(plan, prepared, {
        ...(request.installer === undefined ? {} : { installer: request.installer }),
        ...(request.smoke === undefined ? {} : { smoke: request.smoke }),
        ...(request.smokeTimeoutSeconds === undefined
          ? {}
          : { smokeTimeoutSeconds: request.smokeTimeoutSeconds }),
        events,
      });
    } catch (error) {
      await discardStaging(plan);
      throw error;
    }
  } catch (error) {
    const failed = failedReport(error);
    if (failed !== undefined) await saveReceipt(failed);
    throw error;
  } finally {
    await opened.cleanup();
    if (baseDir !== undefined) await rm(baseDir, { recursive: true, force: true });
  }
  await saveReceipt(report);
  return report;
}

/** The report a failed smoke test carries (ERR_FERRY_SMOKE_FAILED's details). */
export function failedReport(error: unknown): InstallReport | undefined {
  return error instanceof FerryError
    ? (error.details?.report as InstallReport | undefined)
    : undefined;
}

async function writeInstallReceipt(
  path: string,
  report: InstallReport,
  key: SecretKey | undefined,
  ferryVersion: string,
  events: EventSink,
): Promise<void> {
  const written = await writeReceipt(path, buildReceipt(report, { ferryVersion }), key);
  events({
    type: 'info',
    message: `receipt written to ${written.path}${written.signature ? `, signed: ${written.signature}` : ''}`,
  });
}
