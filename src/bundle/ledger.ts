/**
 * The ledger: one record per bundle ferry wrote on this (online) side — its name, the SHA-256
 * of its SHA256SUMS (the digest `ferry import` and the store name it by), every file it carried
 * and when. `ferry bundle --since LEDGER_DIR` and `ferry sync` read it to carry only what was
 * never carried before, with nothing coming back across the air gap (docs/deltas.md).
 *
 * A record is `<digest>.json` in the ledger folder, written atomically; the same bundle written
 * twice is one record. Default folder: $XDG_DATA_HOME/ferry/ledger, else
 * ~/.local/share/ferry/ledger (the XDG Base Directory specification's default for data).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { FERRY_ENV, readEnv } from '../core/env.js';
import { FerryError } from '../core/errors.js';
import { writeFileAtomic } from '../store/index.js';
import { parseManifest } from './manifest.js';
import { BUNDLE_FILES } from './write-folder.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const ledgerFileSchema = z.object({
  filename: z.string(),
  name: z.string(),
  version: z.string(),
  size: z.number().int().nonnegative(),
  sha256: hex64,
});

const ledgerRecordSchema = z.object({
  formatVersion: z.literal(1),
  kind: z.literal('ferry-ledger-record'),
  /** The bundle's folder name. */
  name: z.string(),
  /** SHA-256 of its SHA256SUMS. */
  digest: hex64,
  /** When it was written (ISO 8601). */
  time: z.string(),
  /** The files it carried (a delta's base files are not among them: they were carried before). */
  files: z.array(ledgerFileSchema),
});

export type LedgerRecord = z.infer<typeof ledgerRecordSchema>;
export type LedgerFile = z.infer<typeof ledgerFileSchema>;

/** The ledger folder: FERRY_LEDGER_DIR, else $XDG_DATA_HOME/ferry/ledger, else ~/.local/share/ferry/ledger. */
export function defaultLedgerDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = readEnv(FERRY_ENV.ledgerDir, env);
  if (explicit !== undefined) return explicit;
  // XDG Base Directory: a relative XDG_DATA_HOME is invalid and ignored.
  const xdg = readEnv('XDG_DATA_HOME', env);
  const data = xdg?.startsWith('/') ? xdg : join(homedir(), '.local', 'share');
  return join(data, 'ferry', 'ledger');
}

/** The record of a bundle folder as written (its manifest and SHA256SUMS). */
export async function ledgerRecordOf(
  bundleDir: string,
  name: string,
  time: Date,
): Promise<LedgerRecord> {
  const sums = await readFile(join(bundleDir, BUNDLE_FILES.sums));
  const manifest = parseManifest(
    await readFile(join(bundleDir, BUNDLE_FILES.manifest), 'utf8'),
    join(bundleDir, BUNDLE_FILES.manifest),
  );
  return {
    formatVersion: 1,
    kind: 'ferry-ledger-record',
    name,
    digest: createHash('sha256').update(sums).digest('hex'),
    time: time.toISOString(),
    files: manifest.files
      .map((f) => ({
        filename: f.path.slice(f.path.lastIndexOf('/') + 1),
        name: f.name,
        version: f.version,
        size: f.size,
        sha256: f.sha256,
      }))
      .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0)),
  };
}

/** Adds a record; the same bundle again replaces its record (one per digest). */
export async function recordInLedger(ledgerDir: string, record: LedgerRecord): Promise<string> {
  await mkdir(ledgerDir, { recursive: true });
  const path = join(ledgerDir, `${record.digest}.json`);
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

/** Every record of a ledger folder, oldest first (then by digest). A missing folder is empty. */
export async function readLedger(ledgerDir: string): Promise<LedgerRecord[]> {
  const names = await readdir(ledgerDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw new FerryError(
      'ERR_FERRY_LEDGER',
      `cannot read the ledger ${ledgerDir}: ${error.message}`,
      {
        hint: 'Give a readable folder with --ledger DIR.',
      },
    );
  });
  const records: LedgerRecord[] = [];
  for (const entry of names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort()) {
    const path = join(ledgerDir, entry);
    let parsed: LedgerRecord;
    try {
      parsed = ledgerRecordSchema.parse(JSON.parse(await readFile(path, 'utf8')));
    } catch (error) {
      throw new FerryError(
        'ERR_FERRY_LEDGER',
        `${path} is not a ferry ledger record: ${(error as Error).message.split('\n')[0]}`,
        { hint: 'Remove the damaged record (the bundle it names will be carried again in full).' },
      );
    }
    records.push(parsed);
  }
  return records.sort((a, b) =>
    a.time === b.time ? (a.digest < b.digest ? -1 : 1) : a.time < b.time ? -1 : 1,
  );
}

/** Whether a folder looks like a ledger: it exists and holds no manifest.json. */
export async function isLedgerDir(path: string): Promise<boolean> {
  const names = await readdir(path).catch(() => undefined);
  if (names === undefined) return false;
  return !names.includes(BUNDLE_FILES.manifest) && names.every((n) => !n.startsWith('store.json'));
}
