/**
 * Runs `ferry lock` and the real pip with one pip configuration of the test's own: a pip.conf
 * named by PIP_CONFIG_FILE (so pip skips the user files), XDG_CONFIG_DIRS and HOME pointing at
 * an empty folder, and none of the test process's PIP_* variables. /etc/pip.conf is read by
 * both tools alike.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BIN = resolve('bin/ferry.js');
export const PYTHON = process.env.FERRY_PYTHON ?? 'python3';
export const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.36'];

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function spawnRun(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

let counter = 0;

/** Writes `conf` as a pip.conf in `work` and returns an environment that reads only it. */
export function pipEnvironment(
  work: string,
  conf: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const file = join(work, `pip-${++counter}.conf`);
  const empty = join(work, 'empty');
  mkdirSync(empty, { recursive: true });
  writeFileSync(file, `[global]\ndisable-pip-version-check = yes\n${conf}`);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PIP_') || k.startsWith('FERRY_') || /_proxy$/i.test(k)) continue;
    if (k === 'REQUESTS_CA_BUNDLE' || k === 'CURL_CA_BUNDLE') continue;
    env[k] = v;
  }
  return {
    ...env,
    PIP_CONFIG_FILE: file,
    XDG_CONFIG_DIRS: empty,
    XDG_CONFIG_HOME: empty,
    HOME: empty,
    FERRY_CACHE_DIR: join(work, `cache-${counter}`),
    ...(process.env.FERRY_PYTHON === undefined ? {} : { FERRY_PYTHON: process.env.FERRY_PYTHON }),
    NO_COLOR: '1',
    ...extra,
  };
}

/** `ferry lock ARGS` for the test target, run in `work` (relative paths resolve there). */
export function ferryLock(
  work: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Run> {
  return spawnRun(process.execPath, [BIN, 'lock', ...args, ...TARGET, '-o', '-'], work, env);
}

/** name → version that `ferry lock` picks. */
export async function ferryPicks(
  work: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  const r = await ferryLock(work, [...args, '--json'], env);
  assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
  const result = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event?: string; packages?: { name: string; version: string }[] })
    .find((e) => e.event === 'result');
  assert.ok(result?.packages, r.stdout);
  return Object.fromEntries(result.packages.map((p) => [p.name, p.version]));
}

/** name → version the real pip would install (`pip install --dry-run --report`). */
export async function pipPicks(
  work: string,
  requirements: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  const report = join(work, `report-${++counter}.json`);
  const r = await spawnRun(
    PYTHON,
    [
      '-m',
      'pip',
      'install',
      '--dry-run',
      '--ignore-installed',
      '--quiet',
      '--report',
      report,
      ...requirements,
    ],
    work,
    env,
  );
  assert.equal(r.code, 0, r.stderr);
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as {
    install: { metadata: { name: string; version: string } }[];
  };
  return Object.fromEntries(
    parsed.install.map((i) => [i.metadata.name.toLowerCase(), i.metadata.version]),
  );
}
