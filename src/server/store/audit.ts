/**
 * audit.log: one JSON object per line, appended, never rewritten: who did what, when, to which
 * index and generation, with the bundle and its signers. A line is written with one append
 * (O_APPEND) and flushed. A generation records the entry that made it (catalog.json `change`),
 * so an entry lost to a crash between the switch of `current` and the append is written by the
 * next writer (see store.ts, reconcileAudit).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { AuditEntry } from './types.js';

export async function appendAudit(path: string, entry: AuditEntry): Promise<void> {
  const handle = await open(path, 'a+', 0o644);
  try {
    // A crash mid-append can leave a line without its newline: start a fresh line after it,
    // so this entry is not glued to the torn one.
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    if (size > 0) await handle.read(last, 0, 1, size - 1);
    const lead = size > 0 && last[0] !== 0x0a ? '\n' : '';
    await handle.writeFile(`${lead}${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Every entry, oldest first; a torn last line (a crash mid-append) is skipped. */
export async function* readAudit(path: string): AsyncIterable<AuditEntry> {
  if ((await stat(path).catch(() => undefined)) === undefined) return;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as AuditEntry;
    } catch {
      // Only the last line can be torn; nothing after it was ever acknowledged.
    }
  }
}

/** The generation of the last entry that names one. */
export async function lastAuditedGeneration(path: string): Promise<number | undefined> {
  let last: number | undefined;
  for await (const entry of readAudit(path))
    if (entry.generation !== undefined) last = Math.max(last ?? 0, entry.generation);
  return last;
}
