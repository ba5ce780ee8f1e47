/**
 * The folders beside an install's destination, and the moves between them that keep the
 * destination whole: the venv is built in `.NAME.ferry-tmp`, relocated to its final path, and
 * swapped in atomically (or by two renames via `.NAME.ferry-old`, which the next run undoes).
 */
import { lstat, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { EventSink } from '../core/events.js';
import { isolatedPipEnv, run } from '../host/python-env.js';

/** The staging folder beside a destination. */
export const stagingPath = (dest: string): string =>
  join(dirname(dest), `.${basename(dest)}.ferry-tmp`);
/** Where the old venv waits when the atomic exchange is not available (see swapInto). */
export const previousPath = (dest: string): string =>
  join(dirname(dest), `.${basename(dest)}.ferry-old`);

/**
 * Cleans what a killed run left: a stale staging folder is removed; an old venv moved aside
 * by the two-rename fallback is put back when the destination is missing, else removed.
 */
export async function recoverInterrupted(
  dest: string,
  events: EventSink = () => {},
): Promise<void> {
  const staging = stagingPath(dest);
  if ((await lstat(staging).catch(() => undefined)) !== undefined) {
    events({
      type: 'warning',
      code: 'W_FERRY_STALE_STAGING',
      message: `removing ${staging}, left by an interrupted install`,
    });
    await rm(staging, { recursive: true, force: true });
  }
  const old = previousPath(dest);
  if ((await lstat(old).catch(() => undefined)) !== undefined) {
    if ((await lstat(dest).catch(() => undefined)) === undefined) {
      events({
        type: 'warning',
        code: 'W_FERRY_RESTORED',
        message: `restoring ${dest} from ${old}, left by an interrupted install`,
      });
      await rename(old, dest);
    } else {
      await rm(old, { recursive: true, force: true });
    }
  }
}

/**
 * Puts `staging` at `dest` and the old `dest` at `staging`. renameat2(RENAME_EXCHANGE) does it
 * in one atomic step (Linux ≥ 3.15, glibc ≥ 2.28; Node has no binding, the venv's Python has
 * ctypes). Where that fails, two renames via `.NAME.ferry-old`, which recoverInterrupted undoes.
 */
export async function swapInto(staging: string, dest: string): Promise<void> {
  const code = [
    'import ctypes, os, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'f = getattr(libc, "renameat2", None)',
    'sys.exit(3 if f is None else (0 if f(-100, os.fsencode(sys.argv[1]), -100, os.fsencode(sys.argv[2]), 2) == 0 else 4))',
  ].join('\n');
  const exchanged = await run(join(staging, 'bin', 'python'), ['-I', '-c', code, staging, dest], {
    env: isolatedPipEnv(),
  }).catch(() => undefined);
  if (exchanged?.code === 0) return;
  const old = previousPath(dest);
  await rename(dest, old);
  await rename(staging, dest);
  await rename(old, staging);
}

/**
 * A venv records its own path in pyvenv.cfg, the activate scripts and every console script's
 * shebang; rewrite the staging path to the final one before the rename.
 */
export async function relocateVenv(from: string, to: string): Promise<void> {
  const targets = [join(from, 'pyvenv.cfg')];
  for (const entry of await readdir(join(from, 'bin'))) targets.push(join(from, 'bin', entry));
  for (const path of targets) {
    const info = await lstat(path);
    if (!info.isFile() || info.size > 1 << 20) continue;
    const bytes = await readFile(path);
    if (bytes.includes(0)) continue; // a binary, not a script
    const text = bytes.toString('utf8');
    if (!text.includes(from)) continue;
    await writeFile(path, text.split(from).join(to), { mode: info.mode });
  }
}
