/**
 * The install receipt: what was installed where, on which host, and how each smoke check went,
 * as JSON to carry back across the gap. With a key it gets a detached signature over its exact
 * bytes beside it: RECEIPT.minisig (Ed25519, minisign) or RECEIPT.sm2.sig (SM2/SM3, DER).
 * The receipt names its signing key (`signedBy`) inside the signed bytes. docs/target-side.md.
 */
import { lstat, readFile, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';
import { writeFileAtomic } from '../store/index.js';
import type { SecretKey, TrustedKey } from '../trust/keys.js';
import {
  checkSignatures,
  createSignature,
  type SignatureFile,
} from '../trust/verify-signatures.js';
import type { InstallReport } from './install.js';

export const RECEIPT_FORMAT_VERSION = 1;
export const RECEIPT_KIND = 'ferry-install-receipt';

const checkSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  outcome: z.enum(['passed', 'warning', 'failed', 'timeout', 'skipped']),
  detail: z.string(),
  seconds: z.number().nonnegative(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const receiptSchema = z.object({
  formatVersion: z.literal(RECEIPT_FORMAT_VERSION),
  kind: z.literal(RECEIPT_KIND),
  ferry: z.string().min(1),
  createdAt: z
    .string()
    .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'expected an ISO 8601 UTC time'),
  outcome: z.enum(['passed', 'failed']),
  bundle: z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    of: z.enum(['SHA256SUMS', 'manifest.json']),
    path: z.string(),
    framework: z.object({ name: z.string(), version: z.string() }).optional(),
    cuda: z.string().optional(),
    packages: z.array(z.object({ name: z.string(), version: z.string() })),
  }),
  venv: z.object({ path: z.string(), mode: z.enum(['new', 'into']), python: z.string() }),
  host: z.object({
    hostname: z.string().nullable(),
    os: z.string().nullable(),
    arch: z.string(),
    libc: z.string().nullable(),
    cpu: z.object({ model: z.string().nullable(), avx: z.boolean().nullable() }),
    nvidia: z.object({
      driverVersion: z.string().nullable(),
      gpuCount: z.number().int().nullable(),
    }),
    python: z.object({ version: z.string(), executable: z.string() }).nullable(),
  }),
  doctor: z.array(
    z.object({ code: z.string(), severity: z.enum(['error', 'warning']), message: z.string() }),
  ),
  checks: z.array(checkSchema),
  /** Wheels built on the target from carried sdists: the sdist and the wheel, each by SHA-256. */
  builtOnTarget: z
    .array(
      z.object({
        sdist: z.string(),
        sdistSha256: z.string().regex(/^[0-9a-f]{64}$/),
        wheel: z.string(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        seconds: z.number().nonnegative(),
      }),
    )
    .optional(),
  /** The installer that ran (uv or pip), its version and why (absent in older receipts). */
  installer: z
    .object({ name: z.enum(['uv', 'pip']), version: z.string(), reason: z.string() })
    .optional(),
  seconds: z.number().nonnegative(),
  signedBy: z
    .object({ algorithm: z.enum(['ed25519', 'sm2']), keyId: z.string().regex(/^[0-9A-F]{16}$/) })
    .optional(),
});

export type Receipt = z.infer<typeof receiptSchema>;

