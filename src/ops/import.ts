/**
 * The import use case: a bundle carried across the air gap becomes part of the intranet index.
 * It is verified exactly as `ferry verify` verifies it (src/bundle/verify.ts: every file, the
 * closure, signatures from keys the user names; failing closed, so no key means exit 7), then
 * published as one new generation of the store (src/server/store). Where it lands follows
 * store.json: with as many distinct trusted signers as `approved` requires it goes there; with
 * fewer it waits in `incoming` for `ferry approve`.
 *
 * Importing the same bundle again (same SHA256SUMS, no new signer) writes nothing. A killed
 * import leaves the store as it was, or with the whole bundle published: files go in before
 * the generation that names them, and the generation is switched in by one rename (store.ts).
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Policy } from '../audit/policy.js';
import {
  describeBaseFile,
  type Manifest,
  type ManifestFile,
  parseManifest,
} from '../bundle/manifest.js';
import type { OpenedBundle } from '../bundle/open.js';
import { verifyBundle } from '../bundle/verify.js';
import { BUNDLE_FILES } from '../bundle/write-folder.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { findMetadataEntry, readZipEntries, readZipEntry } from '../index/wheel-metadata.js';
import { readConfig, requiredSigners } from '../server/store/config.js';
import type { Catalog, CatalogBundle, PublishFile, StoreConfig } from '../server/store/index.js';
import { defaultActor, openIndexStore, type WritableIndexStore } from '../server/store/store.js';
import { parseMetadataHeaders } from '../standards/metadata.js';
import { loadTrustedKeys, parseTrustFile, type TrustedKey } from '../trust/keys.js';
import { enforcePolicyOnBundle } from './audit.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

export interface ImportRequest {
  /** A bundle folder, a NAME.ferry.tar, its first volume or its volumes.json. */
  readonly bundle: string;
  readonly store: string;
  /** --trusted-key and --trust-file files (store.json's trustedKeys count too). */
  readonly keyFiles: readonly string[];
  /** The index to publish into (default: store.json's `approved`). */
  readonly index?: string;
  /** Who imports, for the audit log (default: the OS user). */
  readonly actor?: string;
  /**
   * `--policy ferry-policy.toml`: the gate `audit`, `bundle` and `install` apply, checked on the
   * verified bundle before anything is written (docs/audit.md). A refusal publishes nothing.
   */
  readonly policy?: Policy;
  readonly open?: OpenBundle;
  readonly events?: EventSink;
  readonly now?: () => Date;
}

export interface ImportResult {
  readonly store: string;
  readonly bundle: { readonly name: string; readonly digest: string };
  /** Where the bundle is published now. */
  readonly index: string;
  readonly state: CatalogBundle['state'];
  readonly generation: number;
  /** false: the store held this bundle already; nothing was written. */
  readonly changed: boolean;
  readonly added: number;
  readonly files: number;
  readonly signers: readonly string[];
  readonly signerNames: readonly string[];
  /** Signers the requested index needs. */
  readonly required: number;
}

/** A bundle's name as the user knows it: the folder, or the archive without its suffixes. */
export const bundleNameOf = (path: string): string =>
  basename(path.replace(/[\\/]+$/, '')).replace(/\.ferry\.tar(\.[0-9]{3}|\.volumes\.json)?$/, '');

/** store.json's trustedKeys as keys (their lines are a trust file's). */
export function storeTrustedKeys(config: StoreConfig | undefined): TrustedKey[] {
  if (config === undefined || config.trustedKeys.length === 0) return [];
  return parseTrustFile(config.trustedKeys.join('\n'), 'store.json trustedKeys');
}

/** Keys from the command line first; a key listed twice (same id) counts once. */
export function mergeKeys(...lists: readonly TrustedKey[][]): TrustedKey[] {
  const out: TrustedKey[] = [];
  for (const key of lists.flat()) if (!out.some((k) => k.keyId === key.keyId)) out.push(key);
  return out;
}

/** A wheel's METADATA bytes as they are in the archive (PEP 658 serves exactly these). */
async function wheelMetadataBytes(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const reader = {
      size,
      label: path,
      async read(start: number, length: number): Promise<Buffer> {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
        const { bytesRead } = await handle.read(buf, 0, buf.length, start);
        return buf.subarray(0, bytesRead);
      },
    };
    const entries = await readZipEntries(reader);
    return await readZipEntry(reader, findMetadataEntry(entries, path));
  } finally {
    await handle.close();
  }
}

