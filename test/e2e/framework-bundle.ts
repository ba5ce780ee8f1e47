/**
 * Real framework bundles for the offline e2e tests, built once and kept under .ferry-work/:
 * `ferry bundle REQUEST` from the configured index, then `ferry keygen` and `ferry sign`, as a
 * new user would. The folder is named by a hash of the request and of every file under src/
 * and data/ (what shapes a bundle and its install.py), so a change to ferry builds it again.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';

const WORK = resolve('.ferry-work/e2e-bundles');

function hashTree(hash: ReturnType<typeof createHash>, dir: string): void {
  for (const name of readdirSync(dir).sort()) {
    if (name === '__pycache__') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashTree(hash, path);
    else hash.update(`${path}\0`).update(readFileSync(path));
  }
}

export interface SignedBundle {
  readonly dir: string;
  readonly publicKey: string;
  readonly secretKey: string;
}

export const ferry = (args: readonly string[], noNetwork = false) =>
  noNetwork
    ? spawnSync('unshare', ['-n', process.execPath, 'bin/ferry.js', ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      })
    : spawnSync(process.execPath, ['bin/ferry.js', ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });

/** The signed bundle for `request` (e.g. ['--framework', 'torch', '--cuda', 'cpu']). */
export function signedBundle(name: string, request: readonly string[]): SignedBundle {
  const hash = createHash('sha256').update(JSON.stringify(request));
  hashTree(hash, resolve('src'));
  hashTree(hash, resolve('data'));
  const home = join(WORK, `${name}-${hash.digest('hex').slice(0, 16)}`);
  const done: SignedBundle = {
    dir: join(home, 'bundle'),
    publicKey: join(home, 'builder.pub'),
    secretKey: join(home, 'builder.key'),
  };
  if (existsSync(join(home, 'complete'))) return done;
  const building = `${home}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const step = (args: readonly string[]) => {
    const r = ferry(args);
    if (r.status !== 0)
      throw new Error(`ferry ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  };
  step(['bundle', ...request, '-o', join(building, 'bundle')]);
  step(['keygen', join(building, 'builder')]);
  step(['sign', join(building, 'bundle'), '--key', join(building, 'builder.key')]);
  mkdirSync(join(building, 'complete'));
  rmSync(home, { recursive: true, force: true });
  renameSync(building, home);
  // Builds of this bundle by an older ferry are not used again: a few hundred MB each.
  for (const entry of readdirSync(WORK)) {
    if (entry.startsWith(`${name}-`) && entry !== basename(home) && !entry.includes('.building-'))
      rmSync(join(WORK, entry), { recursive: true, force: true });
  }
  return done;
}