/** The receipt for an install (passed, or failed at the smoke test). */
export function buildReceipt(
  report: InstallReport,
  opts: { ferryVersion: string; now?: Date },
): Receipt {
  const host = report.host;
  const running = host.interpreters.find((i) => i.running) ?? host.interpreters[0];
  return {
    formatVersion: RECEIPT_FORMAT_VERSION,
    kind: RECEIPT_KIND,
    ferry: opts.ferryVersion,
    createdAt: (opts.now ?? new Date()).toISOString(),
    outcome: report.outcome,
    bundle: {
      sha256: report.bundle.sha256,
      of: report.bundle.of,
      path: report.bundle.path,
      ...(report.bundle.framework === undefined
        ? {}
        : { framework: { ...report.bundle.framework } }),
      ...(report.bundle.cuda === undefined ? {} : { cuda: report.bundle.cuda }),
      packages: report.packages.map((p) => ({ name: p.name, version: p.version })),
    },
    venv: { path: report.venv, mode: report.mode, python: report.python },
    host: {
      hostname: host.hostname ?? null,
      os: host.os?.prettyName ?? host.os?.id ?? null,
      arch: host.arch,
      libc: host.libc === null ? null : `${host.libc.kind} ${host.libc.version ?? '?'}`,
      cpu: {
        model: host.cpu.model,
        avx: host.cpu.flags === null ? null : host.cpu.flags.avx === true,
      },
      nvidia: { driverVersion: host.nvidia.driverVersion, gpuCount: host.nvidia.gpuCount },
      python:
        running === undefined ? null : { version: running.version, executable: running.executable },
    },
    doctor: report.doctor.map((p) => ({ code: p.code, severity: p.severity, message: p.message })),
    checks: report.checks.map((c) => ({
      id: c.id,
      title: c.title,
      outcome: c.outcome,
      detail: c.detail,
      seconds: c.seconds,
      ...(c.data === undefined ? {} : { data: c.data }),
    })),
    ...(report.builtOnTarget === undefined
      ? {}
      : {
          builtOnTarget: report.builtOnTarget.map((b) => ({
            ...b,
            seconds: Math.round(b.seconds * 1000) / 1000,
          })),
        }),
    ...(report.installer === undefined ? {} : { installer: { ...report.installer } }),
    seconds: Math.round(report.seconds * 1000) / 1000,
  };
}

/** Two-space JSON with a trailing newline: the exact bytes that are signed. */
export function formatReceipt(receipt: Receipt): string {
  return `${JSON.stringify(receipt, null, 2)}\n`;
}

export const receiptSignaturePaths = (path: string): { minisig: string; sm2: string } => ({
  minisig: `${path}.minisig`,
  sm2: `${path}.sm2.sig`,
});

/**
 * Writes the receipt (temp file + rename) and, with a key, its detached signature beside it.
 * A signature file of the other algorithm left from an earlier receipt at the same path is
 * removed, so a signature never sits next to bytes it does not cover.
 */
export async function writeReceipt(
  path: string,
  receipt: Receipt,
  key?: SecretKey,
): Promise<{ path: string; signature?: string }> {
  const signed: Receipt =
    key === undefined
      ? receipt
      : { ...receipt, signedBy: { algorithm: key.algorithm, keyId: key.keyId } };
  const bytes = Buffer.from(formatReceipt(signed), 'utf8');
  const sigs = receiptSignaturePaths(path);
  await rm(sigs.minisig, { force: true });
  await rm(sigs.sm2, { force: true });
  await writeFileAtomic(path, bytes);
  if (key === undefined) return { path };
  const signature = createSignature(bytes, key, {
    trustedComment: `ferry install receipt: ${signed.outcome}, bundle sha256 ${signed.bundle.sha256}, ${signed.createdAt}`,
  });
  const sigPath = key.algorithm === 'ed25519' ? sigs.minisig : sigs.sm2;
  await writeFileAtomic(sigPath, signature.bytes);
  return { path, signature: sigPath };
}

export interface ReceiptCheck {
  readonly receipt: Receipt;
  /** false when no trusted key was given: only the structure was checked. */
  readonly signatureChecked: boolean;
  /** The signature files found beside the receipt. */
  readonly signatureFiles: readonly string[];
  /** The trusted key that signed it, when checked. */
  readonly signer?: { readonly name: string; readonly keyId: string; readonly algorithm: string };
}

