/**
 * `ferry install`: build a venv from a bundle with no network at all, prove that every
 * installed distribution imports, and only then move the venv into place. The venv is built
 * in a staging folder beside the destination; a failure or a kill leaves the destination as
 * it was (a stale staging folder is removed by the next run).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { type Manifest, parseManifest } from '../bundle/manifest.js';
import { defaultPython, isolatedPipEnv, run } from './python-env.js';

export interface InstallOptions {
  readonly bundleDir: string;
  readonly venv: string;
  readonly python?: string;
  readonly events?: EventSink;
  /** Replace an existing folder at the venv path. */
  readonly force?: boolean;
}

export interface ImportResult {
  readonly module: string;
  readonly distribution: string;
  /** not-a-module: a shared library named in top_level.txt that has no PyInit function. */
  readonly status: 'ok' | 'failed' | 'not-a-module';
  readonly error?: string;
  readonly seconds: number;
}

export interface InstallReport {
  readonly venv: string;
  readonly python: string;
  readonly packages: readonly { name: string; version: string }[];
  readonly imports: readonly ImportResult[];
  readonly failedImports: readonly ImportResult[];
  readonly seconds: number;
}

const IMPORT_CHECK = fileURLToPath(new URL('./import-check.py', import.meta.url));

export async function readBundleManifest(bundleDir: string): Promise<Manifest> {
  const path = join(bundleDir, 'manifest.json');
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new FerryError('ERR_FERRY_NOT_A_BUNDLE', `"${bundleDir}" is not a ferry bundle: ${path} cannot be read (${error.code ?? error.message}).`, {
      hint: 'Pass the folder that `ferry bundle -o` wrote.',
    });
  });
  return parseManifest(text, path);
}

/** Every file the manifest names is present with the recorded size and SHA-256. */
export async function checkBundleFiles(bundleDir: string, manifest: Manifest): Promise<void> {
  const problems: string[] = [];
  for (const file of manifest.files) {
    const path = join(bundleDir, file.path);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) {
      problems.push(`${file.path}: missing`);
      continue;
    }
    if (info.size !== file.size) {
      problems.push(`${file.path}: ${info.size} bytes, the manifest says ${file.size}`);
      continue;
    }
    const actual = await sha256File(path);
    if (actual !== file.sha256) problems.push(`${file.path}: sha256 ${actual}, the manifest says ${file.sha256}`);
  }
  if (problems.length > 0) {
    throw new FerryError('ERR_FERRY_BUNDLE_DAMAGED', `The bundle "${bundleDir}" is damaged:\n  ${problems.join('\n  ')}`, {
      hint: 'Carry the bundle again from its source, or rebuild it.',
      details: { problems },
    });
  }
}

export async function installBundle(options: InstallOptions): Promise<InstallReport> {
  const started = Date.now();
  const events = options.events ?? (() => {});
  const bundleDir = resolvePath(options.bundleDir);
  const venv = resolvePath(options.venv);
  const python = options.python ?? defaultPython();

  events({ type: 'install-step', step: 'check', detail: bundleDir });
  const manifest = await readBundleManifest(bundleDir);
  await checkBundleFiles(bundleDir, manifest);

  const existing = await lstat(venv).catch(() => undefined);
  if (existing !== undefined && !options.force) {
    throw new FerryError('ERR_FERRY_VENV_EXISTS', `"${venv}" already exists.`, {
      hint: 'Choose a new --venv path, or pass --force to replace it.',
    });
  }

  const staging = join(dirname(venv), `.${basename(venv)}.ferry-tmp`);
  await rm(staging, { recursive: true, force: true });
  try {
    events({ type: 'install-step', step: 'venv', detail: python });
    const created = await run(python, ['-m', 'venv', staging], { env: isolatedPipEnv() });
    if (created.code !== 0) {
      throw new FerryError('ERR_FERRY_VENV_FAILED', `"${python} -m venv" failed: ${lastLines(created.stderr || created.stdout)}`, {
        hint: 'Install the venv module for this Python (e.g. the python3-venv package), or choose another --python.',
      });
    }
    const venvPython = join(staging, 'bin', 'python');
    events({ type: 'install-step', step: 'pip', detail: `${manifest.files.length} files` });
    const pip = await run(
      venvPython,
      [
        '-m', 'pip', 'install',
        '--no-index',
        '--find-links', join(bundleDir, 'wheels'),
        '--require-hashes',
        '--only-binary', ':all:',
        '--no-cache-dir',
        '-r', join(bundleDir, 'requirements.txt'),
      ],
      { env: isolatedPipEnv() },
    );
    if (pip.code !== 0) {
      throw new FerryError('ERR_FERRY_PIP_FAILED', `pip could not install the bundle:\n${lastLines(pip.stderr || pip.stdout, 15)}`, {
        hint: 'The bundle may have been built for another target; check its manifest targets against this host.',
      });
    }
    events({ type: 'install-step', step: 'imports' });
    const imports = await checkImports(venvPython);
    const failedImports = imports.filter((i) => i.status === 'failed');
    if (failedImports.length > 0) {
      throw new FerryError(
        'ERR_FERRY_IMPORT_FAILED',
        `${failedImports.length} of ${imports.length} modules failed to import:\n  ${failedImports
          .map((i) => `${i.module} (${i.distribution}): ${i.error}`)
          .join('\n  ')}`,
        {
          hint: 'The venv was not kept. A missing shared library or a wheel for another platform is the usual cause.',
          details: { imports },
        },
      );
    }
    await relocateVenv(staging, venv);
    if (existing !== undefined) await rm(venv, { recursive: true, force: true });
    await rename(staging, venv);
    events({ type: 'install-step', step: 'done', detail: venv });
    return {
      venv,
      python,
      packages: manifest.packages.map((p) => ({ name: p.name, version: p.version })),
      imports,
      failedImports,
      seconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function checkImports(venvPython: string): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  let current: string | undefined;
  const outcome = await run(venvPython, [IMPORT_CHECK], {
    env: isolatedPipEnv(),
    onLine: (line) => {
      if (line.trim() === '') return;
      const record = JSON.parse(line) as Partial<ImportResult> & { start?: string };
      if (record.start !== undefined) current = record.start;
      else if (record.module !== undefined) {
        current = undefined;
        results.push({
          module: record.module,
          distribution: record.distribution ?? '?',
          status: record.status ?? 'failed',
          ...(record.error ? { error: record.error } : {}),
          seconds: record.seconds ?? 0,
        });
      }
    },
  });
  if (outcome.code !== 0 || current !== undefined) {
    results.push({
      module: current ?? '?',
      distribution: '?',
      status: 'failed',
      error: `the interpreter died (${outcome.signal ?? `exit ${outcome.code}`}): ${lastLines(outcome.stderr)}`,
      seconds: 0,
    });
  }
  return results;
}

/**
 * A venv records its own path in pyvenv.cfg, the activate scripts and every console script's
 * shebang; rewrite the staging path to the final one before the rename.
 */
async function relocateVenv(from: string, to: string): Promise<void> {
  const targets = [join(from, 'pyvenv.cfg')];
  for (const entry of await readdir(join(from, 'bin'))) targets.push(join(from, 'bin', entry));
  for (const path of targets) {
    const info = await lstat(path);
    if (!info.isFile() || info.size > 1 << 20) continue;
    const bytes = await readFile(path);
    if (bytes.includes(0)) continue; // a binary, not a script
    const text = bytes.toString('utf8');
    if (!text.includes(from)) continue;
    await writeFile(path, text.split(from).join(to), { mode: info.mode });
  }
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
