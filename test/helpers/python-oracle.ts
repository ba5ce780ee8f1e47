/**
 * Python's own `packaging` as a test oracle: the release pinned in test/oracles.txt, in a venv
 * that test/helpers/pinned-venv.ts builds once and every test file shares.
 *
 * FERRY_ORACLE_PYTHON names another interpreter to use instead (one with `packaging`
 * importable); `npm run oracle-drift` sets it to a venv with the newest release.
 */
import { spawnSync } from 'node:child_process';
import { ensurePinnedVenv, venvPython } from './pinned-venv.js';

export { hostPython } from './pinned-venv.js';

/** The interpreter with the pinned packaging (or FERRY_ORACLE_PYTHON), made on first use. */
export async function ensureOracle(): Promise<string> {
  const override = process.env.FERRY_ORACLE_PYTHON;
  if (override !== undefined && override !== '') return override;
  return venvPython(await ensurePinnedVenv('oracle-venv'));
}

/** The interpreter with packaging 21.3, the release pip 22.0 to 24.0 vendor. */
export async function ensureLegacyOracle(): Promise<string> {
  return venvPython(await ensurePinnedVenv('oracle-venv-legacy'));
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
