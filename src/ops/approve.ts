/**
 * The approve use case: a reviewer countersigns a bundle waiting in the store's `incoming`
 * index, with the same signature format `ferry sign` writes into bundles (a detached signature
 * over the bundle's SHA256SUMS, src/trust/verify-signatures.ts), kept beside the bundle's
 * record in the store. The signers are counted again against the keys the store trusts; when
 * they reach what `approved` requires (store.json), the bundle's files move from `incoming`
 * to `approved` in one generation. Every approval is in the audit log, promoted or not.
 *
 * The reviewer's key must be one the store trusts (store.json `trustedKeys`, or
 * --trusted-key): a signature by a key nobody named would not count, so it is refused before
 * anything is written (exit 7).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILES } from '../bundle/write-folder.js';
import { FerryError } from '../core/errors.js';
import { requiredSigners } from '../server/store/config.js';
import type { CatalogBundle } from '../server/store/index.js';
import { fileUrl } from '../server/store/layout.js';
import { defaultActor, openIndexStore } from '../server/store/store.js';
import { loadSecretKey, loadTrustedKeys } from '../trust/keys.js';
import {
  checkSignatures,
  createSignature,
  type SignatureFile,
} from '../trust/verify-signatures.js';
import { mergeKeys, publishFiles, storeTrustedKeys } from './import.js';

export interface ApproveRequest {
  readonly store: string;
  /** The bundle: its digest (SHA-256 of SHA256SUMS), a prefix of 8 or more hex digits, or its name. */
  readonly bundle: string;
  /** The reviewer's secret key. */
  readonly keyPath: string;
  /** More keys to trust (--trusted-key / --trust-file), besides store.json's. */
  readonly keyFiles?: readonly string[];
  readonly actor?: string;
  readonly now?: () => Date;
}

export interface ApproveResult {
  readonly bundle: { readonly name: string; readonly digest: string };
  readonly reviewer: string;
  readonly signers: readonly string[];
  readonly signerNames: readonly string[];
  readonly required: number;
  readonly state: CatalogBundle['state'];
  readonly index: string;
  readonly generation: number;
  /** The bundle moved to `approved` by this approval. */
  readonly promoted: boolean;
  /** The reviewer had signed it before (no new signature). */
  readonly alreadySigned: boolean;
  /** Nothing changed in the store (it was approved already). */
  readonly changed: boolean;
}

/** The bundle a user named, by digest, digest prefix or name; refuses an ambiguous name. */
export function findBundle(
  bundles: Readonly<Record<string, CatalogBundle>>,
  wanted: string,
): CatalogBundle {
  const all = Object.values(bundles);
  const text = wanted.toLowerCase();
  const byDigest = /^[0-9a-f]{8,64}$/.test(text)
    ? all.filter((b) => b.digest.startsWith(text))
    : [];
  const matches = byDigest.length > 0 ? byDigest : all.filter((b) => b.name === wanted);
  // Of several imports named alike, only those still waiting are meant.
  const waiting = matches.filter((b) => b.state === 'incoming');
  const pick = matches.length > 1 && waiting.length > 0 ? waiting : matches;
  if (pick.length === 1) return pick[0]!;
  if (pick.length === 0)
    throw new FerryError('ERR_FERRY_UNKNOWN_BUNDLE', `the store has no bundle "${wanted}"`, {
      hint:
        all.length === 0
          ? 'Nothing has been imported into this store yet ("ferry import").'
          : `Bundles waiting: ${
              all
                .filter((b) => b.state === 'incoming')
                .map((b) => `${b.name} (${b.digest.slice(0, 12)})`)
                .join(', ') || 'none'
            }. Name one by its digest or name.`,
    });
  throw new FerryError('ERR_FERRY_UNKNOWN_BUNDLE', `"${wanted}" names ${pick.length} bundles`, {
    hint: `Name one by its digest: ${pick.map((b) => `${b.digest.slice(0, 12)} (${b.state})`).join(', ')}.`,
  });
}

