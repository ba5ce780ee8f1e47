/**
 * Runs smoke checks in a venv's Python: one fresh interpreter per check, each with a timeout,
 * each timed. A check that fails (or times out) makes the remaining checks `skipped`: they
 * would only repeat the failure, slowly.
 */
import { spawn } from 'node:child_process';
import { shippedFile } from '../../core/assets.js';
import type { EventSink } from '../../core/events.js';
import { lastLines } from '../../core/last-lines.js';
import { isolatedPipEnv } from '../../host/python-env.js';
import { IMPORTS_CHECK, type SmokeCheckSpec } from './checks.js';

export type SmokeOutcome = 'passed' | 'warning' | 'failed' | 'timeout' | 'skipped';

export interface SmokeCheckResult {
  readonly id: string;
  readonly title: string;
  readonly outcome: SmokeOutcome;
  readonly detail: string;
  /** Wall time of the step, interpreter start included. */
  readonly seconds: number;
  readonly data?: Record<string, unknown>;
}

export interface ImportResult {
  readonly module: string;
  readonly distribution: string;
  /**
   * not-a-module: a shared library named in top_level.txt that has no PyInit function;
   * plugin: a plugin module its framework loads itself (not imported by hand);
   * already-registered: a module that, imported after its framework, only registered again
   * what the framework already has. None of these three is a failure.
   */
  readonly status: 'ok' | 'failed' | 'not-a-module' | 'plugin' | 'already-registered';
  readonly error?: string;
  readonly seconds: number;
}