/**
 * The files a bundle's manifest lists, as the store publishes them; `locate` says where each
 * one's bytes are (in the bundle folder, or already in the store).
 */
export async function publishFiles(
  manifestText: string,
  uploadTime: string,
  locate: (file: ManifestFile) => string,
): Promise<PublishFile[]> {
  const manifest = parseManifest(manifestText, BUNDLE_FILES.manifest);
  const files: PublishFile[] = [];
  for (const file of manifest.files) {
    const path = locate(file);
    const filename = basename(file.path);
    const pkg = manifest.packages.find((p) => p.name === file.name && p.version === file.version);
    let coreMetadata: Buffer | undefined;
    let requiresPython: string | undefined;
    if (filename.endsWith('.whl')) {
      coreMetadata = await wheelMetadataBytes(path);
      requiresPython = parseMetadataHeaders(coreMetadata.toString('utf8'))
        .fields.get('requires-python')?.[0]
        ?.trim();
    }
    files.push({
      path,
      filename,
      sha256: file.sha256,
      size: file.size,
      uploadTime,
      project: file.name,
      ...(coreMetadata === undefined ? {} : { coreMetadata }),
      ...(requiresPython === undefined || requiresPython === '' ? {} : { requiresPython }),
      ...(pkg?.yanked === undefined ? {} : { yanked: pkg.yanked }),
    });
  }
  return files;
}

/** SHA256SUMS, manifest.json and the signatures: what a reviewer re-checks and countersigns. */
async function signedFiles(dir: string): Promise<{ name: string; bytes: Buffer }[]> {
  const out = [];
  for (const name of [BUNDLE_FILES.sums, BUNDLE_FILES.manifest])
    out.push({ name, bytes: await readFile(join(dir, name)) });
  const sigDir = join(dir, BUNDLE_FILES.signatures);
  for (const name of (await readdir(sigDir).catch(() => [] as string[])).sort())
    out.push({
      name: `${BUNDLE_FILES.signatures}/${name}`,
      bytes: await readFile(join(sigDir, name)),
    });
  return out;
}

/** Refuses a delta whose base files are not in the store's `indexes`, naming each one missing. */
export function checkDeltaBase(
  manifest: Manifest,
  catalog: Catalog,
  indexes: readonly string[],
  name: string,
  store: string,
): void {
  const baseFiles = manifest.baseFiles ?? [];
  if (baseFiles.length === 0) return;
  const have = new Set<string>();
  for (const index of indexes)
    for (const project of Object.values(catalog.indexes[index]?.projects ?? {}))
      for (const f of project.files) have.add(f.sha256);
  const missing = baseFiles.filter((f) => !have.has(f.sha256));
  if (missing.length === 0) return;
  const bundles = new Set(missing.map((f) => f.bundle).filter((b) => b !== undefined));
  const named = (manifest.base?.bundles ?? []).filter(
    (b) => bundles.has(b.name) || bundles.size === 0,
  );
  throw new FerryError(
    'ERR_FERRY_DELTA_BASE_MISSING',
    `${name} is a delta bundle and the store ${store} lacks ${missing.length} of the ${baseFiles.length} file(s) it builds on` +
      (named.length > 0
        ? `; import ${named.map((b) => `${b.name} (${b.digest.slice(0, 12)})`).join(', ')} first`
        : manifest.base?.inventory !== undefined
          ? `; it was made against the inventory ${manifest.base.inventory.slice(0, 12)}, which this store does not match`
          : '') +
      `:\n  ${missing.map(describeBaseFile).join('\n  ')}`,
    {
      hint: 'Import the bundle(s) it builds on first, or carry a full bundle (ferry bundle without --since).',
      details: { missing: missing.map((f) => f.filename) },
    },
  );
}

