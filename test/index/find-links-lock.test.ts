/**
 * A find-links folder is listed by name (src/index/http.ts): the lock hashes only the files it
 * chooses, so a big wheel beside them is never read, and pylock.toml still records every
 * chosen file's SHA-256 (PEP 751 requires one).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { buildWheel } from '../helpers/local-index.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];

test('a lock from a find-links folder records the chosen files SHA-256s and hashes nothing else', async () => {
  const work = tempDir('ferry-find-links-');
  const links = join(work, 'links');
  const alpha = await buildWheel({ name: 'alpha', version: '1.0', requiresDist: ['beta'] }, links);
  const beta = await buildWheel({ name: 'beta', version: '2.0' }, links);
  // A wheel nobody asks for, in the same folder.
  await buildWheel({ name: 'bystander', version: '1.0' }, links);
  const lockFile = join(work, 'pylock.toml');
  const cacheDir = join(work, 'cache');
  const r = await runCli(
    ['lock', 'alpha', ...TARGET, '--isolated', '--no-index', '--find-links', links, '-o', lockFile],
    { env: isolatedEnv(cacheDir) },
  );
  assert.equal(r.code, 0, r.stderr);
  const lock = readFileSync(lockFile, 'utf8');
  for (const built of [alpha, beta]) {
    const digest = createHash('sha256')
      .update(readFileSync(join(links, built.filename)))
      .digest('hex');
    assert.equal(built.sha256, digest);
    assert.match(lock, new RegExp(`sha256 = "${digest}"`));
  }
  assert.doesNotMatch(lock, /bystander/);
  // Each hash is recorded in the fact cache as it is computed: two files, not three.
  const hashed = readdirSync(join(cacheDir, 'facts')).filter((f) => f.startsWith('file-sha256-'));
  assert.equal(hashed.length, 2, hashed.join(', '));
});
