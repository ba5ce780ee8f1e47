/**
 * pip's transport options, read from a pip.conf (or PIP_* and the proxy variables), drive
 * `ferry lock` against a local index on 127.0.0.1: behind TLS with a CA made by openssl (`cert`,
 * `trusted-host`), behind a forward proxy under a host name that is not local (`proxy` with
 * `trusted-host`, compared with the real pip through the same proxy), through HTTP_PROXY and
 * NO_PROXY, and with `retries` and `timeout`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { ferryLock, ferryPicks, pipEnvironment, pipPicks } from '../index/pip-env.js';
import {
  type Certificates,
  makeCertificates,
  opensslMissing,
  startProxy,
  startTlsFront,
  type TestProxy,
  type TlsFront,
} from './servers.js';

describe("pip's transport options from pip's configuration", () => {
  let index: LocalIndex;
  let work: string;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    index = await startLocalIndex([
      { name: 'app', version: '1.0', requiresDist: ['lib>=1'] },
      { name: 'app', version: '2.0', requiresDist: ['lib>=2'] },
      { name: 'lib', version: '1.0' },
      { name: 'lib', version: '2.0' },
    ]);
    work = tempDir('ferry-pipnet-');
  });
  after(async () => {
    await Promise.all(closers.map((c) => c()));
    await index.close();
  });

  describe('cert and trusted-host against an HTTPS index', { skip: opensslMissing() }, () => {
    let certs: Certificates;
    let front: TlsFront;
    before(async () => {
      certs = makeCertificates();
      front = await startTlsFront(certs, new URL(index.url).origin);
      closers.push(() => front.close());
    });

    test('cert = the CA bundle: the index is trusted', async () => {
      const env = pipEnvironment(
        work,
        `index-url = ${front.base}/simple\ncert = ${certs.caFile}\n`,
      );
      assert.deepEqual(await ferryPicks(work, ['app'], env), { app: '2.0', lib: '2.0' });
    });

    test('without it: refused, exit status 4, with the fix named', async () => {
      const env = pipEnvironment(work, `index-url = ${front.base}/simple\n`);
      const r = await ferryLock(work, ['app'], env);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /ERR_FERRY_TLS/);
      assert.match(r.stderr, /certificate of 127\.0\.0\.1:\d+ is not trusted/);
    });

    test('trusted-host = 127.0.0.1 (PIP_TRUSTED_HOST too): accepted without the CA', async () => {
      const conf = pipEnvironment(
        work,
        `index-url = ${front.base}/simple\ntrusted-host = 127.0.0.1\n`,
      );
      assert.deepEqual(await ferryPicks(work, ['app'], conf), { app: '2.0', lib: '2.0' });
      const env = pipEnvironment(work, `index-url = ${front.base}/simple\n`, {
        PIP_TRUSTED_HOST: `127.0.0.1:${new URL(front.base).port}`,
      });
      assert.deepEqual(await ferryPicks(work, ['app'], env), { app: '2.0', lib: '2.0' });
    });
  });

  describe('a proxy and a host that is not local', () => {
    let proxy: TestProxy;
    before(async () => {
      // Every request the proxy receives goes to the local index, whatever host it names.
      proxy = await startProxy({ upstream: new URL(index.url).host });
      closers.push(() => proxy.close());
    });

    test('proxy + trusted-host: ferry and pip go through the proxy and pick the same', async () => {
      const conf = `index-url = http://index.invalid/simple\nproxy = ${proxy.url}\ntrusted-host = index.invalid\n`;
      const env = pipEnvironment(work, conf);
      const before = proxy.requests.length;
      const ours = await ferryPicks(work, ['app', 'lib<2'], env);
      const ferryRequests = proxy.requests.slice(before);
      const theirs = await pipPicks(work, ['app', 'lib<2'], env);
      assert.deepEqual(ours, { app: '1.0', lib: '1.0' });
      assert.deepEqual(ours, theirs);
      assert.ok(ferryRequests.includes('http://index.invalid/simple/app/'), ferryRequests.join());
      assert.ok(proxy.requests.length > before + ferryRequests.length, 'pip used the proxy too');
    });

    test('without trusted-host a plain-HTTP index that is not local is refused', async () => {
      const env = pipEnvironment(
        work,
        `index-url = http://index.invalid/simple\nproxy = ${proxy.url}\n`,
      );
      const r = await ferryLock(work, ['app'], env);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /ERR_FERRY_INSECURE_ORIGIN/);
      assert.match(r.stderr, /trusted-host = index\.invalid/);
    });

    test('HTTP_PROXY carries the requests, NO_PROXY exempts the host', async () => {
      const conf = `index-url = ${index.url}\n`;
      let before = proxy.requests.length;
      await ferryPicks(work, ['lib'], pipEnvironment(work, conf, { HTTP_PROXY: proxy.url }));
      assert.ok(proxy.requests.length > before, 'through the proxy');
      before = proxy.requests.length;
      await ferryPicks(
        work,
        ['lib'],
        pipEnvironment(work, conf, { http_proxy: proxy.url, NO_PROXY: '127.0.0.1' }),
      );
      assert.equal(proxy.requests.length, before, 'NO_PROXY');
    });
  });

  describe('retries and timeout', () => {
    let server: http.Server;
    let base: string;
    const hits = new Map<string, number>();
    before(async () => {
      server = http.createServer((req, res) => {
        const path = req.url ?? '';
        hits.set(path, (hits.get(path) ?? 0) + 1);
        if (path.startsWith('/busy/')) res.writeHead(503).end();
        // /silent/: accepted, never answered.
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      closers.push(
        () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      );
    });

    test('retries = 1 in pip.conf: two attempts at a failing page', async () => {
      const env = pipEnvironment(work, `index-url = ${base}/busy\nretries = 1\n`);
      const r = await ferryLock(work, ['app'], env);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /2 attempts failed/);
      assert.equal(hits.get('/busy/app/'), 2);
    });

    test('PIP_TIMEOUT=0.3 with retries = 0: one attempt, failed after 0.3 s of silence', async () => {
      const env = pipEnvironment(work, `index-url = ${base}/silent\nretries = 0\n`, {
        PIP_TIMEOUT: '0.3',
      });
      const started = Date.now();
      const r = await ferryLock(work, ['app'], env);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /1 attempt failed .*no data for 0\.3 s/);
      assert.equal(hits.get('/silent/app/'), 1);
      assert.ok(Date.now() - started < 20_000);
    });
  });
});
