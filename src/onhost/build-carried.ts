/**
 * Building the sdists a bundle carries (`--allow-sdist`) on the target, before the install:
 *
 *   python -m pip wheel --no-index --find-links BUNDLE/wheels --no-deps -w OUT SDIST
 *
 * with the staging venv's pip and no pip configuration (isolatedPipEnv), so no network is used.
 * pip builds each sdist with build isolation (pip/_internal/build_env.py): a private prefix
 * whose build requirements pip installs with the same `--no-index --find-links`, that is from
 * the wheels inside the bundle and only those (offline-plan.ts has proven they are there).
 * Building first, rather than letting `pip install` build, gives a wheel whose SHA-256 is known
 * before it is installed: the sdist's line in requirements.txt gets the wheel's hash in place of
 * the sdist's, so the install runs with --require-hashes and wheels only (pip with --only-binary
 * :all:, or uv with --no-build), and the receipt records the wheel. Packages carried only for
 * these builds are left out of that file (./build-only.ts): the target venv does not get them.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { hashFile } from '../core/hash-file.js';
import { isolatedPipEnv, run } from '../host/python-env.js';
import { withoutPackages } from './build-only.js';

/** A wheel built on the target from a carried sdist (report, receipt). */
export interface BuiltOnTarget {
  /** The sdist's path in the bundle (wheels/NAME-VERSION.tar.gz). */
  readonly sdist: string;
  readonly sdistSha256: string;
  readonly wheel: string;
  readonly sha256: string;
  readonly seconds: number;
}

export interface CarriedBuild {
  /** requirements.txt with each built wheel's hash in place of its sdist's, build-only packages out. */
  readonly requirements: string;
  /** The folder holding the built wheels (a --find-links for the installer). */
  readonly wheelsDir: string;
  readonly built: readonly BuiltOnTarget[];
}

export interface BuildCarriedOptions {
  /** The interpreter whose pip builds (the staging venv's). */
  readonly python: string;
  readonly bundleDir: string;
  /** The sdists to build, bundle-relative (OfflinePlan.sdists). */
  readonly sdists: readonly string[];
  /** Folders pip may take build requirements from: the bundle's wheels (and a delta's base). */
  readonly findLinks: readonly string[];
  /** The requirements file to amend (the bundle's requirements.txt). */
  readonly requirements: string;
  /**
   * Normalized names of packages carried only to build the sdists (build-only.ts): left out of
   * the amended requirements, so the target venv does not get them.
   */
  readonly buildOnly?: ReadonlySet<string>;
  /** A scratch folder of ours (inside the staging venv): the wheels and the amended file. */
  readonly workDir: string;
  readonly events?: EventSink;
}

/** Builds every carried sdist into a wheel, offline; throws ERR_FERRY_TARGET_BUILD_FAILED. */
export async function buildCarriedSdists(options: BuildCarriedOptions): Promise<CarriedBuild> {
  const { python, bundleDir, sdists, events } = options;
  const wheelsDir = join(options.workDir, 'built');
  await mkdir(wheelsDir, { recursive: true });
  let requirements = withoutPackages(
    await readFile(options.requirements, 'utf8'),
    options.buildOnly ?? new Set(),
  );
  const built: BuiltOnTarget[] = [];
  for (const sdist of sdists) {
    const path = join(bundleDir, sdist);
    const out = join(options.workDir, `out-${built.length}`);
    await mkdir(out, { recursive: true });
    events?.({ type: 'info', message: `building ${basename(sdist)} on this host, offline` });
    const started = Date.now();
    const r = await run(
      python,
      [
        '-m',
        'pip',
        'wheel',
        '--no-index',
        ...options.findLinks.flatMap((l) => ['--find-links', l]),
        '--no-deps',
        '--no-cache-dir',
        '--wheel-dir',
        out,
        path,
      ],
      { env: isolatedPipEnv() },
    );
    const seconds = (Date.now() - started) / 1000;
    const wheels = r.code === 0 ? await listWheels(out) : [];
    if (r.code !== 0 || wheels.length !== 1) {
      const tail = (r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n');
      // An install that did not happen (exit 8), as a failed pip or uv run is.
      throw new FerryError(
        'ERR_FERRY_TARGET_BUILD_FAILED',
        `${basename(sdist)} could not be built into a wheel on this host (offline, from the bundle's wheels)${r.code === 0 ? `: pip wheel left ${wheels.length} wheels` : ''}.${tail === '' ? '' : `\n${tail}`}`,
        {
          hint: 'Building on the target needs a compiler (gcc/g++) and the Python headers for a native package; install them, or bundle on a host like this one so ferry carries a wheel.',
          details: { sdist },
        },
      );
    }
    const wheel = wheels[0]!;
    await rename(join(out, wheel), join(wheelsDir, wheel));
    const sha256 = await hashFile(join(wheelsDir, wheel));
    const sdistSha256 = await hashFile(path);
    requirements = addHash(requirements, sdistSha256, sha256);
    events?.({
      type: 'info',
      message: `built ${basename(sdist)} into ${wheel} in ${seconds.toFixed(1)} s (sha256 ${sha256})`,
    });
    built.push({ sdist, sdistSha256, wheel, sha256, seconds });
  }
  const amended = join(options.workDir, 'requirements.txt');
  await writeFile(amended, requirements);
  return { requirements: amended, wheelsDir, built };
}

/**
 * Puts `--hash=sha256:WHEEL` in place of every `--hash=sha256:SDIST` in a requirements text: the
 * installer is given wheels only, each under its hash, so uv (--no-build) installs it as well
 * as pip, and neither can fall back to the sdist.
 */
export function addHash(text: string, sdistSha256: string, wheelSha256: string): string {
  const at = `--hash=sha256:${sdistSha256}`;
  if (!text.includes(at))
    throw new FerryError(
      'ERR_FERRY_INCOMPLETE',
      `requirements.txt names no file with the SHA-256 ${sdistSha256} of a carried sdist.`,
      { hint: 'Rebuild the bundle with ferry bundle; its requirements.txt pins every file.' },
    );
  return text.split(at).join(`--hash=sha256:${wheelSha256}`);
}

async function listWheels(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.whl')).sort();
}
