import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type BuiltFile, buildWheel } from '../helpers/local-index.js';

// `ferry lock --refresh` and `ferry bundle --refresh`: a page the index called fresh for ten
// minutes is asked for again (conditionally, by its ETag) instead of being read from the cache.
describe('--refresh on lock and bundle revalidates cached index pages', () => {
  const dir = tempDir('ferry-refresh-');
  let wheel: BuiltFile;
  const pageRequests: IncomingMessage['headers'][] = [];
  let url = '';
  const server = createServer((req, res) => {
    if (req.url === '/simple/demo/') {
      pageRequests.push(req.headers);
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=600' });
        res.end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/html',
        etag: '"v1"',
        'cache-control': 'max-age=600',
      });
      res.end(
        `<!DOCTYPE html><html><body><a href="/files/${wheel.filename}#sha256=${wheel.sha256}">${wheel.filename}</a></body></html>`,
      );
      return;
    }
    if (req.url === `/files/${wheel.filename}`) {
      readFile(wheel.path).then((body) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(body);
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });

  before(async () => {
    wheel = await buildWheel({ name: 'demo', version: '1.0' }, join(dir, 'files'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const target = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];

  it('a page within max-age is not asked for again, unless --refresh says so', async () => {
    const cache = join(dir, 'cache');
    const env = isolatedEnv(cache);
    const lock = (...extra: string[]) =>
      runCli(
        ['lock', 'demo', ...target, '--index-url', url, '-o', join(dir, 'pylock.toml'), ...extra],
        { env },
      );
    const first = await lock();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(pageRequests.length, 1);
    const warm = await lock();
    assert.equal(warm.code, 0, warm.stderr);
    assert.equal(pageRequests.length, 1, 'the warm lock used the fresh page without a request');

    const refreshed = await lock('--refresh');
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.equal(pageRequests.length, 2, 'lock --refresh asked again');
    assert.equal(pageRequests[1]?.['if-none-match'], '"v1"', 'conditionally, by ETag');

    const bundled = await runCli(
      ['bundle', 'demo', ...target, '--index-url', url, '-o', join(dir, 'bundle'), '--refresh'],
      { env },
    );
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.equal(pageRequests.length, 3, 'bundle --refresh asked again');
    assert.equal(pageRequests[2]?.['if-none-match'], '"v1"');
  });
});