/** Parses a receipt's bytes; ERR_FERRY_BAD_RECEIPT names every bad field. */
export function parseReceipt(bytes: Uint8Array | string, source: string): Receipt {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_BAD_RECEIPT',
      `${source} is not JSON: ${(error as Error).message}`,
      {
        hint: 'A receipt is the JSON that `ferry install --receipt FILE` writes; this file was changed or is something else.',
      },
    );
  }
  const parsed = receiptSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(top level)'}: ${i.message}`,
    );
    throw new FerryError(
      'ERR_FERRY_BAD_RECEIPT',
      `${source} is not a valid ferry receipt: ${problems.join('; ')}`,
      {
        hint: `This ferry reads receipt format ${RECEIPT_FORMAT_VERSION}; the file was changed or written by another tool.`,
        details: { problems },
      },
    );
  }
  return parsed.data;
}

/**
 * Checks a receipt's structure and, with trusted keys, its signature (fails closed): a damaged
 * signature or one by a trusted key that does not match is ERR_FERRY_TAMPERED; no valid
 * signature by a trusted key is ERR_FERRY_UNTRUSTED.
 */
export async function verifyReceipt(
  path: string,
  trustedKeys: readonly TrustedKey[] = [],
): Promise<ReceiptCheck> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `cannot read the receipt "${path}": ${error.code ?? error.message}`,
      { hint: 'Give the receipt file that ferry install --receipt FILE wrote.' },
    );
  });
  const receipt = parseReceipt(bytes, path);
  const sigs = receiptSignaturePaths(path);
  const files: SignatureFile[] = [];
  const found: string[] = [];
  const keyId = receipt.signedBy?.keyId ?? 'UNKNOWN';
  for (const [sigPath, name] of [
    [sigs.minisig, `${keyId}.minisig`],
    [sigs.sm2, `${keyId}.sm2.sig`],
  ] as const) {
    if ((await lstat(sigPath).catch(() => undefined)) === undefined) continue;
    found.push(sigPath);
    files.push({ name, bytes: await readFile(sigPath) });
  }
  if (trustedKeys.length === 0) return { receipt, signatureChecked: false, signatureFiles: found };
  if (files.length === 0) {
    throw new FerryError(
      'ERR_FERRY_UNTRUSTED',
      `${path} is not signed (no ${basename(sigs.minisig)} or ${basename(sigs.sm2)} beside it).`,
      {
        hint: 'Ask for the receipt to be written with `ferry install --key KEY`, or check it without --trusted-key (structure only).',
      },
    );
  }
  const report = checkSignatures(bytes, files, trustedKeys);
  if (report.corrupt.length > 0 || report.invalid.length > 0) {
    const lines = [
      ...report.corrupt.map((c) => `damaged signature: ${c.reason}`),
      ...report.invalid.map(
        (i) =>
          `the signature by trusted key "${i.signer}" (${i.keyId}) does not match: ${i.reason}`,
      ),
    ];
    throw new FerryError(
      'ERR_FERRY_TAMPERED',
      `${path} was changed after it was signed: ${lines.join('; ')}`,
      {
        hint: 'Do not rely on this receipt; ask for a fresh one from the target host.',
        details: { ...report },
      },
    );
  }
  const valid = report.valid[0];
  if (valid === undefined) {
    const unknown = report.unknown.map((u) => `${u.keyId} (${u.algorithm})`).join(', ');
    throw new FerryError(
      'ERR_FERRY_UNTRUSTED',
      `${path} is signed, but not by a key you trust${unknown === '' ? '' : `: ${unknown}`}.`,
      {
        hint: "Name the signer's public key with --trusted-key, after checking it out of band.",
        details: { ...report },
      },
    );
  }
  if (receipt.signedBy !== undefined && receipt.signedBy.keyId !== valid.keyId) {
    throw new FerryError(
      'ERR_FERRY_TAMPERED',
      `${path} says it was signed by ${receipt.signedBy.keyId}, but the signature is by ${valid.keyId}.`,
      {
        hint: 'Do not rely on this receipt; ask for a fresh one from the target host.',
      },
    );
  }
  return {
    receipt,
    signatureChecked: true,
    signatureFiles: found,
    signer: { name: valid.signer, keyId: valid.keyId, algorithm: valid.algorithm },
  };
}