export async function importBundle(request: ImportRequest): Promise<ImportResult> {
  // Keys first: a typo in a key path is reported before an archive is unpacked.
  const given = await loadTrustedKeys([...request.keyFiles]);
  const existingConfig = await readConfig(request.store).catch(() => undefined);
  const trustedKeys = mergeKeys(given, storeTrustedKeys(existingConfig));
  const opened: OpenedBundle = await (request.open ?? defaultOpenBundle)(request.bundle);
  try {
    const report = await verifyBundle(opened.dir, {
      trustedKeys,
      requireSigners: 1,
      allowUnsigned: false,
      label: opened.label,
    });
    const now = request.now?.() ?? new Date();
    // The policy gate comes after verification (the rules are judged on what the signers
    // vouched for) and before the store is opened, so a refusal writes nothing, not even a new store.
    if (request.policy !== undefined)
      await enforcePolicyOnBundle(request.policy, opened.dir, opened.label, {
        stage: 'audit',
        now,
      });
    const sums = await readFile(join(opened.dir, BUNDLE_FILES.sums));
    const digest = createHash('sha256').update(sums).digest('hex');
    const name = bundleNameOf(request.bundle);
    const actor = request.actor ?? defaultActor();
    const time = now.toISOString();
    const store = await openIndexStore(request.store, { create: true, actor });
    const config = store.config;
    const wanted = request.index ?? config.approved;
    if (config.indexes[wanted] === undefined)
      throw new FerryError(
        'ERR_FERRY_UNKNOWN_INDEX',
        `the store ${request.store} has no index "${wanted}"`,
        {
          hint: `Its indexes: ${Object.keys(config.indexes).join(', ')}. Add one to store.json's "indexes" to make it.`,
        },
      );
    // The policy's signers rule raises what `approved` needs: with fewer trusted signers the
    // bundle waits in incoming for `ferry approve`, as with store.json's own rule.
    const required = Math.max(
      requiredSigners(config, wanted),
      wanted === config.incoming ? 0 : (request.policy?.signatures.requiredSigners ?? 0),
    );
    const signerKeys = new Map<string, string>();
    for (const v of report.signatures.valid) signerKeys.set(v.keyId, v.signer);

    const { catalog } = await store.current();
    const known = catalog.bundles[digest];
    // Signers counted at an earlier import stay counted: they were verified then.
    known?.signers.forEach((id, i) => {
      if (!signerKeys.has(id)) signerKeys.set(id, known.signerNames[i] ?? id);
    });
    const signers = [...signerKeys.keys()].sort();
    const signerNames = signers.map((id) => signerKeys.get(id)!);
    const enough = signers.length >= required;
    const index = enough ? wanted : config.incoming;
    const state: CatalogBundle['state'] = index === config.incoming ? 'incoming' : 'approved';
    const manifestText = (await readFile(join(opened.dir, BUNDLE_FILES.manifest))).toString('utf8');
    // A delta (docs/deltas.md) is published only onto its base: every file it relies on but
    // does not carry must be in the index it lands in (or in approved, for one that waits).
    checkDeltaBase(
      parseManifest(manifestText, `manifest.json in ${opened.label}`),
      catalog,
      [index, config.approved],
      name,
      request.store,
    );
    const files = await publishFiles(manifestText, time, (file) => join(opened.dir, file.path));
    const result = (
      generation: number,
      changed: boolean,
      added: number,
      at: string,
      st: CatalogBundle['state'],
    ): ImportResult => ({
      store: store.dir,
      bundle: { name, digest },
      index: at,
      state: st,
      generation,
      changed,
      added,
      files: files.length,
      signers,
      signerNames,
      required,
    });
    // The same bundle with no new signer: say so and write nothing.
    if (
      known !== undefined &&
      known.signers.length === signers.length &&
      (known.state === 'approved' || !enough)
    ) {
      return result((await store.current()).generation, false, 0, known.index, known.state);
    }

    await store.keepBundleFiles(digest, await signedFiles(opened.dir));
    let sbom: string | undefined;
    const sbomBytes = await readFile(join(opened.dir, BUNDLE_FILES.sbom)).catch(() => undefined);
    if (sbomBytes !== undefined) sbom = (await store.putBytes(sbomBytes, BUNDLE_FILES.sbom)).url;
    const record: CatalogBundle = {
      name,
      digest,
      index,
      state,
      signers,
      signerNames,
      required,
      actor,
      time,
      files: files.length,
      ...(sbom === undefined ? {} : { sbom }),
    };
    const changed = await (store as WritableIndexStore).change({
      add: [
        {
          index,
          files,
          provenance: { kind: 'bundle', bundle: { name, digest }, signers, actor, time },
        },
      ],
      // A countersigned copy of a bundle waiting in incoming moves it out of the queue.
      remove:
        known?.state === 'incoming' && index !== config.incoming
          ? [{ index: config.incoming, bundleDigest: digest }]
          : [],
      bundle: record,
      audit: { time, actor, action: 'import', index, bundle: { name, digest }, signers },
    });
    return result(changed.generation, changed.changed, changed.added, index, state);
  } finally {
    await opened.cleanup();
  }
}
