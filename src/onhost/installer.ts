/**
 * The install step's installer: uv when the bundle carries it and it runs on this host, else
 * pip (what every bundle used before). Both install with hashes required, from the bundle's
 * wheels only, with no network and no user configuration:
 *
 *   uv pip install --offline --no-index --no-config --no-deps --require-hashes --no-build
 *      --find-links WHEELS --python VENV/bin/python --cache-dir STAGING/.ferry-installer/cache
 *      -r requirements.txt
 *   python -m pip install --no-index --find-links WHEELS --require-hashes
 *      [--only-binary :all:] --no-cache-dir -r requirements.txt
 *
 * uv's flags and variables: https://docs.astral.sh/uv/reference/cli/#uv-pip-install and
 * https://docs.astral.sh/uv/configuration/environment/ — every UV_* variable is dropped from
 * its environment (UV_NO_VERIFY_HASHES, UV_INDEX_URL, UV_FIND_LINKS... would change what it
 * does), as every PIP_* variable is for pip. --no-deps is safe because the bundle's closure was
 * proven complete before (ferry verify, offline-plan.ts); --no-build because uv only runs for
 * bundles of wheels (a bundle carrying sdists installs with pip, which builds them).
 *
 * uv's binary is unpacked from the carried wheel (`uv-VERSION.data/scripts/uv`) into the
 * staging folder, whose bytes were verified with the rest of the bundle; it must answer
 * `uv --version` before it is used. It does not run on another arch, another libc or a noexec
 * filesystem: then pip installs and the reason is reported (W_FERRY_INSTALLER_FALLBACK).
 * Its cache lives in the staging folder too (same filesystem, so uv hard-links rather than
 * copies) and is removed, with the binary, before the smoke test.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uvBinaryEntry, uvTools } from '../bundle/installer-tool.js';
import type { Manifest, ManifestTool } from '../bundle/manifest.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { isolatedPipEnv, run } from '../host/python-env.js';
import { readZipEntries, readZipEntry } from '../index/wheel-metadata.js';

/** `--installer`: auto (uv when it runs here, else pip), uv (uv or fail), pip. */
export type InstallerChoice = 'auto' | 'uv' | 'pip';

export const INSTALLER_CHOICES: readonly InstallerChoice[] = ['auto', 'uv', 'pip'];

/** The installer that ran, for the report and the receipt. */
export interface InstallerUsed {
  readonly name: 'uv' | 'pip';
  /** `uv --version`'s or `pip --version`'s version. */
  readonly version: string;
  /** Why this one, in words. */
  readonly reason: string;
}

/** What the install step runs: an installer ready to go. */
export type Installer = InstallerUsed & { readonly binary?: string };

/** The folder inside the staging venv that holds uv's binary and cache during the install. */
export const installerWorkDir = (staging: string): string => join(staging, '.ferry-installer');

/** uv's machine names (its wheels' platform tags) for Node's process.arch. */
const MACHINE: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };

export interface ChooseOptions {
  readonly bundleDir: string;
  readonly manifest: Manifest;
  readonly choice: InstallerChoice;
  /** Where uv's binary may be unpacked (installerWorkDir of the staging venv). */
  readonly workDir: string;
  /** The staging venv's interpreter (for pip's version). */
  readonly python: string;
  /** sdists the install builds (offline-plan.ts): uv is not used for those. */
  readonly sdists: number;
  /** What findCarriedUv found already (prepareInstall seeds the venv with it). */
  readonly carriedUv?: CarriedUv;
  readonly events?: EventSink;
}

/**
 * uv when asked (auto, uv), carried and runnable here; else pip with the reason. `--installer
 * uv` fails (ERR_FERRY_INSTALLER_UNAVAILABLE) where auto falls back.
 */
export async function chooseInstaller(options: ChooseOptions): Promise<Installer> {
  const { choice, events = () => {} } = options;
  const pip = async (reason: string, warn: boolean): Promise<Installer> => {
    if (choice === 'uv')
      throw new FerryError(
        'ERR_FERRY_INSTALLER_UNAVAILABLE',
        `--installer uv was given, but ${reason}.`,
        {
          hint: 'Install with pip (--installer auto or pip), or rebuild the bundle with ferry bundle --installer uv for this host.',
        },
      );
    if (warn)
      events({
        type: 'warning',
        code: 'W_FERRY_INSTALLER_FALLBACK',
        message: `installing with pip: ${reason}`,
      });
    return { name: 'pip', version: await pipVersion(options.python), reason };
  };
  if (choice === 'pip') return pip('--installer pip was given', false);
  if (options.sdists > 0)
    return pip(
      `the bundle carries ${options.sdists} sdist(s), which pip builds on this host`,
      false,
    );
  const carried = options.carriedUv ?? (await findCarriedUv(options));
  if (carried.installer !== undefined) return carried.installer;
  if (carried.failures.length === 0)
    return pip('the bundle carries no uv (made with --installer pip, or by an older ferry)', false);
  return pip(`the uv the bundle carries does not run here (${carried.failures.join('; ')})`, true);
}

/** The bundle's uv, unpacked and answering here; or why not (no failures: none carried). */
export interface CarriedUv {
  readonly installer?: Installer;
  readonly failures: readonly string[];
}

