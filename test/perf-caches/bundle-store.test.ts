import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { computeSha256Sums } from '../../src/bundle/sha256sums.js';
import { ContentCache } from '../../src/fetch/cache.js';

const sha = (bytes: string) => createHash('sha256').update(bytes).digest('hex');

describe('bundle from the store: verified wheels are linked, not hashed again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bundle-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SHA256SUMS takes the digests it is given for the wheels and hashes every other file', async () => {
    const bundle = join(dir, 'bundle');
    mkdirSync(join(bundle, 'wheels'), { recursive: true });
    writeFileSync(join(bundle, 'wheels', 'a-1.0-py3-none-any.whl'), 'wheel bytes');
    writeFileSync(join(bundle, 'manifest.json'), '{}');
    const known = 'cd'.repeat(32);
    const entries = await computeSha256Sums(
      bundle,
      new Map([['wheels/a-1.0-py3-none-any.whl', known]]),
    );
    const byPath = new Map(entries.map((e) => [e.path, e.sha256]));
    assert.equal(byPath.get('wheels/a-1.0-py3-none-any.whl'), known);
    assert.equal(byPath.get('manifest.json'), sha('{}'));
    // Without the map every file is hashed, as before.
    const plain = new Map((await computeSha256Sums(bundle)).map((e) => [e.path, e.sha256]));
    assert.equal(plain.get('wheels/a-1.0-py3-none-any.whl'), sha('wheel bytes'));
  });

  it('linkOrCopy hard-links a verified entry, and refuses one whose bytes changed since', async () => {
    const cache = new ContentCache(join(dir, 'cache'));
    const src = join(dir, 'download');
    writeFileSync(src, 'the wheel');
    const digest = sha('the wheel');
    await cache.put(digest, src);
    assert.equal(await cache.has(digest, { verify: true }), true);
    const dest = join(dir, 'out', 'w.whl');
    mkdirSync(join(dir, 'out'));
    await cache.linkOrCopy(digest, dest);
    assert.equal(readFileSync(dest, 'utf8'), 'the wheel');
    assert.equal(statSync(dest).ino, statSync(cache.pathFor(digest)).ino, 'a hard link');
    // Damage the entry behind the store's back (same length, so only the hash can tell).
    const entry = cache.pathFor(digest);
    chmodSync(entry, 0o644);
    rmSync(dest);
    writeFileSync(entry, 'The wheel');
    await assert.rejects(cache.linkOrCopy(digest, join(dir, 'out', 'w2.whl')), {
      code: 'ERR_FERRY_CACHE_MISS',
    });
  });
});
