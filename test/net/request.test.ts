/**
 * The one network layer, against real servers on 127.0.0.1: plain HTTP and CONNECT proxies
 * (counting what goes through them), NO_PROXY, a TLS server with a CA made by openssl (trusted
 * with `cert`, refused without it, accepted for a trusted host), a server that wants a client
 * certificate, stall timeouts and retry counts, Retry-After as an HTTP date, file:// URLs, for
 * index fetches (index/http.ts) and downloads (fetch/download.ts) alike.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FerryError } from '../../src/core/errors.js';
import { ContentCache } from '../../src/fetch/cache.js';
import { downloadOne } from '../../src/fetch/download.js';
import { fetchText } from '../../src/index/http.js';
import { netRequest } from '../../src/net/request.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay } from '../../src/net/retry.js';
import type { NetSettings } from '../../src/net/settings.js';
import {
  type Certificates,
  makeCertificates,
  opensslMissing,
  startProxy,
  startTlsFront,
  type TestProxy,
  type TlsFront,
} from './servers.js';

const BODY = Buffer.from('the file body\n'.repeat(100));
const BODY_SHA = createHash('sha256').update(BODY).digest('hex');

interface Origin {
  readonly base: string;
  readonly seen: http.IncomingMessage['headers'][];
  readonly paths: string[];
  close(): Promise<void>;
}

const closers: (() => Promise<void>)[] = [];

async function origin(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void = (_req, res) =>
    void res.writeHead(200, { 'content-type': 'text/html' }).end(BODY),
): Promise<Origin> {
  const seen: http.IncomingMessage['headers'][] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    paths.push(req.url ?? '');
    handler(req, res, seen.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  closers.push(close);
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    paths,
    close,
  };
}

async function proxy(options: Parameters<typeof startProxy>[0] = {}): Promise<TestProxy> {
  const p = await startProxy(options);
  closers.push(() => p.close());
  return p;
}

const settings = (extra: Partial<NetSettings> = {}): NetSettings => ({
  trustedHosts: [],
  env: {},
  ...extra,
});

const fast = { backoffMs: 5 };

async function ferryError(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FerryError, `expected a FerryError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

let root: string;
let caches = 0;
const freshCache = () => new ContentCache(join(root, `cache-${++caches}`));

before(() => {
  root = mkdtempSync(join(tmpdir(), 'ferry-net-'));
});
after(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

describe('proxies', () => {
  it('http URLs go to an http proxy in absolute form; the proxy counts each request', async () => {
    const server = await origin();
    const p = await proxy();
    const net = settings({ env: { HTTP_PROXY: p.url } });
    const page = await fetchText(`${server.base}/simple/demo/`, { net, ...fast });
    assert.equal(page.body, BODY.toString());
    assert.deepEqual(p.requests, [`${server.base}/simple/demo/`]);
    const file = await downloadOne(
      { url: `${server.base}/files/demo.whl`, filename: 'demo.whl', sha256: BODY_SHA },
      { cache: freshCache(), net },
    );
    assert.equal(file.size, BODY.length);
    assert.deepEqual(p.requests, [`${server.base}/simple/demo/`, `${server.base}/files/demo.whl`]);
    assert.equal(server.seen[0]!.host, new URL(server.base).host);
  });

  it('NO_PROXY exempts a host from the environment proxy', async () => {
    const server = await origin();
    const p = await proxy();
    const net = settings({ env: { http_proxy: p.url, no_proxy: 'localhost,127.0.0.1' } });
    await fetchText(`${server.base}/x`, { net, ...fast });
    await downloadOne(
      { url: `${server.base}/f.whl`, filename: 'f.whl', sha256: BODY_SHA },
      { cache: freshCache(), net },
    );
    assert.deepEqual(p.requests, []);
    assert.equal(server.paths.length, 2);
  });

  it("pip's proxy setting is used for every host, NO_PROXY notwithstanding", async () => {
    const server = await origin();
    const p = await proxy();
    const net = settings({ proxy: p.url, env: { NO_PROXY: '*' } });
    await fetchText(`${server.base}/x`, { net, ...fast });
    assert.deepEqual(p.requests, [`${server.base}/x`]);
  });

  it('credentials in the proxy URL become TestProxy-Authorization; a 407 says what to do', async () => {
    const server = await origin();
    const p = await proxy({ auth: { user: 'me', pass: 's/cret' } });
    const good = settings({ env: { HTTP_PROXY: p.url.replace('//', '//me:s%2Fcret@') } });
    await fetchText(`${server.base}/x`, { net: good, ...fast });
    assert.equal(p.authorizations[0], `Basic ${Buffer.from('me:s/cret').toString('base64')}`);
    const bad = settings({ env: { HTTP_PROXY: p.url.replace('//', '//me:wrong@') } });
    const error = await ferryError(fetchText(`${server.base}/x`, { net: bad, ...fast }));
    assert.equal(error.code, 'ERR_FERRY_HTTP_STATUS');
    assert.match(error.hint ?? '', /proxy wants credentials/);
    assert.doesNotMatch(JSON.stringify([error.message, error.details]), /wrong/);
  });
});

describe('TLS', { skip: opensslMissing() }, () => {
  let certs: Certificates;
  let upstream: Origin;
  let front: TlsFront;
  let mutual: TlsFront;
  before(async () => {
    certs = makeCertificates();
    upstream = await origin();
    front = await startTlsFront(certs, upstream.base);
    mutual = await startTlsFront(certs, upstream.base, { requireClientCert: true });
    closers.push(
      () => front.close(),
      () => mutual.close(),
    );
  });

  it('a server signed by the CA named in cert is accepted', async () => {
    const page = await fetchText(`${front.base}/simple/`, {
      net: settings({ caFile: certs.caFile }),
      ...fast,
    });
    assert.equal(page.body, BODY.toString());
  });

  it('without it the server is refused at once, with the fix in the hint (no retries)', async () => {
    const before = front.requests.length;
    const started = Date.now();
    const error = await ferryError(
      fetchText(`${front.base}/simple/`, { net: settings({ retries: 3 }), backoffMs: 500 }),
    );
    assert.equal(error.code, 'ERR_FERRY_TLS');
    assert.match(error.message, /certificate of 127\.0\.0\.1:\d+ is not trusted/);
    assert.match(error.hint ?? '', /cert = .*trusted-host = 127\.0\.0\.1/s);
    assert.ok(Date.now() - started < 400, 'not retried');
    assert.equal(front.requests.length, before);
    const download = await ferryError(
      downloadOne(
        { url: `${front.base}/f.whl`, filename: 'f.whl', sha256: BODY_SHA },
        { cache: freshCache(), net: settings() },
      ),
    );
    assert.equal(download.code, 'ERR_FERRY_TLS');
  });

  it('a trusted host (any port, or its own port) is accepted without the CA; another port is not', async () => {
    const port = new URL(front.base).port;
    for (const trusted of ['127.0.0.1', `127.0.0.1:${port}`]) {
      const page = await fetchText(`${front.base}/simple/`, {
        net: settings({ trustedHosts: [trusted] }),
        ...fast,
      });
      assert.equal(page.body, BODY.toString());
    }
    const other = await ferryError(
      fetchText(`${front.base}/simple/`, {
        net: settings({ trustedHosts: ['127.0.0.1:1'] }),
        ...fast,
      }),
    );
    assert.equal(other.code, 'ERR_FERRY_TLS');
  });

  it('https through a CONNECT proxy: the proxy sees one tunnel per request, never the path', async () => {
    const p = await proxy();
    const net = settings({ caFile: certs.caFile, env: { HTTPS_PROXY: p.url } });
    await fetchText(`${front.base}/simple/demo/`, { net, ...fast });
    const file = await downloadOne(
      { url: `${front.base}/files/demo.whl`, filename: 'demo.whl', sha256: BODY_SHA },
      { cache: freshCache(), net },
    );
    assert.equal(file.size, BODY.length);
    const authority = new URL(front.base).host;
    assert.deepEqual(p.connects, [authority, authority]);
    assert.deepEqual(p.requests, []);
  });

  it('a CONNECT the proxy refuses (407) is a clear error', async () => {
    const p = await proxy({ auth: { user: 'u', pass: 'p' } });
    const error = await ferryError(
      fetchText(`${front.base}/x`, {
        net: settings({ caFile: certs.caFile, proxy: p.url }),
        ...fast,
      }),
    );
    assert.equal(error.code, 'ERR_FERRY_PROXY');
    assert.match(error.message, /refused to connect to 127\.0\.0\.1:\d+ \(HTTP 407\)/);
    assert.match(error.hint ?? '', /credentials/);
  });

  it('a server that wants a client certificate gets the one in client-cert, and refuses without', async () => {
    const page = await fetchText(`${mutual.base}/simple/`, {
      net: settings({ caFile: certs.caFile, clientCertFile: certs.clientFile }),
      ...fast,
    });
    assert.equal(page.body, BODY.toString());
    const before = mutual.requests.length;
    const error = await ferryError(
      fetchText(`${mutual.base}/simple/`, {
        net: settings({ caFile: certs.caFile, retries: 0 }),
        ...fast,
      }),
    );
    assert.equal(error.code, 'ERR_FERRY_TLS');
    assert.match(
      error.message,
      /handshake with 127\.0\.0\.1:\d+ failed \(tlsv13 alert certificate required\)/,
    );
    assert.match(error.hint ?? '', /client-cert = /);
    assert.equal(mutual.requests.length, before, 'no request got through the handshake');
  });

  it('an unreadable cert file is named in the error', async () => {
    const error = await ferryError(
      fetchText(`${front.base}/x`, {
        net: settings({
          caFile: join(root, 'nope.pem'),
          sources: { cert: 'cert from /etc/pip.conf [global]' },
        }),
      }),
    );
    assert.equal(error.code, 'ERR_FERRY_CERT_FILE');
    assert.match(error.message, /nope\.pem \(cert from \/etc\/pip\.conf \[global\]\): ENOENT/);
  });
});

describe('timeouts and retries', () => {
  it("pip's timeout is a stall timeout; pip's retries is the number of attempts after the first", async () => {
    const silent = await origin(() => undefined); // accepts, never answers
    const started = Date.now();
    const error = await ferryError(
      fetchText(`${silent.base}/simple/`, {
        net: settings({ timeoutMs: 150, retries: 2 }),
        ...fast,
      }),
    );
    assert.equal(error.code, 'ERR_FERRY_INDEX_UNREACHABLE');
    assert.match(error.message, /3 attempts failed .*no data for 0\.1 s/);
    assert.equal(silent.paths.length, 3);
    assert.ok(Date.now() - started < 5000);

    const download = await ferryError(
      downloadOne(
        { url: `${silent.base}/f.whl`, filename: 'f.whl', sha256: BODY_SHA },
        { cache: freshCache(), net: settings({ timeoutMs: 150, retries: 1 }), backoffMs: 5 },
      ),
    );
    assert.equal(download.code, 'ERR_FERRY_DOWNLOAD_FAILED');
    assert.match(download.message, /after 2 attempts/);
    assert.equal(silent.paths.length, 5);
  });

  it('a body that stops midway fails after the stall timeout, not after the whole transfer', async () => {
    const stalling = await origin((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': 1000 });
      res.write('x'.repeat(100));
    });
    const error = await ferryError(
      fetchText(`${stalling.base}/p/`, { net: settings({ timeoutMs: 150, retries: 0 }) }),
    );
    assert.match(error.message, /no data for 0\.1 s/);
  });

  it('5xx: retried exactly `retries` times, for pages and downloads', async () => {
    const failing = await origin((_req, res) => void res.writeHead(503).end());
    await ferryError(fetchText(`${failing.base}/p/`, { net: settings({ retries: 2 }), ...fast }));
    assert.equal(failing.paths.length, 3);
    await ferryError(
      downloadOne(
        { url: `${failing.base}/f.whl`, filename: 'f.whl', sha256: BODY_SHA },
        { cache: freshCache(), net: settings({ retries: 1 }), backoffMs: 5, maxBackoffMs: 10 },
      ),
    );
    assert.equal(failing.paths.length, 5);
  });

  it('index fetches honour Retry-After given as an HTTP date', async () => {
    const limited = await origin((_req, res, n) => {
      if (n === 1) {
        const when = new Date(Date.now() + 1500).toUTCString();
        res.writeHead(429, { 'retry-after': when }).end();
      } else res.writeHead(200).end('ok');
    });
    const started = Date.now();
    const page = await fetchText(`${limited.base}/p/`, { net: settings(), ...fast });
    assert.equal(page.body, 'ok');
    // The date has whole seconds: at least half a second of waiting, not the 5 ms backoff.
    assert.ok(Date.now() - started >= 500, `${Date.now() - started} ms`);
  });

  it('the policy: Retry-After in seconds or as a date, capped; backoff doubles with jitter', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-1', now), undefined);
    assert.equal(retryDelay(DEFAULT_RETRY_POLICY, 1, 3_600_000), 60_000);
    assert.equal(
      retryDelay(DEFAULT_RETRY_POLICY, 3, undefined, () => 0),
      500,
    );
    assert.equal(
      retryDelay(DEFAULT_RETRY_POLICY, 3, undefined, () => 1),
      1000,
    );
    assert.equal(
      retryDelay(DEFAULT_RETRY_POLICY, 30, undefined, () => 1),
      30_000,
    );
  });
});

describe('redirects and file:// URLs', () => {
  it('Authorization follows a redirect on the same host and is dropped when the host changes', async () => {
    const other = await origin();
    const otherUrl = other.base.replace('127.0.0.1', 'localhost');
    const first = await origin((req, res) => {
      if (req.url === '/a') res.writeHead(302, { location: '/b' }).end();
      else res.writeHead(302, { location: `${otherUrl}/c` }).end();
    });
    await fetchText(`${first.base.replace('//', '//u:pw@')}/a`, { net: settings(), ...fast });
    assert.ok(first.seen.every((h) => h.authorization !== undefined));
    assert.equal(other.seen[0]!.authorization, undefined);
  });

  it('file:// URLs answer 200, 206 for a range, 404 when missing', async () => {
    const path = join(root, 'f.bin');
    writeFileSync(path, '0123456789');
    const url = pathToFileURL(path).href;
    const whole = await netRequest(url);
    assert.equal(whole.status, 200);
    const ranged = await netRequest(url, { headers: { range: 'bytes=-3' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), 'bytes 7-9/10');
    let text = '';
    for await (const chunk of ranged.body) text += Buffer.from(chunk).toString();
    assert.equal(text, '789');
    assert.equal((await netRequest(`${url}.nope`)).status, 404);
  });
});
