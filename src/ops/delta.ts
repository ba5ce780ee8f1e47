/**
 * Delta bundles (docs/deltas.md): what the other side has already (an inventory it sent back,
 * the ledger of bundles written here, or earlier bundles) is the base; a delta carries only
 * the files of the closure not in the base and lists the rest in manifest.json `baseFiles`
 * (name and SHA-256), naming its base in `base`. Files are matched by SHA-256 only: the same
 * name with other bytes is a different file.
 */
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isLedgerDir, readLedger } from '../bundle/ledger.js';
import type { Locked, LockedFile, LockedPackage } from '../bundle/locked.js';
import {
  describeBaseFile,
  type Manifest,
  type ManifestBase,
  type ManifestBaseFile,
  parseManifest,
} from '../bundle/manifest.js';
import { BUNDLE_FILES } from '../bundle/write-folder.js';
import { FerryError } from '../core/errors.js';
import { hashFile } from '../core/hash-file.js';
import type { TrustedKey } from '../trust/keys.js';
import { bundleNameOf } from './import.js';
import { type Inventory, readInventory } from './inventory.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

/** A file the other side has, by SHA-256. */
export interface BaseEntry {
  readonly filename: string;
  readonly sha256: string;
  readonly size?: number;
  /** The bundle that carried it, when known. */
  readonly bundle?: string;
}

/** What a delta is made against. */
export interface DeltaBase {
  /** SHA-256 of the inventory file, when the base is one. */
  readonly inventory?: string;
  /** Bundles the base holds: name and SHA-256 of their SHA256SUMS. */
  readonly bundles: readonly { readonly name: string; readonly digest: string }[];
  /** By SHA-256. */
  readonly files: ReadonlyMap<string, BaseEntry>;
}

export interface LoadBaseOptions {
  /** Keys an inventory's signature must verify with (none: an unsigned inventory is taken). */
  readonly inventoryKeys?: readonly TrustedKey[];
  readonly open?: OpenBundle;
}

/** An inventory as a base (`digest`: the inventory file's SHA-256, when it came from a file). */
export function baseOfInventory(inventory: Inventory, digest?: string): DeltaBase {
  const files = new Map<string, BaseEntry>();
  for (const f of inventory.files)
    if (!files.has(f.sha256))
      files.set(f.sha256, {
        filename: f.filename,
        sha256: f.sha256,
        ...(f.size === undefined ? {} : { size: f.size }),
        ...(f.bundle === undefined ? {} : { bundle: f.bundle }),
      });
  return {
    ...(digest === undefined ? {} : { inventory: digest }),
    bundles: inventory.bundles.map((b) => ({ name: b.name, digest: b.digest })),
    files,
  };
}

/**
 * `--since` values: an inventory.json, a ledger folder, or bundles (folders or archives); several
 * add up. Which one a path is: a file that parses as an inventory, a folder without
 * manifest.json (a ledger), else a bundle.
 */
export async function loadBase(
  sources: readonly string[],
  options: LoadBaseOptions = {},
): Promise<DeltaBase> {
  const files = new Map<string, BaseEntry>();
  const bundles = new Map<string, string>();
  let inventory: string | undefined;
  const add = (entry: BaseEntry): void => {
    if (!files.has(entry.sha256)) files.set(entry.sha256, entry);
  };
  for (const source of sources) {
    const info = await stat(source).catch(() => undefined);
    if (info === undefined)
      throw new FerryError('ERR_FERRY_USAGE', `--since "${source}" does not exist`, {
        hint: 'Give an inventory.json (ferry inventory), a ledger folder or earlier bundles.',
      });
    if (info.isFile() && source.endsWith('.json') && !source.endsWith('.volumes.json')) {
      const read = await readInventory(source, options.inventoryKeys ?? []);
      if (inventory !== undefined)
        throw new FerryError('ERR_FERRY_USAGE', 'give --since one inventory at a time', {
          hint: 'Take one inventory of the place the delta is for.',
        });
      inventory = read.digest;
      const base = baseOfInventory(read.inventory, read.digest);
      for (const b of base.bundles) bundles.set(b.digest, b.name);
      for (const f of base.files.values()) add(f);
      continue;
    }
    if (info.isDirectory() && (await isLedgerDir(source))) {
      for (const record of await readLedger(source)) {
        bundles.set(record.digest, record.name);
        for (const f of record.files)
          add({ filename: f.filename, sha256: f.sha256, size: f.size, bundle: record.name });
      }
      continue;
    }
    const opened = await (options.open ?? defaultOpenBundle)(source);
    try {
      const name = bundleNameOf(source);
      const sums = await readFile(join(opened.dir, BUNDLE_FILES.sums));
      bundles.set(createHash('sha256').update(sums).digest('hex'), name);
      const manifest = parseManifest(
        await readFile(join(opened.dir, BUNDLE_FILES.manifest), 'utf8'),
        `manifest.json in ${opened.label}`,
      );
      for (const f of manifest.files)
        add({ filename: basename(f.path), sha256: f.sha256, size: f.size, bundle: name });
    } finally {
      await opened.cleanup();
    }
  }
  return {
    ...(inventory === undefined ? {} : { inventory }),
    bundles: [...bundles].map(([digest, name]) => ({ name, digest })),
    files,
  };
}

