/**
 * Index pages are held in memory while they are read, so their size is bounded: a server that
 * streams an endless (or 800 MiB) project page gets a clear error naming the page and the
 * setting that raises the limit, after at most the limit's worth of bytes, never a crash.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { DEFAULT_MAX_PAGE_BYTES, IndexClient } from '../../src/index/client.js';
import { indexConfigFromPip } from '../../src/index/index-config.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';

const CHUNK = Buffer.alloc(64 * 1024, 'a');

describe('the limit on index page size', () => {
  let server: http.Server;
  let base: string;
  /** Bytes written per request path. */
  const sent = new Map<string, number>();

  before(async () => {
    server = http.createServer((req, res) => {
      const path = req.url ?? '';
      sent.set(path, 0);
      if (path.startsWith('/declared/')) {
        // Says 800 MiB up front, then sends a little and waits.
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': 800 * 1024 * 1024 });
        res.write(CHUNK);
        sent.set(path, CHUNK.length);
        return;
      }
      // Endless: chunked HTML with no Content-Length, until the client hangs up.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<!DOCTYPE html><html><body>\n');
      const pump = (): void => {
        while (!res.destroyed) {
          sent.set(path, (sent.get(path) ?? 0) + CHUNK.length);
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      res.on('close', () => res.destroy());
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const client = (url: string, maxPageBytes?: number) =>
    new IndexClient({
      settings: indexConfigFromPip({
        indexUrl: url,
        extraIndexUrls: [],
        findLinks: [],
        noIndex: false,
        sources: [],
      }),
      http: { retries: 0, backoffMs: 1 },
      ...(maxPageBytes === undefined ? {} : { maxPageBytes }),
    });

  it('by default 64 MiB: an endless page fails with the URL and the setting, having read no more', async () => {
    const url = `${base.replace('//', '//user:secret@')}/endless`;
    const error = await client(url)
      .getProject('huge')
      .then(
        () => assert.fail('expected ERR_FERRY_PAGE_TOO_LARGE'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof FerryError, String(error));
    assert.equal(error.code, 'ERR_FERRY_PAGE_TOO_LARGE');
    assert.match(
      error.message,
      /the index page http:\/\/\*\*\*\*:\*\*\*\*@127\.0\.0\.1:\d+\/endless\/huge\/ is larger than 64 MiB/,
    );
    assert.match(error.hint ?? '', /--max-page-size SIZE or FERRY_MAX_PAGE_SIZE=SIZE/);
    assert.doesNotMatch(JSON.stringify([error.message, error.details]), /secret/);
    assert.equal(error.details?.maxBytes, DEFAULT_MAX_PAGE_BYTES);
    // The server may have buffered ahead a little; nothing near 800 MiB was sent.
    assert.ok((sent.get('/endless/huge/') ?? 0) < DEFAULT_MAX_PAGE_BYTES + 16 * 1024 * 1024);
  });

  it('a Content-Length over the limit is refused before the body is read', async () => {
    const error = await client(`${base}/declared`, 1024 * 1024)
      .getProject('huge')
      .then(
        () => assert.fail('expected ERR_FERRY_PAGE_TOO_LARGE'),
        (e: unknown) => e as FerryError,
      );
    assert.equal(error.code, 'ERR_FERRY_PAGE_TOO_LARGE');
    assert.match(error.message, /is larger than 1 MiB/);
  });

  it('ferry lock: FERRY_MAX_PAGE_SIZE and --max-page-size set it; a bad value is a usage error', async () => {
    const work = tempDir();
    const lock = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      runCli(
        [
          'lock',
          'huge',
          '--isolated',
          '--index-url',
          `${base}/cli`,
          '--retries',
          '0',
          '-o',
          '-',
          ...args,
        ],
        {
          env: isolatedEnv(work, env),
        },
      );
    const viaEnv = await lock([], { FERRY_MAX_PAGE_SIZE: '2M' });
    assert.equal(viaEnv.code, 4, viaEnv.stderr);
    assert.match(viaEnv.stderr, /ERR_FERRY_PAGE_TOO_LARGE/);
    assert.match(viaEnv.stderr, /\/cli\/huge\/ is larger than 2 MiB/);
    const viaFlag = await lock(['--max-page-size', '1M'], { FERRY_MAX_PAGE_SIZE: '2M' });
    assert.match(viaFlag.stderr, /is larger than 1 MiB/);
    const bad = await lock(['--max-page-size', 'lots']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--max-page-size "lots" is not a size/);
  });
});
