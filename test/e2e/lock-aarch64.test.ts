/**
 * Resolving for another platform must not download the big wheels: paddlepaddle for linux
 * aarch64 cp310 is locked from this x86_64 host with metadata read through PEP 658 files or
 * HTTP Range requests. The cache starts empty; afterwards it must hold no paddlepaddle wheel and
 * only a few MiB in all (the wheel is about 100 MB).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePylock } from '../../src/bundle/pylock.js';
import { runCli, tempDir } from '../cli/run-cli.js';

function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return total;
}

test('paddlepaddle for linux aarch64 cp310 is locked without downloading its wheel', {
  timeout: 600_000,
}, async () => {
  const work = tempDir('ferry-aarch64-');
  const cache = join(work, 'cache');
  const lockFile = join(work, 'pylock.toml');
  const r = await runCli(
    [
      'lock',
      'paddlepaddle',
      '--python',
      '3.10',
      '--os',
      'linux',
      '--arch',
      'aarch64',
      '--glibc',
      '2.28',
      '-o',
      lockFile,
      '--json',
    ],
    {
      env: { ...process.env, FERRY_CACHE_DIR: cache },
    },
  );
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
  const lock = parsePylock(readFileSync(lockFile, 'utf8'), lockFile);
  const paddle = lock.packages.find((p) => p.name === 'paddlepaddle');
  const wheel = paddle?.wheels?.[0];
  assert.ok(wheel, 'the lock names a paddlepaddle wheel');
  assert.match(wheel.name, /-cp310-cp310-manylinux[^-]*aarch64\.whl$/);
  assert.ok((wheel.size ?? 0) > 50_000_000, `the wheel is big (${wheel.size} bytes)`);
  const sha = wheel.hashes.sha256!;
  assert.equal(
    existsSync(join(cache, 'sha256', sha.slice(0, 2), sha.slice(2))),
    false,
    'the paddlepaddle wheel was not downloaded',
  );
  const cached = bytesUnder(cache);
  assert.ok(
    cached < 8 * 1024 * 1024,
    `the cache holds ${cached} bytes after locking: more than metadata`,
  );
  assert.equal(
    r.events.filter((e) => e.event === 'download-start').length,
    0,
    'locking downloads no files',
  );
});