export interface SmokeOptions {
  readonly events?: EventSink;
  /** Overrides every check's own timeout (seconds). */
  readonly timeoutSeconds?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** A script shipped beside this module (src/onhost/smoke/); built code runs from dist/. */
export function smokeScriptPath(file: string): string {
  return shippedFile(`src/onhost/smoke/${file}`, 'ERR_FERRY_SMOKE_MISSING');
}

export const passed = (r: SmokeCheckResult): boolean =>
  r.outcome === 'passed' || r.outcome === 'warning';

export async function runSmokeChecks(
  venvPython: string,
  checks: readonly SmokeCheckSpec[],
  options: SmokeOptions = {},
): Promise<SmokeCheckResult[]> {
  const events = options.events ?? (() => {});
  const results: SmokeCheckResult[] = [];
  let failed: SmokeCheckResult | undefined;
  for (const spec of checks) {
    if (failed !== undefined) {
      results.push({
        id: spec.id,
        title: spec.title,
        outcome: 'skipped',
        detail: `not run: ${failed.id} failed`,
        seconds: 0,
      });
      continue;
    }
    events({ type: 'install-step', step: 'smoke', detail: `${spec.id}: ${spec.title}` });
    const timeout = options.timeoutSeconds ?? spec.timeoutSeconds;
    // The imports check runs its own script; every other check runs in harness.py.
    const args =
      spec === IMPORTS_CHECK
        ? [smokeScriptPath(IMPORTS_CHECK.file)]
        : [smokeScriptPath('harness.py'), smokeScriptPath(spec.file), spec.name];
    const step = await runStep(venvPython, ['-I', ...args], timeout, options.env);
    const result =
      spec === IMPORTS_CHECK
        ? importCheckResult(step, timeout)
        : harnessResult(spec, step, timeout);
    results.push(result);
    events({
      type: 'install-step',
      step: 'smoke',
      detail: `${spec.id}: ${result.outcome}, ${result.detail} (${result.seconds.toFixed(1)} s)`,
    });
    if (!passed(result)) failed = result;
  }
  return results;
}

/** harness.py's one JSON line (its last line of output) as the check's result. */
function harnessResult(
  spec: SmokeCheckSpec,
  step: StepResult,
  timeoutSeconds: number,
): SmokeCheckResult {
  const base = { id: spec.id, title: spec.title, seconds: step.seconds };
  if (step.timedOut)
    return {
      ...base,
      outcome: 'timeout',
      detail: `no result after ${timeoutSeconds} s; the interpreter was killed`,
      data: { stderr: lastLines(step.stderr, 10) },
    };
  const line = step.stdout.trim().split('\n').pop() ?? '';
  let record:
    | { outcome?: string; detail?: string; data?: Record<string, unknown>; checkSeconds?: number }
    | undefined;
  try {
    record = line === '' ? undefined : JSON.parse(line);
  } catch {
    record = undefined;
  }
  if (record === undefined) {
    return {
      ...base,
      outcome: 'failed',
      detail: `the interpreter died (${step.signal ?? `exit ${step.code}`}) before reporting: ${lastLines(step.stderr, 3) || 'no output'}`,
      data: { stderr: lastLines(step.stderr, 20) },
    };
  }
  const outcome: SmokeOutcome =
    record.outcome === 'warning' || record.outcome === 'failed' ? record.outcome : 'passed';
  return {
    ...base,
    outcome,
    detail: record.detail ?? '',
    data: {
      ...(record.data ?? {}),
      ...(record.checkSeconds === undefined ? {} : { checkSeconds: record.checkSeconds }),
    },
  };
}

/** The imports script's JSON lines (one `start`, then one result per module) as the check's result. */
function importCheckResult(step: StepResult, timeoutSeconds: number): SmokeCheckResult {
  const imports: ImportResult[] = [];
  let current: string | undefined;
  for (const line of step.stdout.split('\n')) {
    if (line.trim() === '') continue;
    let record: Partial<ImportResult> & { start?: string };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (record.start !== undefined) current = record.start;
    else if (record.module !== undefined) {
      current = undefined;
      imports.push({
        module: record.module,
        distribution: record.distribution ?? '?',
        status: record.status ?? 'failed',
        ...(record.error ? { error: record.error } : {}),
        seconds: record.seconds ?? 0,
      });
    }
  }
  const base = { id: IMPORTS_CHECK.id, title: IMPORTS_CHECK.title, seconds: step.seconds };
  if (step.timedOut) {
    return {
      ...base,
      outcome: 'timeout',
      detail: `importing ${current ?? 'the modules'} took longer than ${timeoutSeconds} s`,
      data: { imports },
    };
  }
  if (step.code !== 0 || current !== undefined) {
    imports.push({
      module: current ?? '?',
      distribution: '?',
      status: 'failed',
      error: `the interpreter died (${step.signal ?? `exit ${step.code}`}): ${lastLines(step.stderr, 5)}`,
      seconds: 0,
    });
  }
  const failures = imports.filter((i) => i.status === 'failed');
  const ok = imports.filter((i) => i.status === 'ok').length;
  if (failures.length > 0) {
    return {
      ...base,
      outcome: 'failed',
      detail: `${failures.length} of ${imports.length} modules failed to import: ${failures.map((i) => `${i.module} (${i.distribution}): ${i.error}`).join('; ')}`,
      data: { imports },
    };
  }
  const leftToFramework = imports.filter(
    (i) => i.status === 'plugin' || i.status === 'already-registered',
  );
  const note =
    leftToFramework.length === 0
      ? ''
      : `; left to the framework: ${leftToFramework.map((i) => `${i.module} (${i.status})`).join(', ')}`;
  return {
    ...base,
    outcome: 'passed',
    detail: `${ok} modules import${note}`,
    data: { imports },
  };
}

interface StepResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly seconds: number;
}

/** Runs one interpreter with the smoke environment; kills it after `timeoutSeconds`. */
function runStep(
  python: string,
  args: readonly string[],
  timeoutSeconds: number,
  env?: NodeJS.ProcessEnv,
): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      env: env ?? isolatedPipEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      // Keep the tail only: frameworks can log a great deal.
      stderr = (stderr + chunk).slice(-64 * 1024);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        timedOut,
        seconds: Math.round(Date.now() - started) / 1000,
      });
    });
  });
}
