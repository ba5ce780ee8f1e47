/**
 * Opens a bundle wherever it lies: a bundle folder is used as it is; a NAME.ferry.tar, its
 * first volume (NAME.ferry.tar.001), its base name or its NAME.ferry.tar.volumes.json is
 * extracted (readBundleArchive: a missing or damaged volume is named before anything else)
 * into a fresh temporary folder that cleanup() removes. Every such folder still open is
 * known here, so a signal handler can remove them all (removeOpenedBundlesSync).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { type ExtractResult, readBundleArchive } from '../archive/extract.js';
import { FerryError } from '../core/errors.js';

export interface OpenedBundle {
  /** The bundle folder to read. */
  readonly dir: string;
  /** The bundle as the user named it: what messages and receipts show (never the temporary folder). */
  readonly label: string;
  /** Set when the bundle came from an archive. */
  readonly archive?: ExtractResult;
  /** Removes the temporary folder (a no-op for a folder). Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface OpenBundleOptions {
  /** Where to extract an archive (default: the system temporary folder, $TMPDIR). */
  readonly workDir?: string;
}

export async function openBundle(
  pathOrArchive: string,
  options: OpenBundleOptions = {},
): Promise<OpenedBundle> {
  const path = resolvePath(pathOrArchive);
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() === true)
    return { dir: path, label: pathOrArchive, cleanup: async () => undefined };
  // Nothing there, and nothing that names an archive or its volumes: say so plainly.
  if (info === undefined && !/\.ferry\.tar(\.\d{3}|\.volumes\.json)?$/.test(path)) {
    throw new FerryError(
      'ERR_FERRY_NOT_A_BUNDLE',
      `"${pathOrArchive}" is not a ferry bundle: there is no such file or folder.`,
      {
        hint: 'Give the folder `ferry bundle -o` wrote, or a NAME.ferry.tar (or its first volume) from `ferry pack`.',
      },
    );
  }
  // Made synchronously and recorded in the same turn: with an asynchronous mkdtemp, a signal
  // handled between the folder's creation and the promise's continuation found it unrecorded
  // and left it behind.
  const work = mkdtempSync(join(options.workDir ?? tmpdir(), 'ferry-bundle-'));
  live.add(work);
  const cleanup = async (): Promise<void> => {
    await rm(work, { recursive: true, force: true });
    live.delete(work);
  };
  try {
    const archive = await readBundleArchive(path, join(work, 'bundle'));
    return { dir: archive.dir, label: pathOrArchive, archive, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Temporary folders of archives opened and not yet cleaned up. */
const live = new Set<string>();

/**
 * Removes every temporary folder openBundle made that is still there, synchronously: for a
 * SIGINT/SIGTERM handler, after which no asynchronous cleanup (no `finally`) runs.
 */
export function removeOpenedBundlesSync(): void {
  for (const work of live) {
    // An extraction still writing from the thread pool can make a folder briefly non-empty
    // (ENOTEMPTY): retried, and never thrown, so the signal still ends the process.
    try {
      rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
    } catch {}
  }
  live.clear();
}