/** Unpacks each carried uv (this machine's first) until one answers `uv --version`. */
export async function findCarriedUv(
  options: Pick<ChooseOptions, 'bundleDir' | 'manifest' | 'workDir'>,
): Promise<CarriedUv> {
  const failures: string[] = [];
  for (const tool of preferThisMachine(uvTools(options.manifest.tools))) {
    try {
      const binary = await unpackUv(options.bundleDir, tool, options.workDir);
      const version = await uvVersion(binary);
      return {
        installer: {
          name: 'uv',
          version,
          reason: `the bundle carries ${tool.tool} (${tool.path}) and it runs here`,
          binary,
        },
        failures,
      };
    } catch (error) {
      failures.push(`${tool.path}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  await rm(options.workDir, { recursive: true, force: true });
  return { failures };
}

/** The carried wheels for this machine first, then the others (an emulated arch may run). */
function preferThisMachine(tools: readonly ManifestTool[]): ManifestTool[] {
  const machine = MACHINE[process.arch] ?? process.arch;
  const mine = (t: ManifestTool): boolean => t.path.includes(`_${machine}`);
  return [...tools.filter(mine), ...tools.filter((t) => !mine(t))];
}

/** Unpacks `uv-VERSION.data/scripts/uv` from the carried wheel into workDir (mode 0755). */
export async function unpackUv(
  bundleDir: string,
  tool: ManifestTool,
  workDir: string,
): Promise<string> {
  const wheelPath = join(bundleDir, tool.path);
  const entryName = uvBinaryEntry(tool.path.slice('tools/'.length));
  if (entryName === undefined) throw new Error(`${tool.path} is not a wheel file name`);
  const handle = await open(wheelPath, 'r');
  let bytes: Buffer;
  try {
    const { size } = await handle.stat();
    const reader = {
      size,
      label: wheelPath,
      async read(start: number, length: number) {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
        const { bytesRead } = await handle.read(buf, 0, buf.length, start);
        return buf.subarray(0, bytesRead);
      },
    };
    const entry = (await readZipEntries(reader)).find((e) => e.name === entryName);
    if (entry === undefined) throw new Error(`${tool.path} holds no ${entryName}`);
    bytes = await readZipEntry(reader, entry);
  } finally {
    await handle.close();
  }
  const dir = join(workDir, tool.path.slice('tools/'.length, -'.whl'.length));
  await mkdir(dir, { recursive: true });
  const binary = join(dir, 'uv');
  await writeFile(binary, bytes);
  await chmod(binary, 0o755);
  return binary;
}

/** uv's environment: this process's, without UV_* (uv's settings) and Python's path variables. */
export function uvEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean = isolatedPipEnv(env);
  for (const key of Object.keys(clean)) if (key.startsWith('UV_')) delete clean[key];
  clean.UV_NO_CONFIG = '1';
  return clean;
}

/** `uv --version` → "0.13.9"; throws when the binary does not run (arch, libc, noexec). */
export function uvVersion(binary: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['--version'], { env: uvEnv(), timeout: 30_000 }, (error, stdout) => {
      const m = /^uv (\S+)/.exec(String(stdout).trim());
      if (error !== null) reject(new Error(`uv --version failed: ${error.message}`));
      else if (m === null) reject(new Error(`uv --version said "${String(stdout).trim()}"`));
      else resolve(m[1] as string);
    });
  });
}

async function pipVersion(python: string): Promise<string> {
  const out = await run(python, ['-m', 'pip', '--version'], { env: isolatedPipEnv() }).catch(
    () => undefined,
  );
  return /^pip (\S+)/.exec(out?.stdout.trim() ?? '')?.[1] ?? 'unknown';
}

export interface RunInstallerOptions {
  readonly installer: Installer;
  /** The staging venv's interpreter. */
  readonly python: string;
  /** Folders of wheels: the bundle's wheels/, and a delta's base files. */
  readonly findLinks: readonly string[];
  readonly requirements: string;
  /** sdists in the install (pip only): without them pip is held to --only-binary :all:. */
  readonly sdists: number;
  /** uv's cache (inside the staging folder, removed after). */
  readonly workDir: string;
}

/** The command line of the install step (also shown in messages). */
export function installerCommand(options: RunInstallerOptions): {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
} {
  const { installer, python, findLinks, requirements } = options;
  const links = findLinks.flatMap((dir) => ['--find-links', dir]);
  if (installer.name === 'uv' && installer.binary !== undefined)
    return {
      command: installer.binary,
      args: [
        'pip',
        'install',
        '--offline',
        '--no-index',
        '--no-config',
        '--no-deps',
        '--require-hashes',
        '--no-build',
        '--no-python-downloads',
        '--no-progress',
        ...links,
        '--python',
        python,
        '--cache-dir',
        join(options.workDir, 'cache'),
        '-r',
        requirements,
      ],
      env: uvEnv(),
    };
  return {
    command: python,
    args: [
      '-m',
      'pip',
      'install',
      '--no-index',
      ...links,
      '--require-hashes',
      ...(options.sdists === 0 ? ['--only-binary', ':all:'] : []),
      '--no-cache-dir',
      '-r',
      requirements,
    ],
    env: isolatedPipEnv(),
  };
}

/**
 * Runs the install step; throws ERR_FERRY_UV_FAILED or ERR_FERRY_PIP_FAILED with the tail of
 * its output. uv's work folder is removed either way.
 */
export async function runInstaller(options: RunInstallerOptions): Promise<void> {
  const { command, args, env } = installerCommand(options);
  const result = await run(command, args, { env }).finally(() =>
    rm(options.workDir, { recursive: true, force: true }),
  );
  if (result.code === 0) return;
  const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
  const uv = options.installer.name === 'uv';
  throw new FerryError(
    uv ? 'ERR_FERRY_UV_FAILED' : 'ERR_FERRY_PIP_FAILED',
    `${uv ? `uv ${options.installer.version}` : 'pip'} could not install the bundle:\n${tail}`,
    {
      hint: uv
        ? 'A file that does not match its hash is refused; run `ferry verify BUNDLE`, and `ferry doctor BUNDLE` on this host (--installer pip installs with pip instead).'
        : 'The bundle may have been built for another target; run `ferry doctor BUNDLE` on this host.',
    },
  );
}
