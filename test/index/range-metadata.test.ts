import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FerryEvent } from '../../src/core/events.js';
import { IndexClient } from '../../src/index/client.js';
import type { IndexSettings } from '../../src/index/pip-config.js';
import { openRangeReader } from '../../src/index/range-reader.js';
import { metadataText, startLocalIndex, wheelBytes } from '../helpers/local-index.js';

const settings = (indexUrl: string): IndexSettings => ({
  indexUrl,
  extraIndexUrls: [],
  findLinks: [],
  noIndex: false,
  sources: [],
});
const fast = { retries: 1, backoffMs: 5, timeoutMs: 5000 };
const BIG = { name: 'bigpkg', version: '1.0', requiresDist: ['dep>=1'], padding: 8 * 1024 * 1024 };

describe('metadata with HTTP Range requests', () => {
  it('reads METADATA of an 8 MiB wheel with a few KiB transferred', async () => {
    const index = await startLocalIndex([BIG]);
    try {
      const client = new IndexClient({ settings: settings(index.url), http: fast });
      const file = (await client.getProject('bigpkg'))!.files[0]!;
      const path = `/files/${file.filename}`;
      const size = wheelBytes(BIG).length;
      assert.ok(size > 8 * 1024 * 1024, 'the wheel is big');
      assert.equal(await client.getMetadata(file), metadataText(BIG));
      const served = index.bytesServed.get(path) ?? 0;
      assert.ok(served > 0 && served <= 24 * 1024, `served ${served} bytes of ${size}`);
      const asked = index.requests.filter((p) => p === path).length;
      assert.ok(asked <= 3, `${asked} range requests`);
      assert.ok(
        index.ranges.every((r, i) => index.requests[i] !== path || r !== undefined),
        'every request for the wheel was a Range request',
      );
    } finally {
      await index.close();
    }
  });

  it('a central directory that starts before the fetched tail is completed with one more request', async () => {
    // 600 entries with long names: the central directory alone is over 50 KiB.
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++)
      files[`manyfiles/${'sub/'.repeat(10)}module_${String(i).padStart(4, '0')}.py`] = `x = ${i}\n`;
    const dist = { name: 'manyfiles', version: '2.0', files, padding: 1024 * 1024 };
    const index = await startLocalIndex([dist]);
    try {
      const client = new IndexClient({ settings: settings(index.url), http: fast });
      const file = (await client.getProject('manyfiles'))!.files[0]!;
      assert.equal(await client.getMetadata(file), metadataText(dist));
      const path = `/files/${file.filename}`;
      const asked = index.requests.filter((p) => p === path).length;
      assert.ok(asked <= 3, `${asked} range requests`);
      assert.ok((index.bytesServed.get(path) ?? 0) < 200 * 1024);
    } finally {
      await index.close();
    }
  });

  it('a server that ignores Range still works: the wheel is downloaded, and Range is not tried again on that host', async () => {
    const other = { name: 'other', version: '1.0', padding: 64 * 1024 };
    const index = await startLocalIndex([BIG, other], { range: false });
    try {
      const events: FerryEvent[] = [];
      const client = new IndexClient({
        settings: settings(index.url),
        http: fast,
        events: (e) => events.push(e),
      });
      const big = (await client.getProject('bigpkg'))!.files[0]!;
      assert.equal(await client.getMetadata(big), metadataText(BIG));
      const small = (await client.getProject('other'))!.files[0]!;
      assert.equal(await client.getMetadata(small), metadataText(other));
      const smallPath = `/files/${small.filename}`;
      const smallRequests = index.requests
        .map((p, i) => [p, index.ranges[i]] as const)
        .filter(([p]) => p === smallPath);
      assert.deepEqual(smallRequests, [[smallPath, undefined]], 'one plain download');
      assert.equal(
        events.filter((e) => e.type === 'info' && /byte ranges/.test(e.message)).length,
        1,
      );
    } finally {
      await index.close();
    }
  });

  it('.metadata files that fail are not asked for again on that index', async () => {
    const dists = [
      { name: 'meta', version: '1.0' },
      { name: 'meta', version: '2.0' },
    ];
    const index = await startLocalIndex(dists, { metadataFiles: true });
    try {
      index.fault('/files/meta-1.0-py3-none-any.whl.metadata', { status: 404 });
      const client = new IndexClient({ settings: settings(index.url), http: fast });
      const [one, two] = (await client.getProject('meta'))!.files;
      assert.match(await client.getMetadata(one!), /^Version: 1\.0$/m);
      assert.match(await client.getMetadata(two!), /^Version: 2\.0$/m);
      assert.ok(!index.requests.includes('/files/meta-2.0-py3-none-any.whl.metadata'));
      // A working .metadata file keeps them in use despite a later failure.
      const good = await startLocalIndex(dists, { metadataFiles: true });
      try {
        good.fault('/files/meta-2.0-py3-none-any.whl.metadata', { status: 404 });
        const c2 = new IndexClient({ settings: settings(good.url), http: fast });
        const files = (await c2.getProject('meta'))!.files;
        await c2.getMetadata(files[0]!);
        await c2.getMetadata(files[1]!);
        assert.ok(good.requests.includes('/files/meta-2.0-py3-none-any.whl.metadata'));
      } finally {
        await good.close();
      }
    } finally {
      await index.close();
    }
  });
});

describe('openRangeReader', () => {
  it('serves reads from fetched blocks, filling only the gaps', async () => {
    const dist = { name: 'blocks', version: '1.0', padding: 200 * 1024 };
    const index = await startLocalIndex([dist]);
    try {
      const [filename, built] = [...index.files.entries()][0]!;
      const url = `${index.url.replace('/simple', '')}/files/${filename}`;
      const bytes = wheelBytes(dist);
      assert.equal(built.sha256.length, 64);
      const reader = await openRangeReader(url, { http: fast, tailBytes: 1000, minFetch: 100 });
      assert.equal(reader.size, bytes.length);
      assert.equal(reader.requests, 1);
      // Inside the tail: no request.
      assert.deepEqual(await reader.read(bytes.length - 500, 100), bytes.subarray(-500, -400));
      assert.equal(reader.requests, 1);
      // Straddling the tail's start: only the missing part is fetched.
      const from = bytes.length - 1500;
      assert.deepEqual(await reader.read(from, 1000), bytes.subarray(from, from + 1000));
      assert.equal(reader.requests, 2);
      assert.equal(reader.bytesFetched, 1500);
      // A small read elsewhere fetches at least minFetch, and the next small read is free.
      assert.deepEqual(await reader.read(10, 20), bytes.subarray(10, 30));
      assert.deepEqual(await reader.read(50, 20), bytes.subarray(50, 70));
      assert.equal(reader.requests, 3);
    } finally {
      await index.close();
    }
  });
});