export async function approveBundle(request: ApproveRequest): Promise<ApproveResult> {
  const secret = await loadSecretKey(request.keyPath);
  const given = await loadTrustedKeys([...(request.keyFiles ?? [])]);
  const store = await openIndexStore(request.store);
  const trusted = mergeKeys(given, storeTrustedKeys(store.config));
  if (!trusted.some((k) => k.keyId === secret.keyId))
    throw new FerryError(
      'ERR_FERRY_UNTRUSTED',
      `the reviewer key ${secret.keyId} (${request.keyPath}) is not one this store trusts, so its signature would not count`,
      {
        hint: 'Add the reviewer\'s public key to store.json "trustedKeys" (the line "ferry keygen" prints), or pass --trusted-key REVIEWER.pub.',
      },
    );
  const { catalog } = await store.current();
  const record = findBundle(catalog.bundles, request.bundle);
  const config = store.config;
  const required = requiredSigners(config, config.approved);
  const base = {
    bundle: { name: record.name, digest: record.digest },
    reviewer: secret.keyId,
    required,
  };
  if (record.state === 'approved' && record.signers.includes(secret.keyId))
    return {
      ...base,
      signers: record.signers,
      signerNames: record.signerNames,
      state: record.state,
      index: record.index,
      generation: catalog.generation,
      promoted: false,
      alreadySigned: true,
      changed: false,
    };

  // The kept SHA256SUMS must still be the bytes the digest names before anyone signs it.
  const dir = store.bundleDir(record.digest);
  const sums = await readFile(join(dir, BUNDLE_FILES.sums));
  const actual = createHash('sha256').update(sums).digest('hex');
  if (actual !== record.digest)
    throw new FerryError(
      'ERR_FERRY_STORE_DAMAGED',
      `${join(dir, BUNDLE_FILES.sums)} has SHA-256 ${actual}, not the ${record.digest} it was imported with`,
      { hint: 'Do not approve it. Import the bundle again from its source media.' },
    );
  const signature = createSignature(sums, secret, {
    trustedComment: `file:${BUNDLE_FILES.sums} sha256:${record.digest}`,
  });
  const sigDir = join(dir, BUNDLE_FILES.signatures);
  const before = await readdir(sigDir).catch(() => [] as string[]);
  const alreadySigned = before.includes(signature.name);
  if (!alreadySigned)
    await store.keepBundleFiles(record.digest, [
      { name: `${BUNDLE_FILES.signatures}/${signature.name}`, bytes: signature.bytes },
    ]);
  const files: SignatureFile[] = [];
  for (const name of (await readdir(sigDir)).sort())
    files.push({ name, bytes: await readFile(join(sigDir, name)) });
  const report = checkSignatures(sums, files, trusted);
  const names = new Map<string, string>();
  record.signers.forEach((id, i) => {
    names.set(id, record.signerNames[i] ?? id);
  });
  for (const v of report.valid) if (!names.has(v.keyId)) names.set(v.keyId, v.signer);
  if (!names.has(secret.keyId))
    throw new FerryError(
      'ERR_FERRY_BAD_SIGNATURE',
      `the new signature by ${secret.keyId} does not verify`,
      {
        hint: `Remove ${join(sigDir, signature.name)} and approve again.`,
      },
    );
  const signers = [...names.keys()].sort();
  const signerNames = signers.map((id) => names.get(id)!);
  const promote = record.state === 'incoming' && signers.length >= required;
  const actor = request.actor ?? defaultActor();
  const time = (request.now?.() ?? new Date()).toISOString();
  const updated: CatalogBundle = {
    ...record,
    signers,
    signerNames,
    required,
    ...(promote ? { state: 'approved' as const, index: config.approved } : {}),
  };
  const manifestText = await readFile(join(dir, BUNDLE_FILES.manifest), 'utf8');
  const add = promote
    ? [
        {
          index: config.approved,
          // The files are in the store already (imported into incoming): published from there.
          files: await publishFiles(manifestText, time, (file) =>
            join(store.dir, fileUrl(file.sha256, file.path.split('/').pop()!)),
          ),
          provenance: {
            kind: 'bundle' as const,
            bundle: base.bundle,
            signers,
            actor: record.actor,
            time: record.time,
          },
        },
      ]
    : [];
  const result = await store.change({
    add,
    remove: promote ? [{ index: config.incoming, bundleDigest: record.digest }] : [],
    bundle: updated,
    audit: {
      time,
      actor,
      action: 'approve',
      index: updated.index,
      bundle: base.bundle,
      signers,
      reviewer: secret.keyId,
      ...(promote ? { note: `promoted from ${config.incoming} to ${config.approved}` } : {}),
    },
  });
  return {
    ...base,
    signers,
    signerNames,
    state: updated.state,
    index: updated.index,
    generation: result.generation,
    promoted: promote,
    alreadySigned,
    changed: result.changed,
  };
}
