import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FerryError } from '../../src/core/errors.js';
import type { FerryEvent } from '../../src/core/events.js';
import { fetchBytes, fetchRange, fetchText, isNotFound } from '../../src/index/http.js';

let server: Server;
let base: string;
const hits = new Map<string, number>();
const seen: IncomingMessage['headers'][] = [];

before(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    seen.push(req.headers);
    if (path === '/flaky' && n <= 2) return void res.writeHead(500).end('boom');
    if (path === '/missing') return void res.writeHead(404).end();
    if (path === '/forbidden') return void res.writeHead(403).end();
    if (path === '/always-500') return void res.writeHead(503).end();
    if (path === '/chunked') {
      // Three writes: the body arrives in pieces, and is hashed piece by piece.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(70_000, 1));
      res.write(Buffer.alloc(70_000, 2));
      return void res.end(Buffer.alloc(5, 3));
    }
    if (path === '/range') {
      const body = Buffer.from('0123456789');
      const m = /bytes=(\d*)-(\d*)/.exec(String(req.headers.range ?? ''));
      if (!m) return void res.writeHead(200).end(body);
      const start = m[1] === '' ? body.length - Number(m[2]) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? body.length - 1 : Number(m[2]);
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}` });
      return void res.end(body.subarray(start, end + 1));
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const fast = { backoffMs: 5, timeoutMs: 2000 };

describe('fetchText', () => {
  it('retries 5xx and then succeeds, reporting each retry', async () => {
    const events: FerryEvent[] = [];
    const result = await fetchText(`${base}/flaky`, { ...fast, events: (e) => events.push(e) });
    assert.equal(result.body, 'ok');
    assert.equal(result.contentType, 'text/html');
    assert.equal(hits.get('/flaky'), 3);
    assert.equal(events.filter((e) => e.type === 'download-retry').length, 2);
  });

  it('never retries 404; isNotFound recognises it', async () => {
    await assert.rejects(fetchText(`${base}/missing`, fast), (e: unknown) => isNotFound(e));
    assert.equal(hits.get('/missing'), 1);
  });

  it('never retries 403, and hints at credentials', async () => {
    await assert.rejects(
      fetchText(`${base}/forbidden`, fast),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'ERR_FERRY_HTTP_STATUS' &&
        /credentials/.test(e.hint ?? ''),
    );
    assert.equal(hits.get('/forbidden'), 1);
  });

  it('gives up after the retries with URL, attempts, time and cause', async () => {
    await assert.rejects(fetchText(`${base}/always-500`, { ...fast, retries: 2 }), (e: unknown) => {
      assert.ok(e instanceof FerryError, 'e instanceof FerryError');
      assert.equal(e.code, 'ERR_FERRY_INDEX_UNREACHABLE');
      assert.match(e.message, /\/always-500: 3 attempts failed in \d+\.\d s \(last: HTTP 503\)/);
      return true;
    });
  });

  it('an unreachable port: error names the redacted URL, attempts and time; the secret appears nowhere', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const events: FerryEvent[] = [];
    const url = `http://user:secret@127.0.0.1:${port}/simple/`;
    await assert.rejects(
      fetchText(url, { ...fast, retries: 1, events: (e) => events.push(e) }),
      (e: unknown) => {
        assert.ok(e instanceof FerryError, 'e instanceof FerryError');
        assert.equal(e.code, 'ERR_FERRY_INDEX_UNREACHABLE');
        assert.match(
          e.message,
          new RegExp(
            `http://\\*\\*\\*\\*:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}/simple/: 2 attempts failed in`,
          ),
        );
        assert.match(e.message, /ECONNREFUSED/);
        assert.ok(
          !JSON.stringify({ m: e.message, h: e.hint, d: e.details, events }).includes('secret'),
        );
        return true;
      },
    );
  });

  it('sends basic auth from URL userinfo and strips it from the URL', async () => {
    seen.length = 0;
    const result = await fetchText(
      `http://us%40er:p%3Ass@${base.slice('http://'.length)}/auth`,
      fast,
    );
    assert.equal(seen[0]!.authorization, `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    assert.ok(!result.url.includes('p%3Ass'), `!result.url.includes('p%3Ass')`);
  });

  it('reads file:// URLs; a directory gives its index.html or a listing of its files by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-http-'));
    writeFileSync(join(dir, 'index.html'), '<a href="a-1.0.tar.gz">a</a>');
    writeFileSync(join(dir, 'a-1.0.tar.gz'), 'x');
    const url = pathToFileURL(dir).href;
    assert.match((await fetchText(url)).body, /a-1\.0\.tar\.gz/);
    const listing = (await fetchText(url, { directory: 'listing' })).body;
    assert.match(listing, /href="[^"]*\/a-1\.0\.tar\.gz"/);
    assert.doesNotMatch(listing, /#sha256=/);
    await assert.rejects(fetchText(`${url}/nope.html`), (e: unknown) => isNotFound(e));
  });

  it('fetchRange asks for a byte range (also a suffix) and reports the total size', async () => {
    const part = await fetchRange(`${base}/range`, 2, 5);
    assert.equal(part.body.toString(), '234');
    assert.equal(part.totalSize, 10);
    const tail = await fetchRange(`${base}/range`, -3, undefined);
    assert.equal(tail.body.toString(), '789');
  });

  it('sha256: the digest of the whole body, hashed as it arrives; none unless asked or for a range', async () => {
    const whole = await fetchBytes(`${base}/chunked`, { ...fast, sha256: true });
    assert.equal(whole.body.length, 140_005);
    assert.equal(whole.sha256, createHash('sha256').update(whole.body).digest('hex'));
    assert.equal((await fetchBytes(`${base}/chunked`, fast)).sha256, undefined);
    const part = await fetchRange(`${base}/range`, 2, 5, { sha256: true });
    assert.equal(part.sha256, undefined);
  });
});
