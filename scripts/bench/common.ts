/**
 * What every part of the benchmark shares: timing a command with its peak memory, the
 * environments the tools run in, the peers (uv and pip, pinned in test/oracles.txt), the ferry
 * build that is timed, and the goals with their PASS/MISS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePinnedVenv } from '../../test/helpers/pinned-venv.js';

export const WORK = resolve('.ferry-work/bench');

export interface Timed {
  readonly seconds: number;
  readonly ok: boolean;
  readonly error: string;
  /** Peak resident memory of the run and its children, from GNU time. */
  readonly peakMb?: number;
  readonly stdout: string;
}

/** GNU time, when present, reports the peak resident memory of the run (its children included). */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const PEAK_MARK = 'ferry-bench-peak-kb=';

/**
 * The longest one run may take before it is killed and counted as failed, so that one stuck
 * tool cannot stall the whole bench (FERRY_BENCH_TIMEOUT_S, default 600 s).
 */
export const RUN_TIMEOUT_S = Number(process.env.FERRY_BENCH_TIMEOUT_S ?? '') || 600;

export function time(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string; timeoutS?: number } = {},
): Timed {
  const timeoutS = options.timeoutS ?? RUN_TIMEOUT_S;
  const [cmd, argv] =
    GNU_TIME === undefined
      ? [command, [...args]]
      : [GNU_TIME, ['-f', `${PEAK_MARK}%M`, command, ...args]];
  const started = process.hrtime.bigint();
  const result = spawnSync(cmd, argv, {
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    // stdin is empty and closed: a tool that would prompt (pip for credentials) gets EOF at
    // once instead of waiting on a terminal no one watches.
    input: '',
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stderr = `${result.stderr}`;
  const peak = new RegExp(`${PEAK_MARK}(\\d+)`).exec(stderr);
  if (result.error !== undefined || result.signal !== null) {
    const timedOut = seconds >= timeoutS;
    return {
      seconds: Number.POSITIVE_INFINITY,
      ok: false,
      stdout: `${result.stdout ?? ''}`,
      error: timedOut
        ? `${command} ${args[0] ?? ''}: killed after ${timeoutS} s (FERRY_BENCH_TIMEOUT_S)`
        : `${command}: ${result.error?.message ?? `killed by ${result.signal}`}`,
    };
  }
  return {
    seconds,
    ok: result.status === 0,
    stdout: `${result.stdout}`,
    error:
      result.status === 0
        ? ''
        : stderr
            .replace(new RegExp(`${PEAK_MARK}\\d+`), '')
            .trim()
            .split('\n')
            .slice(-3)
            .join(' | '),
    ...(peak === null ? {} : { peakMb: Number(peak[1]) / 1024 }),
  };
}

/** Cold (first run on an empty cache) and warm (the best of `warmRuns` more on that cache). */
export interface ColdWarm {
  readonly cold: number;
  readonly warm: number;
  readonly peakMb: number;
  readonly ok: boolean;
  readonly error: string;
  readonly last: Timed;
}

export function coldWarm(run: () => Timed, warmRuns: number): ColdWarm {
  const cold = run();
  let warm = Number.POSITIVE_INFINITY;
  let peakMb = cold.peakMb ?? 0;
  let ok = cold.ok;
  let error = cold.error;
  let last = cold;
  for (let i = 0; i < warmRuns; i++) {
    last = run();
    warm = Math.min(warm, last.seconds);
    peakMb = Math.max(peakMb, last.peakMb ?? 0);
    ok &&= last.ok;
    error ||= last.error;
  }
  return { cold: cold.seconds, warm, peakMb, ok, error, last };
}

/** The environment with nothing of pip's, uv's or ferry's configuration: one index, given as flags. */
export function isolatedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PIP_') && !k.startsWith('UV_') && !k.startsWith('FERRY_')) env[k] = v;
  return {
    ...env,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    UV_NO_CONFIG: '1',
    // uv looks for (and would try to download) an interpreter of --python-version; it needs only
    // the version for markers, so keep it from spending seconds on a download that cannot work.
    UV_PYTHON_DOWNLOADS: 'never',
  };
}

/** The machine's environment as found (pip's configuration included), less ferry's own variables. */
export function machineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('FERRY_') && !k.startsWith('UV_')) env[k] = v;
  return { ...env, PIP_NO_INPUT: '1', UV_NO_CONFIG: '1', UV_PYTHON_DOWNLOADS: 'never' };
}

export interface Peers {
  readonly uv: string;
  readonly pip: string;
  readonly uvVersion: string;
  readonly pipVersion: string;
}

/** uv and pip at the versions test/oracles.txt pins (hash-checked). */
export async function ensurePeers(): Promise<Peers> {
  const venv = await ensurePinnedVenv('bench-venv');
  const uv = join(venv, 'bin', 'uv');
  const pip = join(venv, 'bin', 'pip');
  return {
    uv,
    pip,
    uvVersion: execFileSync(uv, ['--version'], { encoding: 'utf8' }).trim(),
    pipVersion: execFileSync(pip, ['--version'], { encoding: 'utf8' }).trim().split(' from ')[0]!,
  };
}

/**
 * ferry as one file (scripts/build-single.mjs), built into the bench's own folder so that the
 * bench neither needs nor changes dist/.
 */
export function buildFerry(): string {
  const out = join(WORK, 'ferry.mjs');
  execFileSync(process.execPath, ['scripts/build-single.mjs', '--outfile', out], {
    stdio: 'inherit',
  });
  return out;
}

/** `[[packages]]` entries of a pylock.toml. */
export function lockedCount(pylockPath: string): number {
  try {
    return (readFileSync(pylockPath, 'utf8').match(/^\[\[packages\]\]$/gm) ?? []).length;
  } catch {
    return 0;
  }
}

export interface Goal {
  readonly what: string;
  readonly measured: string;
  readonly goal: string;
  readonly pass: boolean;
}

/** A ratio (or value) against its limit: `≤ limit` passes. */
export function goalAtMost(what: string, value: number, limit: number, unit = '×'): Goal {
  const show = (v: number) => (unit === '×' ? `${v.toFixed(2)}×` : `${v.toFixed(2)} ${unit}`);
  return {
    what,
    measured: Number.isFinite(value) ? show(value) : 'failed',
    goal: `≤ ${show(limit)}`,
    pass: Number.isFinite(value) && value <= limit,
  };
}

export const geo = (xs: readonly number[]): number =>
  xs.length === 0 ? Number.NaN : Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

export const secs = (s: number): string => (Number.isFinite(s) ? `${s.toFixed(2)} s` : '—');
export const mb = (m: number | undefined): string => (m === undefined ? '—' : `${m.toFixed(0)} MB`);
