/** Runs the real CLI (node bin/ferry.js) as a user would, with an isolated cache and pip config. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

/**
 * A new folder under the system's temporary folder, removed when the test file's process exits
 * (e2e folders hold venvs and bundles of 1–2 GB each, and a machine that runs the suite often
 * would fill its disk). FERRY_KEEP_TEST_DIRS=1 keeps them, to look into a failure.
 */
export function tempDir(prefix = 'ferry-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.env.FERRY_KEEP_TEST_DIRS !== '1') {
    if (madeDirs.length === 0) process.on('exit', removeMadeDirs);
    madeDirs.push(dir);
  }
  return dir;
}

const madeDirs: string[] = [];

function removeMadeDirs(): void {
  for (const dir of madeDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // A folder a test made unreadable on purpose is left; it is small.
    }
  }
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
