/**
 * What `ferry install` checks of a bundle before anything is made: its manifest, its files
 * against the manifest, its signatures (failing closed, as `ferry verify` and install.py do),
 * and the identity a receipt records for it.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { type Manifest, parseManifest } from '../bundle/manifest.js';
import { verifyBundle } from '../bundle/verify.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { hashFile } from '../core/hash-file.js';
import type { TrustedKey } from '../trust/keys.js';
import { bundleFactsFromManifest } from './doctor.js';

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
