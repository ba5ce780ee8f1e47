import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FerryError } from '../../src/core/errors.js';
import type { FerryEvent } from '../../src/core/events.js';
import { ContentCache } from '../../src/fetch/cache.js';
import {
  type DownloadOptions,
  type DownloadRequest,
  downloadAll,
  downloadOne,
  type FetchLike,
} from '../../src/fetch/download.js';

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

const DATA = randomBytes(200 * 1024);
const DATA_SHA = sha(DATA);
const HALF = DATA.length / 2;

interface Seen {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

interface TestServer {
  readonly base: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function serve(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res, seen.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const result: TestServer = {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(result);
  return result;
}

/** Serves `data`, honouring `Range: bytes=N-` with a 206. */
function sendFile(req: http.IncomingMessage, res: http.ServerResponse, data: Buffer): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range !== null) {
    const start = Number(range[1]);
    res.writeHead(206, {
      'content-length': data.length - start,
      'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
    });
    res.end(data.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': data.length });
  res.end(data);
}

/** A raw TCP server for responses node:http refuses to produce (lying Content-Length). */
async function serveRaw(response: (n: number) => Buffer): Promise<TestServer> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      seen.push({ url: head.split(' ')[1] ?? '', headers: {} });
      socket.end(response(seen.length));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const result: TestServer = {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(result);
  return result;
}

let root: string;
let counter = 0;
/** A fresh cache per test, so that tests do not see each other's files. */
const freshCache = (): ContentCache => new ContentCache(join(root, `cache-${++counter}`));

function options(cache: ContentCache, extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { cache, backoffMs: 2, maxBackoffMs: 10, maxRetryAfterMs: 20, timeoutMs: 2000, ...extra };
}

const request = (url: string, extra: Partial<DownloadRequest> = {}): DownloadRequest => ({
  url,
  filename: 'demo-1.0-py3-none-any.whl',
  sha256: DATA_SHA,
  ...extra,
});

async function ferryError(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FerryError, `expected a FerryError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the download to fail');
}

const partialFiles = async (cache: ContentCache): Promise<string[]> =>
  (await readdir(cache.partialDir).catch(() => [] as string[])).filter((f) => f.endsWith('.part'));

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-download-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('downloadOne', () => {
  it('downloads into the cache, then a cache hit touches no network', async () => {
    const server = await serve((req, res) => sendFile(req, res, DATA));
    const cache = freshCache();
    const events: FerryEvent[] = [];
    const first = await downloadOne(
      request(`${server.base}/demo.whl`),
      options(cache, { events: (e) => events.push(e) }),
    );
    assert.equal(first.fromCache, false);
    assert.equal(first.size, DATA.length);
    assert.equal(first.path, cache.pathFor(DATA_SHA));
    assert.deepEqual(await readFile(first.path), DATA);
    assert.deepEqual(await partialFiles(cache), []);
    assert.deepEqual(
      events.filter((e) => e.type !== 'download-progress').map((e) => e.type),
      ['download-start', 'download-done'],
    );
    assert.equal(server.seen[0]?.headers['accept-encoding'], 'identity');

    const again: FerryEvent[] = [];
    const second = await downloadOne(
      request(`${server.base}/demo.whl`),
      options(cache, { events: (e) => again.push(e) }),
    );
    assert.equal(second.fromCache, true);
    assert.equal(second.size, DATA.length);
    assert.equal(server.seen.length, 1, 'no second request');
    assert.deepEqual(
      again.map((e) => e.type),
      ['download-cached'],
    );
  });

  it('a hash mismatch deletes the file, retries once, and names both hashes', async () => {
    const evil = randomBytes(DATA.length);
    const server = await serve((req, res) => sendFile(req, res, evil));
    const cache = freshCache();
    const error = await ferryError(downloadOne(request(`${server.base}/demo.whl`), options(cache)));
    assert.equal(error.code, 'ERR_FERRY_HASH_MISMATCH');
    assert.match(error.message, new RegExp(DATA_SHA));
    assert.match(error.message, new RegExp(sha(evil)));
    assert.match(error.message, /127\.0\.0\.1/);
    assert.equal(server.seen.length, 2, 'one retry from the same URL');
    assert.equal(await cache.has(DATA_SHA), false);
    assert.deepEqual(await partialFiles(cache), []);
  });

  it('a connection dropped mid-body is resumed with Range', async () => {
    const server = await serve((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': DATA.length });
        res.write(DATA.subarray(0, HALF), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      sendFile(req, res, DATA);
    });
    const cache = freshCache();
    const events: FerryEvent[] = [];
    const result = await downloadOne(
      request(`${server.base}/demo.whl`, { size: DATA.length }),
      options(cache, { events: (e) => events.push(e), retries: 1 }),
    );
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[1]?.headers.range, `bytes=${HALF}-`);
    assert.ok(events.some((e) => e.type === 'download-retry'));
    assert.ok(events.some((e) => e.type === 'download-start' && e.resumeFrom === HALF));
  });

  it('a server that ignores Range (200) restarts from zero and still completes', async () => {
    const server = await serve((_req, res, n) => {
      res.writeHead(200, { 'content-length': DATA.length });
      if (n === 1) {
        res.write(DATA.subarray(0, HALF), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(DATA);
    });
    const cache = freshCache();
    const result = await downloadOne(request(`${server.base}/demo.whl`), options(cache));
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(server.seen[1]?.headers.range, `bytes=${HALF}-`);
  });

  it('retries 500 twice, then succeeds', async () => {
    const server = await serve((req, res, n) => {
      if (n <= 2) {
        res.writeHead(500).end('oops');
        return;
      }
      sendFile(req, res, DATA);
    });
    const events: FerryEvent[] = [];
    const result = await downloadOne(
      request(`${server.base}/demo.whl`),
      options(freshCache(), { events: (e) => events.push(e) }),
    );
    assert.equal(result.size, DATA.length);
    assert.equal(server.seen.length, 3);
    const retries = events.filter((e) => e.type === 'download-retry');
    assert.equal(retries.length, 2);
    assert.match(JSON.stringify(retries[0]), /HTTP 500/);
  });

  it('honours Retry-After on 429, capped', async () => {
    const server = await serve((req, res, n) => {
      if (n === 1) {
        res.writeHead(429, { 'retry-after': '3600' }).end();
        return;
      }
      sendFile(req, res, DATA);
    });
    const started = Date.now();
    await downloadOne(request(`${server.base}/demo.whl`), options(freshCache()));
    assert.equal(server.seen.length, 2);
    assert.ok(Date.now() - started < 1500, 'the one-hour Retry-After was capped');
  });

  it('a stalled transfer is abandoned after timeoutMs and retried', async () => {
    const server = await serve((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': DATA.length });
        res.write(DATA.subarray(0, 1000)); // ... and then nothing
        return;
      }
      sendFile(req, res, DATA);
    });
    const events: FerryEvent[] = [];
    const result = await downloadOne(
      request(`${server.base}/demo.whl`),
      options(freshCache(), { timeoutMs: 150, events: (e) => events.push(e) }),
    );
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[1]?.headers.range, 'bytes=1000-');
    const retry = events.find((e) => e.type === 'download-retry');
    assert.match(JSON.stringify(retry), /no data for 0\.1/);
  });

  it('a server that never answers is given up on with attempts and seconds', async () => {
    const server = await serve(() => undefined);
    const error = await ferryError(
      downloadOne(
        request(`${server.base}/demo.whl`),
        options(freshCache(), { timeoutMs: 50, retries: 2 }),
      ),
    );
    assert.equal(error.code, 'ERR_FERRY_DOWNLOAD_FAILED');
    assert.match(error.message, /after 3 attempts in \d+\.\d s: no data/);
    assert.equal(server.seen.length, 3);
  });

  it('404 is not retried and hints at a stale index; 401 hints at credentials', async () => {
    const server = await serve((req, res) => {
      res.writeHead(req.url === '/secret.whl' ? 401 : 404).end();
    });
    const notFound = await ferryError(
      downloadOne(request(`${server.base}/demo.whl`), options(freshCache())),
    );
    assert.equal(notFound.code, 'ERR_FERRY_HTTP_STATUS');
    assert.match(notFound.message, /HTTP 404/);
    assert.match(notFound.hint ?? '', /stale/);
    assert.equal(server.seen.length, 1);

    const denied = await ferryError(
      downloadOne(request(`${server.base}/secret.whl`), options(freshCache())),
    );
    assert.match(denied.message, /HTTP 401/);
    assert.match(denied.hint ?? '', /credentials/);
    assert.equal(server.seen.length, 2);
  });

  it('connection refused is retried, then reported with the cause', async () => {
    const server = await serve(() => undefined);
    const url = `${server.base}/demo.whl`;
    await server.close();
    const error = await ferryError(
      downloadOne(request(url), options(freshCache(), { retries: 1 })),
    );
    assert.equal(error.code, 'ERR_FERRY_DOWNLOAD_FAILED');
    assert.match(error.message, /after 2 attempts/);
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('a Content-Length larger than the body is a truncated transfer (retried, then failed)', async () => {
    const server = await serveRaw(() =>
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 200 OK\r\nContent-Length: ${DATA.length}\r\nConnection: close\r\n\r\n`,
        ),
        DATA.subarray(0, HALF),
      ]),
    );
    const error = await ferryError(
      downloadOne(request(`${server.base}/demo.whl`), options(freshCache(), { retries: 1 })),
    );
    assert.equal(error.code, 'ERR_FERRY_DOWNLOAD_FAILED');
    // Drops that moved the file forward are resumed for free (the first, and a second one
    // when the first delivered fewer bytes); then two failures without progress.
    assert.ok(server.seen.length >= 3 && server.seen.length <= 4, `${server.seen.length}`);
    assert.match(error.message, new RegExp(`after ${server.seen.length} attempts`));
  });

  it('a Content-Length smaller than the body never yields a file', async () => {
    const raw = (): Buffer =>
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 200 OK\r\nContent-Length: ${DATA.length - 100}\r\nConnection: close\r\n\r\n`,
        ),
        DATA,
      ]);
    const server = await serveRaw(raw);
    const unsized = await ferryError(
      downloadOne(request(`${server.base}/demo.whl`), options(freshCache())),
    );
    assert.equal(unsized.code, 'ERR_FERRY_HASH_MISMATCH');
    // With the size from the index, the lie is caught before the body is read.
    const sized = await ferryError(
      downloadOne(request(`${server.base}/demo.whl`, { size: DATA.length }), options(freshCache())),
    );
    assert.equal(sized.code, 'ERR_FERRY_SIZE_MISMATCH');
    assert.match(sized.message, new RegExp(`announced ${DATA.length - 100} bytes`));
  });

  it('a body longer than its Content-Length (or the index size) is refused while streaming', async () => {
    const lying: FetchLike = async () => ({
      status: 200,
      headers: new Headers({ 'content-length': '10' }),
      body: (async function* () {
        yield new Uint8Array(8);
        yield new Uint8Array(8);
      })(),
    });
    const cache = freshCache();
    const error = await ferryError(
      downloadOne(request('http://127.0.0.1:9/demo.whl'), options(cache, { fetch: lying })),
    );
    assert.equal(error.code, 'ERR_FERRY_SIZE_MISMATCH');
    assert.match(error.message, /longer than its Content-Length of 10/);
    assert.deepEqual(await partialFiles(cache), []);

    const server = await serve((_req, res) => {
      res.writeHead(200); // chunked, no Content-Length
      res.end(DATA);
    });
    const tooBig = await ferryError(
      downloadOne(request(`${server.base}/demo.whl`, { size: 1000 }), options(freshCache())),
    );
    assert.equal(tooBig.code, 'ERR_FERRY_SIZE_MISMATCH');
    assert.match(tooBig.message, /longer than the 1000 bytes/);
  });

  it('falls back to a mirror after the first URL fails', async () => {
    const broken = await serve((_req, res) => res.writeHead(503).end());
    const good = await serve((req, res) => sendFile(req, res, DATA));
    const result = await downloadOne(
      request(`${broken.base}/demo.whl`, { mirrors: [`${good.base}/demo.whl`] }),
      options(freshCache(), { retries: 1 }),
    );
    assert.equal(result.url, `${good.base}/demo.whl`);
    assert.equal(broken.seen.length, 2);
    assert.equal(good.seen.length, 1);
  });

  it('after a hash mismatch the retry goes to the next mirror', async () => {
    const evil = await serve((req, res) => sendFile(req, res, randomBytes(DATA.length)));
    const good = await serve((req, res) => sendFile(req, res, DATA));
    const result = await downloadOne(
      request(`${evil.base}/demo.whl`, { mirrors: [`${good.base}/demo.whl`] }),
      options(freshCache()),
    );
    assert.equal(result.url, `${good.base}/demo.whl`);
    assert.equal(evil.seen.length, 1);
  });

  it('when every URL fails, the error names each of them', async () => {
    const a = await serve((_req, res) => res.writeHead(404).end());
    const b = await serve((_req, res) => res.writeHead(403).end());
    const error = await ferryError(
      downloadOne(
        request(`${a.base}/demo.whl`, { mirrors: [`${b.base}/demo.whl`] }),
        options(freshCache()),
      ),
    );
    assert.equal(error.code, 'ERR_FERRY_HTTP_STATUS');
    assert.match(error.message, /HTTP 404/);
    assert.match(error.message, /HTTP 403/);
    assert.equal((error.details?.failures as unknown[] | undefined)?.length, 2);
  });

  it('sends credentials as basic auth and never shows them', async () => {
    const server = await serve((_req, res) => res.writeHead(404).end());
    const events: FerryEvent[] = [];
    const url = `${server.base.replace('//', '//alice:s3cr%40t@')}/demo.whl`;
    const error = await ferryError(
      downloadOne(request(url), options(freshCache(), { events: (e) => events.push(e) })),
    );
    assert.equal(
      server.seen[0]?.headers.authorization,
      `Basic ${Buffer.from('alice:s3cr@t').toString('base64')}`,
    );
    const shown = JSON.stringify([error.message, error.hint, error.details, events]);
    assert.doesNotMatch(shown, /s3cr|alice/);
    assert.match(error.message, /\*\*\*\*/);

    // Also when the connection fails (undici's own error text is redacted too).
    await server.close();
    const refused = await ferryError(
      downloadOne(
        request(url),
        options(freshCache(), { retries: 0, events: (e) => events.push(e) }),
      ),
    );
    assert.doesNotMatch(JSON.stringify([refused.message, refused.details, events]), /s3cr|alice/);
  });

  it('follows redirects; credentials go along only within the origin', async () => {
    const other = await serve((req, res) => sendFile(req, res, DATA));
    const origin = await serve((req, res) => {
      if (req.url === '/simple/demo.whl') res.writeHead(302, { location: '/files/demo.whl' }).end();
      else res.writeHead(307, { location: `${other.base}/elsewhere.whl` }).end();
    });
    const url = `${origin.base.replace('//', '//alice:pw@')}/simple/demo.whl`;
    const result = await downloadOne(request(url), options(freshCache()));
    assert.equal(result.size, DATA.length);
    assert.deepEqual(
      origin.seen.map((s) => [s.url, s.headers.authorization !== undefined]),
      [
        ['/simple/demo.whl', true],
        ['/files/demo.whl', true],
      ],
    );
    assert.equal(other.seen[0]?.headers.authorization, undefined);
  });

  it('resumes a partial file left by a killed run', async () => {
    const server = await serve((req, res) => sendFile(req, res, DATA));
    const cache = freshCache();
    await mkdir(cache.partialDir, { recursive: true });
    await writeFile(join(cache.partialDir, `${DATA_SHA}.part`), DATA.subarray(0, HALF));
    const result = await downloadOne(request(`${server.base}/demo.whl`), options(cache));
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(server.seen.length, 1);
    assert.equal(server.seen[0]?.headers.range, `bytes=${HALF}-`);
    assert.deepEqual(await partialFiles(cache), []);
  });

  it('a complete partial file (killed before the rename) needs no network', async () => {
    const server = await serve((req, res) => sendFile(req, res, DATA));
    const cache = freshCache();
    await mkdir(cache.partialDir, { recursive: true });
    await writeFile(join(cache.partialDir, `${DATA_SHA}.part`), DATA);
    const result = await downloadOne(request(`${server.base}/demo.whl`), options(cache));
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(server.seen.length, 0);
  });

  it('a corrupt partial file of full length is not taken as complete', async () => {
    const server = await serve((req, res) => sendFile(req, res, DATA));
    const cache = freshCache();
    await mkdir(cache.partialDir, { recursive: true });
    await writeFile(join(cache.partialDir, `${DATA_SHA}.part`), randomBytes(DATA.length));
    const result = await downloadOne(
      request(`${server.base}/demo.whl`, { size: DATA.length }),
      options(cache),
    );
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(server.seen.length, 1);
    assert.equal(server.seen[0]?.headers.range, undefined, 'downloaded from zero');
  });

  it('a corrupt partial prefix is resumed, fails the hash, and is redone from zero', async () => {
    const server = await serve((req, res) => sendFile(req, res, DATA));
    const cache = freshCache();
    await mkdir(cache.partialDir, { recursive: true });
    await writeFile(join(cache.partialDir, `${DATA_SHA}.part`), randomBytes(HALF));
    const result = await downloadOne(
      request(`${server.base}/demo.whl`),
      options(cache, { retries: 0 }),
    );
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[0]?.headers.range, `bytes=${HALF}-`);
    assert.equal(server.seen[1]?.headers.range, undefined);
  });

  it('copies file:// URLs, hash-checked', async () => {
    const path = join(root, 'local.whl');
    await writeFile(path, DATA);
    const url = pathToFileURL(path).href;
    const result = await downloadOne(request(url), options(freshCache()));
    assert.deepEqual(await readFile(result.path), DATA);
    assert.equal(result.url, url);

    const wrong = await ferryError(
      downloadOne(request(url, { sha256: sha('other') }), options(freshCache())),
    );
    assert.equal(wrong.code, 'ERR_FERRY_HASH_MISMATCH');
    const missing = await ferryError(
      downloadOne(request(pathToFileURL(join(root, 'nope.whl')).href), options(freshCache())),
    );
    assert.equal(missing.code, 'ERR_FERRY_FILE_NOT_FOUND');
  });

  it('throttles progress events', async () => {
    const big = randomBytes(4 * 1024 * 1024);
    const server = await serve((req, res) => sendFile(req, res, big));
    const events: FerryEvent[] = [];
    await downloadOne(
      request(`${server.base}/big.whl`, { sha256: sha(big), size: big.length }),
      options(freshCache(), { events: (e) => events.push(e) }),
    );
    const progress = events.filter((e) => e.type === 'download-progress');
    assert.ok(progress.length >= 1 && progress.length <= 4 * 4 + 2, `${progress.length} events`);
  });

  it('stops on abort and keeps the partial file for the next run', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': DATA.length });
      res.write(DATA.subarray(0, HALF));
    });
    const cache = freshCache();
    const controller = new AbortController();
    const events: FerryEvent[] = [];
    const pending = downloadOne(
      request(`${server.base}/demo.whl`),
      options(cache, {
        signal: controller.signal,
        events: (e) => {
          events.push(e);
          if (e.type === 'download-start') setTimeout(() => controller.abort(), 50);
        },
      }),
    );
    const error = await ferryError(pending);
    assert.equal(error.code, 'ERR_FERRY_ABORTED');
    const part = join(cache.partialDir, `${DATA_SHA}.part`);
    assert.equal((await stat(part)).size, HALF);
  });
});

describe('downloadAll', () => {
  it('respects the concurrency limit and returns results in order', async () => {
    let active = 0;
    let peak = 0;
    const files = Array.from({ length: 8 }, (_, i) => Buffer.from(`file number ${i}`));
    const server = await serve((req, res) => {
      active++;
      peak = Math.max(peak, active);
      const i = Number(/\/f(\d+)/.exec(req.url ?? '')?.[1]);
      setTimeout(() => {
        active--;
        sendFile(req, res, files[i]!);
      }, 40);
    });
    const results = await downloadAll(
      files.map((data, i) => ({
        url: `${server.base}/f${i}.whl`,
        filename: `f${i}.whl`,
        sha256: sha(data),
      })),
      options(freshCache(), { concurrency: 3 }),
    );
    assert.deepEqual(
      results.map((r) => r.filename),
      files.map((_, i) => `f${i}.whl`),
    );
    assert.equal(peak, 3);
  });

  it('finishes the others when some fail and lists every failure', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/gone.whl') res.writeHead(404).end();
      else if (req.url === '/bad.whl') sendFile(req, res, Buffer.from('tampered'));
      else sendFile(req, res, DATA);
    });
    const cache = freshCache();
    const error = await ferryError(
      downloadAll(
        [
          { url: `${server.base}/gone.whl`, filename: 'gone.whl', sha256: sha('x') },
          request(`${server.base}/ok.whl`),
          { url: `${server.base}/bad.whl`, filename: 'bad.whl', sha256: sha('y') },
        ],
        options(cache, { concurrency: 2 }),
      ),
    );
    assert.equal(error.code, 'ERR_FERRY_DOWNLOADS_FAILED');
    assert.match(error.message, /2 of 3 downloads failed/);
    assert.match(error.message, /gone\.whl: .*HTTP 404/);
    assert.match(error.message, /bad\.whl: .*SHA-256/);
    const failures = error.details?.failures as { code: string }[];
    assert.deepEqual(
      failures.map((f) => f.code),
      ['ERR_FERRY_HTTP_STATUS', 'ERR_FERRY_HASH_MISMATCH'],
    );
    assert.equal(await cache.has(DATA_SHA), true, 'the good file was still downloaded');
  });

  it('downloads a file requested twice only once', async () => {
    const server = await serve((req, res) => sendFile(req, res, DATA));
    const results = await downloadAll(
      [request(`${server.base}/a.whl`), request(`${server.base}/b.whl`, { filename: 'b.whl' })],
      options(freshCache(), { concurrency: 2 }),
    );
    assert.equal(server.seen.length, 1);
    assert.deepEqual(
      results.map((r) => [r.filename, r.fromCache]),
      [
        ['demo-1.0-py3-none-any.whl', false],
        ['b.whl', true],
      ],
    );
  });
});
