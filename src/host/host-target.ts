/**
 * The default target: the interpreter that will run on this very host (python3, or --python).
 * It goes through the same probe a real target host runs, so "this host" and "a captured
 * profile" are one code path.
 *
 * The probe starts Python (behind a pyenv shim, over a second), and its answer cannot change
 * while the interpreter, the dynamic linker's cache and the probe script are unchanged, so the
 * profile is kept in ferry's cache dir (src/store/fact-cache.ts) under those files'
 * fingerprints: a warm run starts no process to learn what it learnt last time.
 */
import { createHash } from 'node:crypto';
import { release } from 'node:os';
import { FerryError } from '../core/errors.js';
import { defaultCacheDir } from '../fetch/cache.js';
import type { Target } from '../standards/target.js';
import { FactCache, interpreterKey } from '../store/fact-cache.js';
import { probeHost, probeScriptSource } from './probe.js';
import { parseTargetProfile, profileToTargets, type TargetProfile } from './profile.js';
import { defaultPython } from './python-env.js';

/** What hostTarget needs from outside; tests pass their own. */
export interface HostTargetIo {
  readonly probe: typeof probeHost;
  /** The fact cache, or null for none. Default: `<defaultCacheDir>/facts`. */
  readonly cache?: FactCache | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Files besides the interpreter whose change may change the probe's answer. */
const HOST_FILES = [
  // ldconfig rewrites it whenever libraries (a new glibc, CUDA libraries) are installed.
  '/etc/ld.so.cache',
  // Where CUDA toolkits appear (the probe's cuda-dir search).
  '/usr/local',
];

export async function hostTarget(
  python?: string,
  runCommands = false,
  io: HostTargetIo = { probe: probeHost },
): Promise<{ target: Target; profile: TargetProfile }> {
  const env = io.env ?? process.env;
  const profile = await cachedProbe(python ?? defaultPython(env), runCommands, io, env);
  const target = profileToTargets(profile)[0];
  if (target === undefined) {
    throw new FerryError(
      'ERR_FERRY_PROBE_FAILED',
      `The probe found no Python interpreter on this host${python ? ` (asked for ${python})` : ''}.`,
      {
        hint: 'Install python3, or name one with --python.',
      },
    );
  }
  // The host's own name, without the interpreter path profileToTargets adds when it finds several.
  return { target: { ...target, name: `host-py${target.interpreter.version.join('.')}` }, profile };
}

async function cachedProbe(
  python: string,
  runCommands: boolean,
  io: HostTargetIo,
  env: NodeJS.ProcessEnv,
): Promise<TargetProfile> {
  // The host's own target is its one interpreter: the others on PATH are not started.
  const probe = () => io.probe({ python, runCommands, env, runningOnly: true });
  // nvidia-smi's answer (driver, GPUs) changes without any file we could watch: not cached.
  if (runCommands) return probe();
  const cache = io.cache === undefined ? new FactCache(defaultCacheDir(env)) : io.cache;
  if (cache === null) return probe();
  const key = await interpreterKey(python, env, cache.io, io.cwd);
  if (key === undefined) return probe();
  const cached = await cache.get(
    'host-profile',
    {
      values: {
        ...key.values,
        probe: createHash('sha256').update(probeScriptSource()).digest('hex'),
        kernel: release(),
      },
      files: [...key.files, ...HOST_FILES],
    },
    probe,
    // The real executables behind a shim or a venv's symlink, and the CUDA libraries found.
    (profile) => [
      ...profile.interpreters.map((i) => i.executable),
      ...(profile.cudaLibraries ?? []).map((l) => l.path),
    ],
  );
  // Validated again as it is read back: an entry from another ferry version may not fit.
  try {
    return parseTargetProfile(cached, 'the cached host profile');
  } catch {
    return probe();
  }
}
