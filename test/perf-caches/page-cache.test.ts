import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { IndexClient } from '../../src/index/client.js';
import { freshnessOf } from '../../src/index/page-cache.js';
import type { IndexSettings } from '../../src/index/pip-config.js';

const fast = { retries: 0, backoffMs: 5, timeoutMs: 3000 };
const WHEEL = 'demo-1.0-py3-none-any.whl';
const SHA = 'ab'.repeat(32);
const PAGE = `<!DOCTYPE html><html><body><a href="/files/${WHEEL}#sha256=${SHA}">${WHEEL}</a></body></html>`;

/** A simple index on 127.0.0.1 that counts requests and answers conditionally by ETag. */
async function countingIndex(cacheControl: string) {
  const requests: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    if (req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304, { etag: '"v1"', 'cache-control': cacheControl });
      res.end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html',
      etag: '"v1"',
      'cache-control': cacheControl,
    });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
  return { url, requests, close: () => new Promise((r) => server.close(r)) };
}

const settingsFor = (indexUrl: string): IndexSettings => ({
  indexUrl,
  extraIndexUrls: [],
  findLinks: [],
  noIndex: false,
  sources: [],
});

describe('index pages: HTTP caching (Cache-Control max-age, ETag → 304, --refresh)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pages-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a page within max-age is used with no request; --refresh revalidates and a 304 keeps it', async () => {
    const index = await countingIndex('max-age=600, public');
    try {
      const cacheDir = join(dir, 'fresh');
      const run = async (refresh = false) => {
        const client = new IndexClient({
          settings: settingsFor(index.url),
          http: fast,
          cacheDir,
          refresh,
        });
        const page = await client.getProject('demo');
        return page?.files.map((f) => f.filename);
      };
      assert.deepEqual(await run(), [WHEEL]);
      assert.equal(index.requests.length, 1);
      assert.deepEqual(await run(), [WHEEL], 'a warm run within max-age');
      assert.equal(index.requests.length, 1, 'made no request');
      assert.deepEqual(await run(true), [WHEEL], '--refresh');
      assert.equal(index.requests.length, 2);
      assert.equal(index.requests[1]?.['if-none-match'], '"v1"', 'revalidated by ETag');
    } finally {
      await index.close();
    }
  });

  it('no-cache revalidates on every run (a 304, no body); no-store keeps nothing', async () => {
    const revalidate = await countingIndex('no-cache');
    try {
      const cacheDir = join(dir, 'no-cache');
      for (let i = 0; i < 3; i++) {
        const client = new IndexClient({
          settings: settingsFor(revalidate.url),
          http: fast,
          cacheDir,
        });
        assert.deepEqual(
          (await client.getProject('demo'))?.files.map((f) => f.filename),
          [WHEEL],
        );
      }
      assert.equal(revalidate.requests.length, 3);
      assert.equal(revalidate.requests[0]?.['if-none-match'], undefined);
      assert.equal(revalidate.requests[2]?.['if-none-match'], '"v1"');
    } finally {
      await revalidate.close();
    }
    const never = await countingIndex('no-store');
    try {
      const cacheDir = join(dir, 'no-store');
      for (let i = 0; i < 2; i++) {
        const client = new IndexClient({ settings: settingsFor(never.url), http: fast, cacheDir });
        await client.getProject('demo');
      }
      assert.equal(never.requests[1]?.['if-none-match'], undefined, 'nothing was stored');
    } finally {
      await never.close();
    }
  });

  it('a page with no freshness and no validator is not kept (nor read back before each request)', async () => {
    const requests: number[] = [];
    const server = createServer((_req, res) => {
      requests.push(1);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
      const cacheDir = join(dir, 'no-headers');
      for (let i = 0; i < 2; i++) {
        const client = new IndexClient({ settings: settingsFor(url), http: fast, cacheDir });
        assert.deepEqual(
          (await client.getProject('demo'))?.files.map((f) => f.filename),
          [WHEEL],
        );
      }
      assert.equal(requests.length, 2, 'asked every run');
      assert.equal(existsSync(join(cacheDir, 'pages')), false, 'nothing was written');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('reads Cache-Control as RFC 9111 does', () => {
    assert.equal(freshnessOf('max-age=600, public'), 600);
    assert.equal(freshnessOf('public, MAX-AGE=30'), 30);
    assert.equal(freshnessOf('no-cache, max-age=600'), 0);
    assert.equal(freshnessOf('no-store'), undefined);
    assert.equal(freshnessOf(undefined), 0);
  });
});
