/**
 * The content-addressed store (src/store/): verified writes, one writer per key, links that
 * fall back to copies, and the record that spares a warm run from hashing again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { linkOrCopy } from '../../src/store/link.js';
import { withFileLock } from '../../src/store/lock.js';
import { RefStore } from '../../src/store/refs.js';
import { ContentStore } from '../../src/store/store.js';

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** Every file under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []))
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name).slice(dir.length + 1));
  return out.sort();
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-store-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('verified writes', () => {
  test('putBytes refuses a wrong digest with ERR_FERRY_HASH_MISMATCH and leaves nothing', async () => {
    const store = new ContentStore(join(root, 'wrong'));
    const bytes = Buffer.from('the real bytes');
    await assert.rejects(store.putBytes(bytes, sha('other bytes'), 'demo.whl'), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_FERRY_HASH_MISMATCH');
      assert.match(e.message, /demo\.whl has SHA-256 [0-9a-f]{64}, expected/);
      return true;
    });
    assert.deepEqual(await filesUnder(store.dir), []);
    assert.equal(await store.has(sha(bytes)), false);
  });

  test('putFile refuses a wrong digest and leaves the store and the file as they were', async () => {
    const store = new ContentStore(join(root, 'wrong-file'));
    const from = join(root, 'wrong-file.whl');
    await writeFile(from, 'not it');
    await assert.rejects(store.putFile(sha('expected'), from), { code: 'ERR_FERRY_HASH_MISMATCH' });
    assert.deepEqual(await filesUnder(store.dir), []);
    assert.equal(await readFile(from, 'utf8'), 'not it');
  });

  test('a verified write lands read-only at <dir>/sha256/ab/cdef…', async () => {
    const store = new ContentStore(join(root, 'ok'));
    const bytes = Buffer.from('wheel bytes');
    const { digest, path } = await store.putBytes(bytes, sha(bytes).toUpperCase());
    assert.equal(digest, sha(bytes));
    assert.equal(path, join(store.dir, 'sha256', digest.slice(0, 2), digest.slice(2)));
    assert.deepEqual(await readFile(path), bytes);
    assert.equal((await stat(path)).mode & 0o222, 0);
    assert.deepEqual(await store.read(digest), bytes);
  });

  test('derived data sits under <dir>/<kind>/<digest> and a digest never escapes the store', async () => {
    const store = new ContentStore(join(root, 'derived'));
    const digest = sha('x');
    await store.writeDerived('metadata', digest, 'Name: x\n');
    assert.equal(await readFile(join(store.dir, 'metadata', digest), 'utf8'), 'Name: x\n');
    assert.throws(() => store.pathFor('../../etc/passwd'), { code: 'ERR_FERRY_INVALID_SHA256' });
    assert.throws(() => store.derivedPath('metadata', '..'), { code: 'ERR_FERRY_INVALID_SHA256' });
  });

  test('derived data is written again after its folder was removed in the same process', async () => {
    const store = new ContentStore(join(root, 'derived-again'));
    await store.writeDerived('metadata', sha('a'), 'Name: a\n');
    await rm(store.dir, { recursive: true });
    await store.writeDerived('metadata', sha('b'), 'Name: b\n');
    assert.equal(await readFile(join(store.dir, 'metadata', sha('b')), 'utf8'), 'Name: b\n');
  });
});

describe('concurrent writers', () => {
  test('many writers of one key in one process: one entry, whole, no temporary files', async () => {
    const store = new ContentStore(join(root, 'many'));
    const bytes = Buffer.alloc(1 << 20, 7);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.putBytes(bytes)));
    assert.ok(results.every((r) => r.path === results[0]!.path));
    assert.deepEqual(await readFile(results[0]!.path), bytes);
    const files = await filesUnder(store.dir);
    assert.deepEqual(
      files.filter((f) => f.startsWith('sha256/')),
      [`sha256/${sha(bytes).slice(0, 2)}/${sha(bytes).slice(2)}`],
    );
    assert.ok(!files.some((f) => f.includes('ferry-tmp') || f.endsWith('.lock')), files.join());
  });

  test('two processes writing one key: both succeed and the entry is whole', async () => {
    const dir = join(root, 'two-procs');
    const script = `
      import { ContentStore } from ${JSON.stringify(new URL('../../src/store/store.ts', import.meta.url).href)};
      const bytes = Buffer.alloc(4 << 20, 42);
      const store = new ContentStore(${JSON.stringify(dir)});
      for (let i = 0; i < 5; i++) await store.putBytes(bytes);
      process.stdout.write('ok');
    `;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          script,
        ]);
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
      });
    assert.deepEqual(await Promise.all([run(), run()]), ['ok', 'ok']);
    const bytes = Buffer.alloc(4 << 20, 42);
    assert.deepEqual(await readFile(new ContentStore(dir).pathFor(sha(bytes))), bytes);
  });

  test('the lock serializes writers, and a lock left by a dead process is taken over', async () => {
    const dir = join(root, 'locks');
    await mkdir(dir);
    const lock = join(dir, 'k.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(lock, async () => {
        events.push(`${name} in`);
        await sleep(30);
        events.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b')]);
    assert.deepEqual(
      events.map((e) => e.split(' ')[1]),
      ['in', 'out', 'in', 'out'],
    );
    // A process id that cannot be running: the lock is stale.
    const { hostname } = await import('node:os');
    await writeFile(lock, `999999999\n${hostname()}\n`);
    assert.equal(await withFileLock(lock, async () => 'taken', { pollMs: 5 }), 'taken');
    await assert.rejects(stat(lock), { code: 'ENOENT' });
  });
});

describe('linking into a destination', () => {
  test('a hard link on the same file system', async () => {
    const store = new ContentStore(join(root, 'link'));
    const { digest, path } = await store.putBytes(Buffer.from('linked'));
    const dest = join(root, 'link-out', 'a.whl');
    assert.equal(await store.linkTo(digest, dest), 'link');
    assert.equal((await stat(dest)).ino, (await stat(path)).ino);
    // Again over the same file: fine, and no temporary file is left.
    assert.equal(await store.linkTo(digest, dest), 'link');
    assert.deepEqual(await readdir(join(root, 'link-out')), ['a.whl']);
  });

  test('when linking fails (EXDEV), the file is copied', async () => {
    const source = join(root, 'exdev-src');
    await writeFile(source, 'bytes to copy');
    const dest = join(root, 'exdev-dest');
    const how = await linkOrCopy(source, dest, {
      link: async () => {
        throw Object.assign(new Error('cross-device link'), { code: 'EXDEV' });
      },
      copyFile: (await import('node:fs/promises')).copyFile,
    });
    assert.equal(how, 'copy');
    assert.equal(await readFile(dest, 'utf8'), 'bytes to copy');
    assert.notEqual((await stat(dest)).ino, (await stat(source)).ino);
  });

  const shm = '/dev/shm';
  const otherDevice = (() => {
    try {
      return statSync(shm).isDirectory() && statSync(shm).dev !== statSync(tmpdir()).dev;
    } catch {
      return false;
    }
  })();
  test('across real devices the link falls back to a copy', {
    skip: otherDevice ? false : `${shm} is not a separate file system from ${tmpdir()} here`,
  }, async () => {
    const store = new ContentStore(join(root, 'xdev'));
    const { digest } = await store.putBytes(Buffer.from('across devices'));
    const out = await mkdtemp(join(shm, 'ferry-store-'));
    try {
      assert.equal(await store.linkTo(digest, join(out, 'f')), 'copy');
      assert.equal(await readFile(join(out, 'f'), 'utf8'), 'across devices');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('the record of verified entries', () => {
  test('a warm check trusts an unchanged verified file without hashing it again', async () => {
    const store = new ContentStore(join(root, 'record'));
    const bytes = Buffer.from('verified once');
    const { digest, path } = await store.putBytes(bytes);
    // Whole seconds, so that the mtime can be put back exactly below.
    const { chmod } = await import('node:fs/promises');
    await chmod(path, 0o644);
    await utimes(path, 1_000_000, 1_000_000);
    assert.equal(await store.has(digest, { verify: true }), true);
    // Swap the bytes in place keeping size, inode and mtime: only a re-hash could notice, so a
    // "true" here shows the record answered.
    await writeFile(path, Buffer.from('VERIFIED ONCE'));
    await utimes(path, 1_000_000, 1_000_000);
    const reopened = new ContentStore(store.dir);
    assert.equal(await reopened.has(digest, { verify: true }), true);
  });

  test('a changed file is hashed again, found damaged and removed', async () => {
    const store = new ContentStore(join(root, 'record-changed'));
    const bytes = Buffer.from('good bytes');
    const { digest, path } = await store.putBytes(bytes);
    assert.equal(await store.has(digest, { verify: true }), true);
    await rm(path, { force: true });
    await writeFile(path, 'evil bytes');
    assert.equal(await new ContentStore(store.dir).has(digest), true, 'size only');
    assert.equal(await new ContentStore(store.dir).has(digest, { verify: true }), false);
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });
});

describe('names above the store', () => {
  test('a name points at a digest; names cannot escape the folder', async () => {
    const refs = new RefStore(join(root, 'refs'));
    const digest = sha('wheel');
    await refs.set('demo-1.0-py3-none-any.whl', digest);
    await refs.set('../../escape', digest);
    assert.equal(await refs.get('demo-1.0-py3-none-any.whl'), digest);
    assert.equal(await refs.get('../../escape'), digest);
    assert.equal(await refs.get('absent'), undefined);
    assert.deepEqual((await readdir(join(root, 'refs'))).length, 2);
  });
});

describe('one layout for every cache', () => {
  test('the download cache, the index client and the sdist reader name files alike', async () => {
    const { ContentCache } = await import('../../src/fetch/cache.js');
    const { cachePath, metadataCachePath, storeInCache } = await import(
      '../../src/index/client.js'
    );
    const dir = join(root, 'layout');
    const bytes = Buffer.from('one file, one place');
    const digest = sha(bytes);
    const store = new ContentStore(dir);
    assert.equal(new ContentCache(dir).pathFor(digest), store.pathFor(digest));
    assert.equal(cachePath(dir, digest.toUpperCase()), store.pathFor(digest));
    assert.equal(metadataCachePath(dir, digest), store.derivedPath('metadata', digest));
    await storeInCache(dir, digest, bytes);
    assert.equal(await new ContentCache(dir).has(digest, { verify: true }), true);
    // storeInCache is a verified write too: wrong bytes under a digest are refused.
    await assert.rejects(storeInCache(dir, sha('else'), bytes), {
      code: 'ERR_FERRY_HASH_MISMATCH',
    });
    assert.equal(await store.has(sha('else')), false);
  });
});
