/** Runs the real CLI (node bin/ferry.js) as a user would, with an isolated cache and pip config. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Parsed JSON lines of stdout (with --json). */
  readonly events: Record<string, unknown>[];
}

const BIN = resolve('bin/ferry.js');

export function tempDir(prefix = 'ferry-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An environment where pip's configuration cannot leak in. */
export function isolatedEnv(cacheDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PIP_') && !k.startsWith('FERRY_')) env[k] = v;
  return {
    ...env,
    PIP_CONFIG_FILE: '/dev/null',
    FERRY_CACHE_DIR: cacheDir,
    // Every bundle ferry writes is recorded in a ledger; a test's stays beside its cache.
    FERRY_LEDGER_DIR: `${cacheDir}-ledger`,
    NO_COLOR: '1',
    ...extra,
  };
}

export function runCli(
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    onStdoutLine?: (line: string, kill: () => void) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!options.onStdoutLine) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onStdoutLine(line, () => child.kill('SIGKILL'));
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolvePromise({ code, stdout, stderr, events });
    });
  });
}
