/**
 * The new venv an install builds in its staging folder, with what `python -m venv` puts in it.
 *
 * `python -m venv DIR` runs ensurepip, which starts pip to install the interpreter's own bundled
 * wheels (pip, and setuptools up to Python 3.11): about 3 s, often more than uv then takes to
 * install a whole framework. When the bundle's uv runs here, the venv is made with
 * `--without-pip` and uv installs those same wheels, from the same files ensurepip would use
 * (the stdlib's `ensurepip/_bundled`, or the distribution's WHEEL_PKG_DIR), in a fraction of a
 * second. The venv is the one ensurepip makes: pip and setuptools at the interpreter's
 * versions, with their scripts. It matters: PaddlePaddle imports setuptools at import time.
 *
 * The script that finds those wheels is install.py's (ensurepipWheelsScript), which does the
 * same. Those wheels are the interpreter's own, trusted as the interpreter is (ensurepip installs
 * them without hashes too). Whenever they cannot be found (Python ≤ 3.9, a distribution that
 * strips ensurepip) or uv fails on them, the venv is made again by `python -m venv`.
 * ensurepip: https://docs.python.org/3/library/ensurepip.html and CPython's
 * Lib/ensurepip/__init__.py (_get_packages in 3.10–3.12, _get_pip_whl_path_ctx from 3.13).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurepipWheelsScript } from '../bundle/install-py.js';
import { FerryError } from '../core/errors.js';
import { isolatedPipEnv, run } from '../host/python-env.js';
import { type Installer, uvEnv } from './installer.js';

export interface CreateVenvOptions {
  /** The interpreter the venv is made from. */
  readonly python: string;
  /** The venv's folder (the staging folder; it may exist and hold the installer's work dir). */
  readonly dir: string;
  /** The bundle's uv, when it runs here: it seeds pip (and setuptools) instead of ensurepip. */
  readonly uv?: Installer;
  /** uv's cache (inside the staging folder, so it hard-links). */
  readonly cacheDir?: string;
}

/** How the venv was seeded, for the progress line. */
export type VenvSeed = 'uv' | 'ensurepip';

/** Makes the venv; throws ERR_FERRY_VENV_FAILED when `python -m venv` itself fails. */
export async function createVenv(options: CreateVenvOptions): Promise<VenvSeed> {
  if (options.uv?.binary !== undefined && (await seedWithUv(options, options.uv.binary)))
    return 'uv';
  const { python, dir } = options;
  const created = await run(python, ['-m', 'venv', dir], { env: isolatedPipEnv() }).catch(
    (error: Error) => ({ code: -1, stdout: '', stderr: `could not start it: ${error.message}` }),
  );
  if (created.code !== 0) {
    throw new FerryError(
      'ERR_FERRY_VENV_FAILED',
      `"${python} -m venv" failed: ${lastLines(created.stderr || created.stdout)}`,
      {
        hint: 'Install the venv module for this Python (e.g. the python3-venv package), or choose another --python.',
      },
    );
  }
  return 'ensurepip';
}

/** `--without-pip`, then uv installs ensurepip's wheels; false (venv removed) when it cannot. */
async function seedWithUv(options: CreateVenvOptions, uv: string): Promise<boolean> {
  const { python, dir } = options;
  const env = isolatedPipEnv();
  const listed = await run(python, ['-E', '-s', '-c', ensurepipWheelsScript()], { env }).catch(
    () => undefined,
  );
  let wheels: string[] = [];
  try {
    wheels = listed?.code === 0 ? (JSON.parse(listed.stdout) as string[]) : [];
  } catch {
    wheels = [];
  }
  if (wheels.length === 0) return false;
  const bare = await run(python, ['-m', 'venv', '--without-pip', dir], { env });
  if (bare.code === 0) {
    const seeded = await run(
      uv,
      [
        'pip',
        'install',
        '--offline',
        '--no-index',
        '--no-config',
        '--no-deps',
        '--no-build',
        '--no-python-downloads',
        '--no-progress',
        '--python',
        join(dir, 'bin', 'python'),
        ...(options.cacheDir === undefined ? ['--no-cache'] : ['--cache-dir', options.cacheDir]),
        ...wheels,
      ],
      { env: uvEnv() },
    ).catch(() => undefined);
    if (seeded?.code === 0) return true;
  }
  // Start again with ensurepip, leaving the installer's work dir (uv's binary) in place.
  for (const entry of ['bin', 'include', 'lib', 'lib64', 'pyvenv.cfg'])
    await rm(join(dir, entry), { recursive: true, force: true });
  return false;
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
