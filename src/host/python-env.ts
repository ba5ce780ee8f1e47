/**
 * Running the target's Python and pip with no influence from the jump host's pip settings:
 * every PIP_* variable is dropped and PIP_CONFIG_FILE points at /dev/null, which makes pip load
 * no configuration file at all (pip's configuration.py treats os.devnull specially).
 */
import { spawn } from 'node:child_process';
import { FERRY_ENV, readEnv } from '../core/env.js';

export function defaultPython(env: NodeJS.ProcessEnv = process.env): string {
  return readEnv(FERRY_ENV.python, env) ?? 'python3';
}

export function isolatedPipEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (
      !key.startsWith('PIP_') &&
      key !== 'PYTHONPATH' &&
      key !== 'PYTHONHOME' &&
      key !== 'VIRTUAL_ENV'
    )
      clean[key] = value;
  }
  clean.PIP_CONFIG_FILE = '/dev/null';
  clean.PIP_DISABLE_PIP_VERSION_CHECK = '1';
  clean.PIP_NO_INPUT = '1';
  clean.PYTHONDONTWRITEBYTECODE = '1';
  return clean;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command, collecting output; `onLine` sees stdout lines as they come. */
export function run(
  command: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    onLine?: (line: string) => void;
    input?: string;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.onLine) {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) options.onLine(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (options.onLine && pending !== '') options.onLine(pending);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
