/**
 * Python venvs built from test/oracles.txt, the one file that pins every Python package the
 * tests and the benchmark install (exact versions, with the hashes of their wheels).
 *
 * A venv holds the lines of one "# venv: NAME" section and nothing else, installed by the real
 * pip from the index it is configured to use with `--require-hashes --no-deps`. It lives in
 * .ferry-work/NAME-<digest of those lines>: a changed pin gets a new venv, never a stale one.
 * Creation is guarded by a lock directory so that concurrent test files do not race, and the
 * venv is built where it stays (its scripts, such as bin/pip, embed their path).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const PIN_FILE = fileURLToPath(new URL('../oracles.txt', import.meta.url));
const WORK = join(dirname(PIN_FILE), '..', '.ferry-work');

/** The interpreter the venvs are made from. */
export const hostPython = process.env.FERRY_PYTHON ?? 'python3';

const SECTION = /^#\s*venv:\s*([A-Za-z0-9._-]+)\s*$/;

/** The names of the sections in the pin file, in order. */
export function pinnedVenvNames(text = readFileSync(PIN_FILE, 'utf8')): string[] {
  return text
    .split('\n')
    .map((line) => SECTION.exec(line.trimEnd())?.[1])
    .filter((name): name is string => name !== undefined);
}

/**
 * The requirement lines of one section, exactly as written (continuation lines included), as
 * a requirements file of their own. Comments and blank lines are left out.
 */
export function pinnedRequirements(venv: string, text = readFileSync(PIN_FILE, 'utf8')): string {
  const lines: string[] = [];
  let section: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const header = SECTION.exec(line);
    if (header !== null) {
      section = header[1];
      continue;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (section === venv) lines.push(line);
  }
  if (lines.length === 0) {
    throw new Error(`${PIN_FILE} has no requirements under "# venv: ${venv}"`);
  }
  return `${lines.join('\n')}\n`;
}

/** The pins of one section as `name==version` (continuations and hashes left out). */
export function pinnedVersions(venv: string, text?: string): string[] {
  return pinnedRequirements(venv, text)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0]!)
    .filter((pin) => pin !== '');
}

/** What the venv's directory name carries: a short SHA-256 of its requirement lines. */
export function pinDigest(requirements: string): string {
  return createHash('sha256').update(requirements).digest('hex').slice(0, 12);
}

/** Where the venv for `venv`'s current pins lives. */
export function pinnedVenvPath(venv: string, text?: string): string {
  return join(WORK, `${venv}-${pinDigest(pinnedRequirements(venv, text))}`);
}

export const venvPython = (venv: string): string => join(venv, 'bin', 'python');

/** Venvs of the same section built from older pins. */
function removeStale(venv: string, current: string): void {
  const own = new RegExp(`^${venv.replace(/[.]/g, '\\.')}-[0-9a-f]{12}$`);
  for (const entry of readdirSync(WORK)) {
    const path = join(WORK, entry);
    if (own.test(entry) && path !== current) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Makes (once) the venv of section `venv` and returns its directory. Throws when pip cannot
 * install the pins; its output is on stderr.
 */
export async function ensurePinnedVenv(venv: string): Promise<string> {
  const requirements = pinnedRequirements(venv);
  const path = join(WORK, `${venv}-${pinDigest(requirements)}`);
  const ready = join(path, '.ready');
  const lock = `${path}.lock`;
  mkdirSync(WORK, { recursive: true });
  for (;;) {
    if (existsSync(ready)) return path;
    try {
      mkdirSync(lock);
    } catch {
      // Another test file is creating it; a lock older than 10 minutes is stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true });
      } catch {
        // Released meanwhile.
      }
      await sleep(500);
      continue;
    }
    try {
      if (existsSync(ready)) return path;
      // A directory without .ready is what an interrupted build left.
      rmSync(path, { recursive: true, force: true });
      execFileSync(hostPython, ['-m', 'venv', path], { stdio: 'inherit' });
      const file = join(path, 'pins.txt');
      writeFileSync(file, requirements);
      execFileSync(
        venvPython(path),
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--require-hashes',
          '--no-deps',
          '-r',
          file,
        ],
        // pip's stdout would land in the test runner's; stderr is for people.
        { stdio: ['ignore', process.stderr, 'inherit'] },
      );
      writeFileSync(ready, '');
      removeStale(venv, path);
      return path;
    } catch (error) {
      rmSync(path, { recursive: true, force: true });
      throw error;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
