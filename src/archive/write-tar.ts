/**
 * Writing a tar stream from files on disk: each entry's header(s) (tar.ts), its bytes, padding
 * to a block, then the end-of-archive marker (two zero blocks) and padding to a 20-block record
 * as tar(1) does. What goes in, in which order and with which modes is the caller's choice
 * (bundle/pack.ts sorts and normalizes for a deterministic archive); this module only writes.
 */
import { open } from 'node:fs/promises';
import { FerryError } from '../core/errors.js';
import { BLOCK, entryHeaders, padding, RECORD } from './tar.js';

const CHUNK = 1 << 20;

export interface TarSource {
  /** The path inside the archive (a folder's ends with "/"). */
  readonly archivePath: string;
  /** The file to read its bytes from (a plain file, '0'). */
  readonly source: string;
  readonly type: '0' | '5';
  /** The size the entry was planned with: a file that shrinks meanwhile is refused. */
  readonly size: number;
  readonly mode: number;
}

export interface TarSink {
  write(data: Buffer): Promise<void>;
  /** Bytes written so far. */
  readonly total: number;
}

export async function writeTarEntries(
  entries: readonly TarSource[],
  sink: TarSink,
  mtime: number,
): Promise<void> {
  const buffer = Buffer.alloc(CHUNK);
  for (const entry of entries) {
    for (const block of entryHeaders(entry.archivePath, entry.type, entry.size, entry.mode, mtime))
      await sink.write(block);
    if (entry.type !== '0') continue;
    const handle = await open(entry.source, 'r');
    try {
      let remaining = entry.size;
      while (remaining > 0) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, remaining), null);
        if (bytesRead === 0)
          throw new FerryError(
            'ERR_FERRY_FILE_CHANGED',
            `"${entry.source}" shrank while it was being packed`,
            {
              hint: 'Stop whatever is writing into the bundle folder, then run ferry pack again.',
            },
          );
        await sink.write(Buffer.from(buffer.subarray(0, bytesRead)));
        remaining -= bytesRead;
      }
    } finally {
      await handle.close();
    }
    await sink.write(Buffer.alloc(padding(entry.size)));
  }
  await sink.write(Buffer.alloc(2 * BLOCK));
  await sink.write(Buffer.alloc((RECORD - (sink.total % RECORD)) % RECORD));
}
