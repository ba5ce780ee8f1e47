// The small-file cache of `ferry serve`: bounded by bytes, oldest dropped first, large files
// never kept; and over HTTP a kept file answers Range, HEAD and If-None-Match as one read from
// disk does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FileCache } from '../../src/server/http/file-cache.js';
import { buildWheel } from '../helpers/local-index.js';
import {
  publishWheels,
  raw,
  type SignedStore,
  startTestServer,
  storeWithSignedBundle,
  type TestServer,
  type Work,
  workDir,
} from './serve-fixture.js';

describe('FileCache', () => {
  it('keeps at most maxBytes, dropping the least recently used first; never a file over maxFileBytes', () => {
    const cache = new FileCache(10, 25);
    const entry = (n: number) => ({ body: Buffer.alloc(n), mtime: new Date(0) });
    cache.set('a', entry(10));
    cache.set('b', entry(10));
    assert.ok(cache.get('a') !== undefined); // a is now the most recent
    cache.set('c', entry(10));
    assert.equal(cache.get('b'), undefined);
    assert.ok(cache.get('a') !== undefined && cache.get('c') !== undefined);
    assert.equal(cache.bytes, 20);
    cache.set('big', entry(11));
    assert.equal(cache.get('big'), undefined);
    assert.equal(cache.keeps(11), false);
  });
});

describe('files served from memory', () => {
  let work: Work;
  let signed: SignedStore;
  let server: TestServer;
  let url: string;
  let bytes: Buffer;

  before(async () => {
    work = await workDir();
    signed = await storeWithSignedBundle(work.dir, [{ name: 'kept-pkg', version: '1.0' }]);
    const dist = { name: 'padded-pkg', version: '1.0', padding: 200 * 1024 };
    await publishWheels(signed.store, 'incoming', [dist], work.dir);
    bytes = await import('node:fs/promises').then((fs) =>
      buildWheel(dist, `${work.dir}/again`).then((b) => fs.readFile(b.path)),
    );
    const gen = await signed.store.current();
    url = `/${gen.catalog.indexes.incoming!.projects['padded-pkg']!.files[0]!.url}`;
    server = await startTestServer({ store: signed.store });
  });
  after(async () => {
    await server?.close();
    await work?.cleanup();
  });

  it('the second request (from memory) has the same bytes, Range, HEAD and 304 as the first', async () => {
    for (let i = 0; i < 2; i++) {
      const full = await raw(server.port, url);
      assert.equal(full.status, 200);
      assert.ok(full.body.equals(bytes), `request ${i + 1}: other bytes`);
      const part = await raw(server.port, url, { headers: { range: 'bytes=100-199' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 100-199/${bytes.length}`);
      assert.ok(part.body.equals(bytes.subarray(100, 200)));
      const head = await raw(server.port, url, { method: 'HEAD' });
      assert.equal(head.headers['content-length'], String(bytes.length));
      assert.equal(head.body.length, 0);
      const again = await raw(server.port, url, {
        headers: { 'if-none-match': full.headers.etag! },
      });
      assert.equal(again.status, 304);
    }
  });
});