export interface DeltaSplit {
  /** The lock with only the files to carry (packages keep their place in the closure). */
  readonly carried: Locked;
  readonly baseFiles: readonly ManifestBaseFile[];
  readonly base: ManifestBase;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Splits a lock's files into those to carry and those the base has. The manifest's `base`
 * names the inventory (when there is one) and the bundles the delta relies on.
 */
export function splitAgainstBase(locked: Locked, base: DeltaBase): DeltaSplit {
  const baseFiles: ManifestBaseFile[] = [];
  const packages: LockedPackage[] = [];
  const reliedOn = new Set<string>();
  for (const pkg of locked.packages) {
    const carried: LockedFile[] = [];
    for (const file of pkg.files) {
      const have = base.files.get(file.sha256);
      if (have === undefined) {
        carried.push(file);
        continue;
      }
      if (have.bundle !== undefined) reliedOn.add(have.bundle);
      baseFiles.push({
        filename: file.filename,
        name: pkg.name,
        version: pkg.version,
        size: file.size ?? have.size ?? 0,
        sha256: file.sha256,
        ...(have.bundle === undefined ? {} : { bundle: have.bundle }),
      });
    }
    packages.push({ ...pkg, files: carried });
  }
  // The bundles whose files the delta relies on: what the far side must have imported.
  const bundles = base.bundles
    .filter((b) => reliedOn.has(b.name))
    .map((b) => ({ name: b.name, digest: b.digest }))
    .sort((a, b) => byteOrder(a.digest, b.digest));
  return {
    carried: { ...locked, packages },
    baseFiles: baseFiles.sort((a, b) => byteOrder(a.filename, b.filename)),
    base: {
      ...(base.inventory === undefined ? {} : { inventory: base.inventory }),
      bundles,
    },
  };
}

/**
 * For `ferry install DELTA --base DIR...`: every base file, found under one of the base
 * folders (an earlier bundle's wheels/, a folder of wheels, or an index store's
 * files/ab/<sha256>/), its SHA-256 checked, linked (or copied) into a fresh folder that pip
 * gets as a second --find-links. The caller removes the folder.
 */
export async function gatherBaseFiles(
  manifest: Manifest,
  bases: readonly string[],
  label: string,
): Promise<string> {
  const baseFiles = manifest.baseFiles ?? [];
  if (bases.length === 0) throw deltaWithoutBase(manifest, label);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-base-'));
  const missing: string[] = [];
  try {
    await mkdir(dir, { recursive: true });
    for (const f of baseFiles) {
      let found: string | undefined;
      search: for (const base of bases)
        for (const candidate of [
          join(base, BUNDLE_FILES.wheels, f.filename),
          join(base, f.filename),
          join(base, 'files', f.sha256.slice(0, 2), f.sha256, f.filename),
        ]) {
          const info = await stat(candidate).catch(() => undefined);
          if (info?.isFile() !== true) continue;
          if ((await hashFile(candidate)) === f.sha256) {
            found = candidate;
            break search;
          }
        }
      if (found === undefined) {
        missing.push(describeBaseFile(f));
        continue;
      }
      const to = join(dir, f.filename);
      await link(found, to).catch(() => copyFile(found, to));
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  if (missing.length > 0) {
    await rm(dir, { recursive: true, force: true });
    throw new FerryError(
      'ERR_FERRY_DELTA_BASE_MISSING',
      `${label} is a delta bundle, and the base given with --base lacks ${missing.length} file(s) it relies on:\n  ${missing.join('\n  ')}`,
      {
        hint: 'Give --base the earlier bundle(s) named above (folders) or the index store they were imported into.',
        details: { missing },
      },
    );
  }
  return dir;
}

/** The refusal for a delta given without its base. */
export function deltaWithoutBase(manifest: Manifest, label: string): FerryError {
  const bundles = (manifest.base?.bundles ?? []).map((b) => `${b.name} (${b.digest.slice(0, 12)})`);
  return new FerryError(
    'ERR_FERRY_DELTA_BASE_MISSING',
    `${label} is a delta bundle: it relies on ${(manifest.baseFiles ?? []).length} file(s) it does not carry${bundles.length > 0 ? `, from ${bundles.join(', ')}` : ''}.`,
    {
      hint: 'Give --base DIR: the earlier bundle folder(s) it builds on, or an index store holding them.',
    },
  );
}
