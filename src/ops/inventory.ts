/**
 * `ferry inventory`: what a place already has — an intranet index store, a venv, or a set of
 * bundles — as one small, deterministic JSON file (docs/deltas.md). Carried back across the air
 * gap, it is what `ferry bundle --since inventory.json` subtracts, so a delta carries only the
 * files the other side lacks. With a key it is signed like a bundle's SHA256SUMS: a detached
 * minisign (`inventory.json.minisig`) or SM2 (`inventory.json.sm2.sig`) signature beside it.
 *
 * What each place can say:
 *   - a store: every file of one index (default `approved`) with its SHA-256 and the bundle
 *     that brought it, and the bundles published there;
 *   - bundles: each bundle's files (manifest.json) and its digest (SHA-256 of SHA256SUMS);
 *   - a venv: each installed distribution (*.dist-info: METADATA's name and version, WHEEL's
 *     tags, the SHA-256 of RECORD, INSTALLER). A venv does not keep the wheel it was installed
 *     from, so a file name and SHA-256 are known only where direct_url.json records them
 *     (PEP 610 archive_info.hashes: an install from a file or URL).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseManifest } from '../bundle/manifest.js';
import { BUNDLE_FILES } from '../bundle/write-folder.js';
import { FerryError } from '../core/errors.js';
import { parseMetadataHeaders } from '../standards/metadata.js';
import { normalizeName } from '../standards/name.js';
import { writeFileAtomic } from '../store/index.js';
import type { SecretKey, TrustedKey } from '../trust/keys.js';
import { checkSignatures, createSignature } from '../trust/verify-signatures.js';
import { bundleNameOf } from './import.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const inventoryFileSchema = z.object({
  /** The project's PEP 503 normalized name. */
  project: z.string(),
  version: z.string(),
  filename: z.string(),
  sha256: hex64,
  size: z.number().int().nonnegative().optional(),
  /** The bundle that brought it (a store's provenance, or the bundle itself). */
  bundle: z.string().optional(),
});

const installedSchema = z.object({
  project: z.string(),
  version: z.string(),
  /** WHEEL's Tag lines (PEP 427), sorted. */
  tags: z.array(z.string()),
  /** SHA-256 of the dist-info's RECORD: which files were installed, by their hashes. */
  record: hex64.optional(),
  /** INSTALLER (pip, uv, ...). */
  installer: z.string().optional(),
  /** From direct_url.json, when it names an archive: the wheel's file name and SHA-256. */
  filename: z.string().optional(),
  sha256: hex64.optional(),
});

export const inventorySchema = z.object({
  formatVersion: z.literal(1),
  kind: z.literal('ferry-inventory'),
  source: z.enum(['store', 'bundles', 'venv']),
  /** The store's index the files are from (source "store"). */
  index: z.string().optional(),
  /** Bundles the place holds: name and the SHA-256 of their SHA256SUMS. */
  bundles: z.array(z.object({ name: z.string(), digest: hex64 })),
  /** Files known by name and SHA-256. */
  files: z.array(inventoryFileSchema),
  /** Only for a venv: what is installed. */
  installed: z.array(installedSchema).optional(),
});

