/**
 * Reads an OSV snapshot from disk, with no network: the zip osv.dev publishes per ecosystem
 * (`PyPI/all.zip` in its public bucket: one `ID.json` per advisory), a folder of such JSON
 * files (searched recursively), or one JSON file (an advisory, or an array of them). The zip
 * is read with the same central-directory reader as wheels (src/index/wheel-metadata.ts).
 * A record that is not JSON or not an OSV advisory is skipped and counted, never fatal: one bad
 * file must not hide the thousands of good ones, and the count is shown.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError, isFerryError } from '../core/errors.js';
import { type ByteReader, readZipEntries, readZipEntry } from '../index/wheel-metadata.js';
import { type Advisory, AdvisoryIndex, parseAdvisory } from './osv.js';

export interface AdvisorySnapshot {
  readonly index: AdvisoryIndex;
  /** Where it was read from, as given. */
  readonly source: string;
  /** Records read as PyPI advisories. */
  readonly advisories: number;
  /** Files that were not JSON or not OSV records (with the first few names). */
  readonly skipped: number;
  readonly skippedExamples: readonly string[];
  /** The newest `modified` time among the advisories: how fresh the snapshot is. */
  readonly newest?: string;
}

function badSnapshot(source: string, reason: string): FerryError {
  return new FerryError(
    'ERR_FERRY_BAD_ADVISORIES',
    `"${source}" is not an OSV snapshot: ${reason}`,
    {
      hint: 'Give the PyPI all.zip from `ferry advisories fetch -o FILE` (online side), a folder of OSV JSON files, or one OSV JSON file.',
    },
  );
}

class Collector {
  readonly advisories: Advisory[] = [];
  skipped = 0;
  readonly examples: string[] = [];

  add(name: string, text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.skip(name);
      return;
    }
    const records = Array.isArray(json) ? json : [json];
    for (const r of records) {
      const a = parseAdvisory(r);
      // A record for another ecosystem only is not an error: aggregated folders mix them.
      if (a !== undefined) this.advisories.push(a);
      else if (
        typeof r !== 'object' ||
        r === null ||
        typeof (r as { id?: unknown }).id !== 'string'
      )
        this.skip(name);
    }
  }

  private skip(name: string): void {
    this.skipped++;
    if (this.examples.length < 5) this.examples.push(name);
  }
}

async function readZip(path: string, source: string, into: Collector): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const reader: ByteReader = {
      size,
      label: source,
      async read(start, length) {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
        const { bytesRead } = await handle.read(buf, 0, buf.length, start);
        return buf.subarray(0, bytesRead);
      },
    };
    let entries: Awaited<ReturnType<typeof readZipEntries>>;
    try {
      entries = await readZipEntries(reader);
    } catch (error) {
      throw badSnapshot(source, reasonOf(error));
    }
    for (const entry of entries) {
      if (!entry.name.endsWith('.json')) continue;
      let data: Buffer;
      try {
        data = await readZipEntry(reader, entry);
      } catch (error) {
        throw badSnapshot(source, reasonOf(error));
      }
      into.add(entry.name, data.toString('utf8'));
    }
  } finally {
    await handle.close();
  }
}

const reasonOf = (error: unknown): string =>
  isFerryError(error) && typeof error.details?.reason === 'string'
    ? error.details.reason
    : (error as Error).message;

async function readFolder(dir: string, into: Collector, depth = 0): Promise<void> {
  if (depth > 8) return;
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await readFolder(path, into, depth + 1);
    else if (e.isFile() && e.name.endsWith('.json')) into.add(path, await readFile(path, 'utf8'));
  }
}

/** Reads the snapshot at `path` (zip, folder or JSON file). */
export async function readAdvisorySnapshot(path: string): Promise<AdvisorySnapshot> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw badSnapshot(path, 'there is no such file or folder');
  const into = new Collector();
  if (info.isDirectory()) await readFolder(path, into);
  else {
    const head = Buffer.alloc(4);
    const handle = await open(path, 'r');
    try {
      await handle.read(head, 0, 4, 0);
    } finally {
      await handle.close();
    }
    if (head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50)
      await readZip(path, path, into);
    else {
      const text = await readFile(path, 'utf8');
      try {
        JSON.parse(text);
      } catch (error) {
        throw badSnapshot(path, `neither a zip nor JSON (${(error as Error).message})`);
      }
      into.add(path, text);
    }
  }
  if (into.advisories.length === 0 && into.skipped > 0)
    throw badSnapshot(path, `none of its ${into.skipped} file(s) is an OSV record`);
  const newest = into.advisories
    .map((a) => a.modified)
    .filter((m): m is string => m !== undefined)
    .sort()
    .at(-1);
  return {
    index: new AdvisoryIndex(into.advisories),
    source: path,
    advisories: into.advisories.length,
    skipped: into.skipped,
    skippedExamples: into.examples,
    ...(newest === undefined ? {} : { newest }),
  };
}
