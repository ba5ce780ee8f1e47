/**
 * The new venv an install builds in its staging folder, with what `python -m venv` puts in it.
 *
 * `python -m venv DIR` runs ensurepip, which starts pip to install the interpreter's own bundled
 * wheels (pip, and setuptools up to Python 3.11): about 3 s, often more than uv then takes to
 * install a whole framework. When the bundle's uv runs here, the venv is made with
 * `--without-pip` and the same wheels, from the same files ensurepip would use (the stdlib's
 * `ensurepip/_bundled`, or the distribution's WHEEL_PKG_DIR), join the bundle's in uv's one
 * install, hash-checked like them (withSeedWheels). The venv is the one ensurepip makes: pip
 * and setuptools at the interpreter's versions, with their scripts. It matters: PaddlePaddle
 * imports setuptools at import time.
 *
 * The script that finds those wheels is install.py's (ensurepipWheelsScript), which does the
 * same. Those wheels are the interpreter's own, trusted as the interpreter is (ensurepip installs
 * them without hashes too; here they are hashed as found). Whenever they cannot be found
 * (Python ≤ 3.9, a distribution that strips ensurepip), `python -m venv` makes the venv.
 * ensurepip: https://docs.python.org/3/library/ensurepip.html and CPython's
 * Lib/ensurepip/__init__.py (_get_packages in 3.10–3.12, _get_pip_whl_path_ctx from 3.13).
 */
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ensurepipWheelsScript } from '../bundle/install-py.js';
import { FerryError } from '../core/errors.js';
import { hashFile } from '../core/hash-file.js';
import { lastLines } from '../core/last-lines.js';
import { isolatedPipEnv, run } from '../host/python-env.js';
import { parseWheelFilename } from '../standards/filename.js';
import { type NormalizedName, normalizeName } from '../standards/name.js';

export interface CreateVenvOptions {
  /** The interpreter the venv is made from. */
  readonly python: string;
  /** The venv's folder (the staging folder; it may exist and hold the installer's work dir). */
  readonly dir: string;
  /**
   * The bundle's uv runs here and will install: make the venv `--without-pip` and leave
   * ensurepip's wheels to that install (seedWheels), instead of running ensurepip.
   */
  readonly seedByInstaller?: boolean;
}

/** A wheel ensurepip would have installed, for the installer's run (hash-checked there too). */
export interface SeedWheel {
  readonly path: string;
  readonly name: NormalizedName;
  readonly version: string;
  readonly sha256: string;
}

export interface CreatedVenv {
  /** Empty when ensurepip seeded the venv; else what the install must add. */
  readonly seedWheels: readonly SeedWheel[];
}

/** Makes the venv; throws ERR_FERRY_VENV_FAILED when `python -m venv` itself fails. */
export async function createVenv(options: CreateVenvOptions): Promise<CreatedVenv> {
  const { python, dir } = options;
  const env = isolatedPipEnv();
  if (options.seedByInstaller === true) {
    const wheels = await ensurepipWheels(python);
    if (wheels.length > 0) {
      const bare = await run(python, ['-m', 'venv', '--without-pip', dir], { env }).catch(
        () => undefined,
      );
      if (bare?.code === 0) return { seedWheels: wheels };
      // Start again with ensurepip, leaving the installer's work dir (uv's binary) in place.
      for (const entry of ['bin', 'include', 'lib', 'lib64', 'pyvenv.cfg'])
        await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  const created = await run(python, ['-m', 'venv', dir], { env }).catch((error: Error) => ({
    code: -1,
    stdout: '',
    stderr: `could not start it: ${error.message}`,
  }));
  if (created.code !== 0) {
    throw new FerryError(
      'ERR_FERRY_VENV_FAILED',
      `"${python} -m venv" failed: ${lastLines(created.stderr || created.stdout)}`,
      { hint: VENV_HINT },
    );
  }
  return { seedWheels: [] };
}

/** The wheels ensurepip would install for `python`, hashed; [] when they cannot be found. */
async function ensurepipWheels(python: string): Promise<SeedWheel[]> {
  const listed = await run(python, ['-E', '-s', '-c', ensurepipWheelsScript()], {
    env: isolatedPipEnv(),
  }).catch(() => undefined);
  let paths: string[];
  try {
    paths = listed?.code === 0 ? (JSON.parse(listed.stdout) as string[]) : [];
  } catch {
    return [];
  }
  const wheels: SeedWheel[] = [];
  for (const path of paths) {
    const parsed = tryParseWheel(basename(path));
    if (parsed === undefined) return [];
    wheels.push({
      path,
      name: normalizeName(parsed.name),
      version: parsed.version,
      sha256: await hashFile(path),
    });
  }
  return wheels;
}

function tryParseWheel(filename: string): { name: string; version: string } | undefined {
  try {
    const parsed = parseWheelFilename(filename);
    return { name: parsed.name, version: parsed.version };
  } catch {
    return undefined;
  }
}

/**
 * The install's requirements with the seed wheels added: `NAME==VERSION --hash=sha256:…` for
 * each one the bundle does not pin itself (the bundle's own pip or setuptools wins, as it
 * would over ensurepip's), and the folders that hold them, for --find-links.
 */
export function withSeedWheels(
  requirements: string,
  seedWheels: readonly SeedWheel[],
  pinned: ReadonlySet<NormalizedName>,
): { requirements: string; findLinks: string[] } {
  const added = seedWheels.filter((w) => !pinned.has(w.name));
  const lines = added.map((w) => `${w.name}==${w.version} --hash=sha256:${w.sha256}`);
  return {
    requirements: `${requirements.replace(/\n*$/, '\n')}${lines.map((l) => `${l}\n`).join('')}`,
    findLinks: [...new Set(added.map((w) => dirname(w.path)))],
  };
}

/** `python -m ensurepip --default-pip` in a venv made without pip (what `python -m venv` runs). */
export async function ensurePip(venvPython: string): Promise<void> {
  const ran = await run(venvPython, ['-m', 'ensurepip', '--default-pip'], {
    env: isolatedPipEnv(),
  });
  if (ran.code !== 0)
    throw new FerryError(
      'ERR_FERRY_VENV_FAILED',
      `"${venvPython} -m ensurepip" failed: ${lastLines(ran.stderr || ran.stdout)}`,
      { hint: VENV_HINT },
    );
}

const VENV_HINT =
  'Install the venv module for this Python (e.g. the python3-venv package), or choose another --python.';