export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryFile = z.infer<typeof inventoryFileSchema>;
export type InstalledDist = z.infer<typeof installedSchema>;

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Stable text: sorted lists, fixed key order, two-space indent, trailing newline. */
export function formatInventory(inventory: Inventory): string {
  const files = [...inventory.files]
    .map((f) => ({
      project: f.project,
      version: f.version,
      filename: f.filename,
      sha256: f.sha256,
      ...(f.size === undefined ? {} : { size: f.size }),
      ...(f.bundle === undefined ? {} : { bundle: f.bundle }),
    }))
    .sort((a, b) => byteOrder(a.filename, b.filename) || byteOrder(a.sha256, b.sha256));
  const ordered: Inventory = {
    formatVersion: 1,
    kind: 'ferry-inventory',
    source: inventory.source,
    ...(inventory.index === undefined ? {} : { index: inventory.index }),
    bundles: [...inventory.bundles]
      .map((b) => ({ name: b.name, digest: b.digest }))
      .sort((a, b) => byteOrder(a.digest, b.digest)),
    files,
    ...(inventory.installed === undefined
      ? {}
      : {
          installed: [...inventory.installed].sort(
            (a, b) => byteOrder(a.project, b.project) || byteOrder(a.version, b.version),
          ),
        }),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export function parseInventory(text: string, source: string): Inventory {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_BAD_INVENTORY',
      `${source} is not JSON: ${(error as Error).message}`,
      {
        hint: 'Give the file "ferry inventory -o" wrote.',
      },
    );
  }
  const parsed = inventorySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FerryError(
      'ERR_FERRY_BAD_INVENTORY',
      `${source} is not a ferry inventory: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      { hint: 'Give the file "ferry inventory -o" wrote (format 1).' },
    );
  }
  return parsed.data;
}

/** A store's index: every file with the bundle that brought it, and the bundles published there. */
export async function inventoryOfStore(dir: string, index?: string): Promise<Inventory> {
  // Imported lazily: the store's module is only needed for this source.
  const { openIndexStore } = await import('../server/store/store.js');
  const store = await openIndexStore(dir);
  const wanted = index ?? store.config.approved;
  const { catalog } = await store.current();
  const data = catalog.indexes[wanted];
  if (data === undefined)
    throw new FerryError('ERR_FERRY_UNKNOWN_INDEX', `the store ${dir} has no index "${wanted}"`, {
      hint: `Its indexes: ${Object.keys(catalog.indexes).join(', ')}.`,
    });
  const files: InventoryFile[] = [];
  for (const [key, project] of Object.entries(data.projects))
    for (const f of project.files)
      files.push({
        project: key,
        version: f.version,
        filename: f.filename,
        sha256: f.sha256,
        size: f.size,
        ...(f.provenance.bundle === undefined ? {} : { bundle: f.provenance.bundle.name }),
      });
  const bundles = Object.values(catalog.bundles)
    .filter((b) => b.index === wanted)
    .map((b) => ({ name: b.name, digest: b.digest }));
  return {
    formatVersion: 1,
    kind: 'ferry-inventory',
    source: 'store',
    index: wanted,
    bundles,
    files,
  };
}

/** Bundles (folders or archives): each one's files and digest, from manifest.json and SHA256SUMS. */
export async function inventoryOfBundles(
  paths: readonly string[],
  open: OpenBundle = defaultOpenBundle,
): Promise<Inventory> {
  const files: InventoryFile[] = [];
  const bundles: Inventory['bundles'] = [];
  for (const path of paths) {
    const opened = await open(path);
    try {
      const name = bundleNameOf(path);
      const sums = await readFile(join(opened.dir, BUNDLE_FILES.sums));
      bundles.push({ name, digest: createHash('sha256').update(sums).digest('hex') });
      const manifest = parseManifest(
        await readFile(join(opened.dir, BUNDLE_FILES.manifest), 'utf8'),
        `manifest.json in ${opened.label}`,
      );
      for (const f of manifest.files)
        files.push({
          project: normalizeName(f.name),
          version: f.version,
          filename: f.path.slice(f.path.lastIndexOf('/') + 1),
          sha256: f.sha256,
          size: f.size,
          bundle: name,
        });
    } finally {
      await opened.cleanup();
    }
  }
  return { formatVersion: 1, kind: 'ferry-inventory', source: 'bundles', bundles, files };
}

/** The dist-info folders of a venv: lib/pythonX.Y/site-packages (and lib64 when it differs). */
async function distInfoFolders(venv: string): Promise<string[]> {
  const out = new Map<string, string>();
  for (const lib of ['lib', 'lib64']) {
    const pythons = await readdir(join(venv, lib)).catch(() => [] as string[]);
    for (const py of pythons.filter((p) => /^(python|pypy)/.test(p))) {
      const site = join(venv, lib, py, 'site-packages');
      for (const entry of await readdir(site).catch(() => [] as string[])) {
        if (!entry.endsWith('.dist-info')) continue;
        // lib64 is usually a link to lib: the same dist-info once.
        if (!out.has(`${py}/${entry}`)) out.set(`${py}/${entry}`, join(site, entry));
      }
    }
  }
  return [...out.values()];
}

/** A venv's installed distributions (see the module comment for what a venv cannot say). */
export async function inventoryOfVenv(venv: string): Promise<Inventory> {
  const cfg = await stat(join(venv, 'pyvenv.cfg')).catch(() => undefined);
  if (cfg === undefined)
    throw new FerryError('ERR_FERRY_NOT_A_VENV', `"${venv}" is not a venv (no pyvenv.cfg).`, {
      hint: 'Give the venv folder (the one holding pyvenv.cfg), a store folder or bundles.',
    });
  const installed: InstalledDist[] = [];
  const files: InventoryFile[] = [];
  for (const dir of await distInfoFolders(venv)) {
    const metadata = await readFile(join(dir, 'METADATA'), 'utf8').catch(() => undefined);
    if (metadata === undefined) continue;
    const fields = parseMetadataHeaders(metadata).fields;
    const name = fields.get('name')?.[0]?.trim();
    const version = fields.get('version')?.[0]?.trim();
    if (name === undefined || version === undefined) continue;
    const wheel = await readFile(join(dir, 'WHEEL'), 'utf8').catch(() => '');
    const tags = [...wheel.matchAll(/^Tag:\s*(\S+)\s*$/gm)].map((m) => m[1]!).sort(byteOrder);
    const record = await readFile(join(dir, 'RECORD')).catch(() => undefined);
    const installer = (await readFile(join(dir, 'INSTALLER'), 'utf8').catch(() => '')).trim();
    const direct = await directArchive(dir);
    const project = normalizeName(name);
    installed.push({
      project,
      version,
      tags,
      ...(record === undefined
        ? {}
        : { record: createHash('sha256').update(record).digest('hex') }),
      ...(installer === '' ? {} : { installer }),
      ...(direct ?? {}),
    });
    if (direct !== undefined) files.push({ project, version, ...direct });
  }
  return {
    formatVersion: 1,
    kind: 'ferry-inventory',
    source: 'venv',
    bundles: [],
    files,
    installed,
  };
}

/**
 * PEP 610 direct_url.json: for an install from an archive (a wheel file or URL), the file name
 * is the URL's last segment and `archive_info.hashes.sha256` (or the older `hash`) its digest.
 */
async function directArchive(
  dir: string,
): Promise<{ filename: string; sha256: string } | undefined> {
  const text = await readFile(join(dir, 'direct_url.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const json = JSON.parse(text) as {
      url?: unknown;
      archive_info?: { hashes?: Record<string, unknown>; hash?: unknown };
    };
    if (typeof json.url !== 'string' || json.archive_info === undefined) return undefined;
    const filename = decodeURIComponent(
      json.url.split(/[?#]/, 1)[0]!.slice(json.url.lastIndexOf('/') + 1),
    );
    const fromHashes = json.archive_info.hashes?.sha256;
    const legacy = /^sha256=([0-9a-f]{64})$/.exec(String(json.archive_info.hash ?? ''))?.[1];
    const sha256 = typeof fromHashes === 'string' ? fromHashes : legacy;
    if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256) || !filename.endsWith('.whl'))
      return undefined;
    return { filename, sha256 };
  } catch {
    return undefined;
  }
}

export interface InventoryRequest {
  /** A store folder, a venv folder, or bundles (folders or archives). */
  readonly places: readonly string[];
  readonly index?: string;
  readonly open?: OpenBundle;
}

/** What the places are decides the source: store.json → a store, pyvenv.cfg → a venv, else bundles. */
export async function takeInventory(request: InventoryRequest): Promise<Inventory> {
  const [first, ...rest] = request.places;
  if (first === undefined)
    throw new FerryError('ERR_FERRY_USAGE', 'ferry inventory: give a STORE, a VENV or BUNDLE...', {
      hint: 'Run "ferry inventory --help" for usage.',
    });
  const has = async (name: string): Promise<boolean> =>
    (await stat(join(first, name)).catch(() => undefined)) !== undefined;
  if (await has('store.json')) {
    if (rest.length > 0)
      throw new FerryError('ERR_FERRY_USAGE', 'ferry inventory: give one store at a time.', {
        hint: 'Run ferry inventory once per store.',
      });
    return inventoryOfStore(first, request.index);
  }
  if (await has('pyvenv.cfg')) {
    if (rest.length > 0)
      throw new FerryError('ERR_FERRY_USAGE', 'ferry inventory: give one venv at a time.', {
        hint: 'Run ferry inventory once per venv.',
      });
    return inventoryOfVenv(first);
  }
  return inventoryOfBundles(request.places, request.open);
}

export interface WrittenInventory {
  readonly path: string;
  /** SHA-256 of the file's bytes: what a delta made against it names as its base. */
  readonly digest: string;
  readonly signature?: string;
  readonly files: number;
  readonly bundles: number;
}

/** Writes the inventory and, with a key, its detached signature beside it. */
export async function writeInventory(
  path: string,
  inventory: Inventory,
  key?: SecretKey,
): Promise<WrittenInventory> {
  const text = formatInventory(inventory);
  await writeFileAtomic(path, text);
  let signature: string | undefined;
  if (key !== undefined) {
    const sig = createSignature(Buffer.from(text), key, {
      trustedComment: `file:inventory sha256:${sha256Hex(text)}`,
    });
    // minisign's own naming (FILE.minisig); an SM2 signature as FILE.sm2.sig.
    signature = `${path}${key.algorithm === 'ed25519' ? '.minisig' : '.sm2.sig'}`;
    await writeFileAtomic(signature, sig.bytes);
  }
  return {
    path,
    digest: sha256Hex(text),
    ...(signature === undefined ? {} : { signature }),
    files: inventory.files.length,
    bundles: inventory.bundles.length,
  };
}

const sha256Hex = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');

export interface ReadInventory {
  readonly inventory: Inventory;
  readonly digest: string;
  /** Trusted signers whose signature was checked (empty when no key was given). */
  readonly signers: readonly string[];
}

/**
 * Reads an inventory; with trusted keys, its detached signature (FILE.minisig or FILE.sm2.sig)
 * must be valid and by one of them, or it is refused (ERR_FERRY_UNTRUSTED).
 */
export async function readInventory(
  path: string,
  trustedKeys: readonly TrustedKey[] = [],
): Promise<ReadInventory> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new FerryError(
      'ERR_FERRY_BAD_INVENTORY',
      `cannot read the inventory ${path}: ${error.code ?? error.message}`,
      {
        hint: 'Give the file "ferry inventory -o" wrote.',
      },
    );
  });
  const inventory = parseInventory(bytes.toString('utf8'), path);
  const signers: string[] = [];
  if (trustedKeys.length > 0) {
    const sigs = [];
    // checkSignatures reads a minisign key id from the signature and tries every trusted SM2
    // key; the file name only says which kind of signature it is.
    for (const suffix of ['.minisig', '.sm2.sig']) {
      const sig = await readFile(`${path}${suffix}`).catch(() => undefined);
      if (sig !== undefined) sigs.push({ name: `inventory${suffix}`, bytes: sig });
    }
    const report = checkSignatures(bytes, sigs, trustedKeys);
    signers.push(...report.signers);
    if (signers.length === 0)
      throw new FerryError(
        'ERR_FERRY_UNTRUSTED',
        `the inventory ${path} is not signed by a key you trust${sigs.length === 0 ? ' (no .minisig or .sm2.sig beside it)' : ''}`,
        {
          hint: 'Ask for the inventory with its signature (ferry inventory --key), or drop --since-key to use it unsigned.',
        },
      );
  }
  return { inventory, digest: sha256Hex(bytes), signers };
}
