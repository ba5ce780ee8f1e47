/**
 * Python's own `packaging` as a test oracle. A venv with a current packaging release (>= 24,
 * installed from the machine's configured index by the real pip) is created once under
 * .ferry-work/ and shared by every test file; creation is guarded by a lock directory so that
 * concurrent test files do not race.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const WORK = resolve('.ferry-work');
const VENV = join(WORK, 'oracle-venv');
const LOCK = join(WORK, 'oracle-venv.lock');

export const oraclePython = join(VENV, 'bin', 'python');
/** The machine's python (pip 23.2 there vendors packaging 21.3, which still accepts legacy versions). */
export const hostPython = process.env.FERRY_PYTHON ?? 'python3';

export async function ensureOracle(): Promise<string> {
  mkdirSync(WORK, { recursive: true });
  for (;;) {
    if (existsSync(join(VENV, '.ready'))) return oraclePython;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another test file is creating it; a lock older than 10 minutes is stale.
      if (Date.now() - statSync(LOCK).mtimeMs > 600_000) rmSync(LOCK, { recursive: true });
      await sleep(500);
      continue;
    }
    try {
      const tmp = `${VENV}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      execFileSync(hostPython, ['-m', 'venv', tmp], { stdio: 'inherit' });
      execFileSync(
        join(tmp, 'bin', 'python'),
        ['-m', 'pip', 'install', '--quiet', 'packaging>=24'],
        { stdio: 'inherit' },
      );
      rmSync(VENV, { recursive: true, force: true });
      // venv scripts embed their path; recreate in place would be cleaner, but python -m works
      // from a moved venv because pyvenv.cfg points at the base interpreter.
      renameSync(tmp, VENV);
      execFileSync('touch', [join(VENV, '.ready')]);
      return oraclePython;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

/**
 * Runs `script` under `python` with `inputs` as a JSON array on stdin; the script must print
 * one JSON array of the same length on stdout. Returns that array.
 */
export function runPython<T = unknown>(python: string, script: string, inputs: unknown[]): T[] {
  const result = spawnSync(python, ['-c', script], {
    input: JSON.stringify(inputs),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (result.status !== 0) {
    throw new Error(`python oracle failed (${result.status}): ${result.stderr}`);
  }
  const output = JSON.parse(result.stdout) as T[];
  if (output.length !== inputs.length) {
    throw new Error(`python oracle returned ${output.length} answers for ${inputs.length} inputs`);
  }
  return output;
}
