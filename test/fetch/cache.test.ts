import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContentCache, defaultCacheDir, normalizeSha256 } from '../../src/fetch/cache.js';

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('defaultCacheDir', () => {
  it('prefers FERRY_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    assert.equal(
      defaultCacheDir({ FERRY_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }),
      '/c',
    );
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/ferry');
    assert.equal(defaultCacheDir({ FERRY_CACHE_DIR: '', HOME: '/h' }), '/h/.cache/ferry');
    // A relative XDG_CACHE_HOME is invalid per the XDG spec and ignored.
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/h' }), '/h/.cache/ferry');
  });
});

describe('ContentCache', () => {
  let dir: string;
  let cache: ContentCache;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-cache-'));
    cache = new ContentCache(join(dir, 'cache'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lays files out by hash and refuses anything that is not a digest', () => {
    const digest = 'AB'.repeat(32);
    assert.equal(cache.pathFor(digest), join(dir, 'cache', 'sha256', 'ab', 'ab'.repeat(31)));
    for (const bad of ['../../etc/passwd', 'ab'.repeat(31), `${'a'.repeat(63)}/`, '']) {
      assert.throws(() => cache.pathFor(bad), { code: 'ERR_FERRY_INVALID_SHA256' });
    }
    assert.equal(normalizeSha256('F'.repeat(64)), 'f'.repeat(64));
  });

  it('puts a verified file and finds it; refuses a file with the wrong hash', async () => {
    const data = Buffer.from('hello wheel');
    const src = join(dir, 'a.whl');
    await writeFile(src, data);
    const path = await cache.put(sha(data), src);
    assert.equal(path, cache.pathFor(sha(data)));
    assert.deepEqual(await readFile(path), data);
    assert.equal(await cache.has(sha(data)), true);
    assert.equal(await cache.has(sha('other')), false);

    const wrong = join(dir, 'b.whl');
    await writeFile(wrong, 'not it');
    await assert.rejects(cache.put(sha('expected'), wrong), { code: 'ERR_FERRY_HASH_MISMATCH' });
    assert.equal(await cache.has(sha('expected')), false);
  });

  it('an empty or damaged entry is not a hit (verify drops the damaged one)', async () => {
    const fresh = new ContentCache(join(dir, 'cache2'));
    const digest = sha('good bytes');
    const path = fresh.pathFor(digest);
    await writeFile(join(dir, 'good'), 'good bytes');
    await fresh.put(digest, join(dir, 'good'));
    // Damage it behind the cache's back (as an edit through a hard link would).
    await rm(path, { force: true });
    await writeFile(path, '');
    assert.equal(await fresh.has(digest), false, 'empty file');
    await rm(path, { force: true });
    await writeFile(path, 'evil bytes');
    const reopened = new ContentCache(join(dir, 'cache2'));
    assert.equal(await reopened.has(digest), true, 'without verify only the size is checked');
    assert.equal(await reopened.has(digest, { verify: true }), false);
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  it('linkOrCopy writes the destination (hard link on the same file system)', async () => {
    const data = Buffer.from('payload for linking');
    await writeFile(join(dir, 'c.whl'), data);
    const digest = sha(data);
    await cache.put(digest, join(dir, 'c.whl'));
    const dest = join(dir, 'bundle', 'wheels', 'c.whl');
    await cache.linkOrCopy(digest, dest);
    assert.deepEqual(await readFile(dest), data);
    assert.equal((await stat(dest)).ino, (await stat(cache.pathFor(digest))).ino);
    // Again over an existing destination (same inode): still fine, no temp left behind.
    await cache.linkOrCopy(digest, dest);
    assert.deepEqual(await readFile(dest), data);
    await assert.rejects(cache.linkOrCopy(sha('absent'), join(dir, 'x')), {
      code: 'ERR_FERRY_CACHE_MISS',
    });
  });
});
