/**
 * uv's real wheel for this machine, for the tests of uv as the bundle's installer: the uv pin
 * of test/oracles.txt (bench-venv section, the only place its hashes live), fetched once by
 * `pip download --require-hashes --no-deps --only-binary :all:` from the index pip is
 * configured to use, into .ferry-work/uv-wheel-<digest of the pin>. The pin must be the
 * version ferry carries (src/bundle/installer-tool.ts UV_VERSION); the tests check it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostPython, PIN_FILE, pinDigest, pinnedRequirements } from './pinned-venv.js';

const WORK = join(dirname(PIN_FILE), '..', '.ferry-work');

/** The uv lines of the bench-venv section (the pin with all its hashes). */
export function uvPinLines(): string {
  const text = pinnedRequirements('bench-venv').replace(/\\\n/g, ' ');
  const line = text.split('\n').find((l) => /^uv==/.test(l.trim()));
  if (line === undefined) throw new Error(`${PIN_FILE} pins no uv under "# venv: bench-venv"`);
  return `${line.trim().replace(/\s+--hash/g, ' \\\n    --hash')}\n`;
}

/** The pinned version ("0.13.9"). */
export const uvPinVersion = (): string => /^uv==(\S+)/.exec(uvPinLines())?.[1] ?? '';

/** The SHA-256s the pin allows. */
export const uvPinHashes = (): string[] =>
  [...uvPinLines().matchAll(/--hash=sha256:([0-9a-f]{64})/g)].map((m) => m[1] as string);

/**
 * The path of uv's wheel for this machine, or a reason it could not be had (for a skip).
 * Hash-checked by pip against the pin.
 */
export function ensureUvWheel(): { path: string } | { skip: string } {
  const lines = uvPinLines();
  const dir = join(WORK, `uv-wheel-${pinDigest(lines)}`);
  const found = () =>
    existsSync(dir) ? readdirSync(dir).find((f) => /^uv-.*\.whl$/.test(f)) : undefined;
  let wheel = found();
  if (wheel === undefined) {
    mkdirSync(WORK, { recursive: true });
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const req = join(partial, 'uv-pin.txt');
    writeFileSync(req, lines);
    const r = spawnSync(
      hostPython,
      [
        '-m',
        'pip',
        'download',
        '--disable-pip-version-check',
        '--require-hashes',
        '--no-deps',
        '--only-binary',
        ':all:',
        '-r',
        req,
        '-d',
        partial,
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    rmSync(req, { force: true });
    if (r.status !== 0) {
      rmSync(partial, { recursive: true, force: true });
      return {
        skip: `pip download of the uv pin failed (no configured index reachable?): ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`,
      };
    }
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another test file got there first
    }
    wheel = found();
  }
  return wheel === undefined ? { skip: `no uv wheel in ${dir}` } : { path: join(dir, wheel) };
}
