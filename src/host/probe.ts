/**
 * Runs src/host/probe.py with a Python on this machine and parses the profile it prints.
 * The script is stdlib-only Python 3.6+; install.py embeds the same source (`--probe`).
 */
import { readFileSync } from 'node:fs';
import { embeddedAsset, shippedFile } from '../core/assets.js';
import { FerryError } from '../core/errors.js';
import { parseTargetProfile, type TargetProfile } from './profile.js';
import { defaultPython, run } from './python-env.js';

/** Environment variables probe.py reads (declared here because only the Python side reads them). */
export const PROBE_ENV = {
  /** Prefix for /proc, /sys, /etc, /lib, /usr: a fake host tree for tests. */
  root: 'FERRY_PROBE_ROOT',
  /** '1' skips nvidia-smi and ldconfig. */
  noCommands: 'FERRY_PROBE_NO_COMMANDS',
} as const;

const PROBE_ASSET = 'src/host/probe.py';

/** Where probe.py is on disk. */
export function probeScriptPath(): string {
  return shippedFile(PROBE_ASSET, 'ERR_FERRY_PROBE_MISSING');
}

/** probe.py's source, for embedding into a bundle's install.py. */
export function probeScriptSource(): string {
  return embeddedAsset(PROBE_ASSET) ?? readFileSync(probeScriptPath(), 'utf8');
}

export interface ProbeOptions {
  /** Interpreter that runs the probe (default FERRY_PYTHON or python3). */
  readonly python?: string;
  /** A fake host root (tests). */
  readonly root?: string;
  /** Run nvidia-smi and ldconfig (default true). */
  readonly runCommands?: boolean;
  /** More interpreters to describe besides the ones the probe finds. */
  readonly extraPythons?: readonly string[];
  /**
   * Describe the interpreter that runs the probe and no other (`--running-only`): what an
   * install into its venv, or a lock for this host's own interpreter, needs. Finding the others
   * starts each python3.X on PATH, most of the probe's time behind version-manager shims.
   */
  readonly runningOnly?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Probes this host (or a fake root) and returns the validated profile. */
export async function probeHost(options: ProbeOptions = {}): Promise<TargetProfile> {
  const base = options.env ?? process.env;
  const python = options.python ?? defaultPython(base);
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  delete env[PROBE_ENV.root];
  delete env[PROBE_ENV.noCommands];
  const args = ['-E', '-s', probeScriptPath(), '--compact'];
  if (options.root !== undefined) args.push('--root', options.root);
  if (options.runCommands === false) args.push('--no-commands');
  for (const p of options.extraPythons ?? []) args.push('--python', p);
  if (options.runningOnly === true) args.push('--running-only');
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run(python, args, { env });
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_PROBE_FAILED',
      `could not start "${python}" to probe the host`,
      {
        hint: 'Install Python 3.6 or later, or name one with --python or FERRY_PYTHON.',
        cause: error,
      },
    );
  }
  if (result.code !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new FerryError(
      'ERR_FERRY_PROBE_FAILED',
      `the probe failed under "${python}" (exit ${result.code}): ${tail}`,
      {
        hint: 'The probe needs Python 3.6 or later.',
      },
    );
  }
  return parseTargetProfile(result.stdout, `probe output of ${python}`);
}
