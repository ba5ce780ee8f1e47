/**
 * One writer per key: a lock file created with O_EXCL (`wx`), holding the owner's process id
 * and start time. A second writer waits; a lock whose process is gone (killed, power loss) or
 * that is older than `staleMs` is taken over, so a crash never blocks the store for ever.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../core/process.js';

export interface LockOptions {
  /** A lock older than this is stale whatever its process (default 10 minutes). */
  readonly staleMs?: number;
  /** How often a waiting writer looks again (default 50 ms). */
  readonly pollMs?: number;
}

/** Whether the lock at `path` was left by a process that is gone, or is older than `staleMs`. */
async function isStale(path: string, staleMs: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return true;
  if (Date.now() - info.mtimeMs > staleMs) return true;
  const text = await readFile(path, 'utf8').catch(() => '');
  const [pid, host] = text.split('\n');
  // Only a process id from this host can be asked; a lock still being written reads empty.
  if (host !== hostname() || pid === undefined || !/^[1-9][0-9]*$/.test(pid)) return false;
  return Number(pid) !== process.pid && !processAlive(Number(pid));
}

/**
 * Runs `task` holding the lock file `path` (its folder must exist) and removes the lock after,
 * whatever `task` does.
 */
export async function withFileLock<T>(
  path: string,
  task: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? 10 * 60 * 1000;
  const pollMs = options.pollMs ?? 50;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${process.pid}\n${hostname()}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(path, staleMs)) {
        await rm(path, { force: true });
        continue;
      }
      await sleep(pollMs);
    }
  }
  try {
    return await task();
  } finally {
    await rm(path, { force: true }).catch(() => undefined);
  }
}
