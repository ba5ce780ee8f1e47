// `ferry serve` over HTTP on 127.0.0.1: the simple API negotiated (PEP 691), project names
// redirected (PEP 503), files with Range/ETag/304, pages compressed, traversal refused,
// 404s that say what exists, a new generation picked up without a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { readWheelMetadata } from '../../src/index/wheel-metadata.js';
import type { IndexStore } from '../../src/server/store/index.js';
import { buildWheel, metadataText } from '../helpers/local-index.js';
import {
  publishWheels,
  raw,
  type SignedStore,
  sha256,
  startTestServer,
  storeWithSignedBundle,
  type TestServer,
  type Work,
  workDir,
} from './serve-fixture.js';

const PIP_ACCEPT =
  'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

let work: Work;
let signed: SignedStore;
let store: IndexStore;
let server: TestServer;
let port: number;

before(async () => {
  work = await workDir();
  signed = await storeWithSignedBundle(work.dir, [
    { name: 'Demo_Pkg', version: '1.0', requiresDist: ['dep-one>=1'], requiresPython: '>=3.8' },
    { name: 'dep-one', version: '1.2' },
  ]);
  store = signed.store;
  server = await startTestServer({ store });
  port = server.port;
});
after(async () => {
  await server?.close();
  await work?.cleanup();
});

describe('simple API: content negotiation (PEP 691)', () => {
  it('no Accept gets text/html; pip’s Accept gets v1+json; Vary: Accept either way', async () => {
    const html = await raw(port, '/approved/simple/');
    assert.equal(html.status, 200);
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(html.headers.vary ?? '', /\bAccept\b/);
    assert.match(html.text, /<a href="demo-pkg\/">/);
    const json = await raw(port, '/approved/simple/', { headers: { accept: PIP_ACCEPT } });
    assert.equal(json.headers['content-type'], 'application/vnd.pypi.simple.v1+json');
    assert.match(json.headers.vary ?? '', /\bAccept\b/);
    const data = JSON.parse(json.text);
    assert.equal(data.meta['api-version'], '1.1');
    assert.deepEqual(
      data.projects.map((p: { name: string }) => p.name).sort(),
      ['Demo_Pkg', 'dep-one'].sort(),
    );
  });

  it('v1+html by name, q-values honoured, ?format= overrides, unknown types are 406', async () => {
    const v1html = await raw(port, '/approved/simple/demo-pkg/', {
      headers: { accept: 'application/vnd.pypi.simple.v1+html' },
    });
    assert.equal(
      v1html.headers['content-type'],
      'application/vnd.pypi.simple.v1+html; charset=utf-8',
    );
    const preferHtml = await raw(port, '/approved/simple/demo-pkg/', {
      headers: { accept: 'application/vnd.pypi.simple.v1+json;q=0.2, text/html;q=0.9' },
    });
    assert.equal(preferHtml.headers['content-type'], 'text/html; charset=utf-8');
    const latest = await raw(port, '/approved/simple/demo-pkg/', {
      headers: { accept: 'application/vnd.pypi.simple.latest+json' },
    });
    assert.equal(latest.headers['content-type'], 'application/vnd.pypi.simple.v1+json');
    const forced = await raw(port, '/approved/simple/demo-pkg/?format=json', {
      headers: { accept: 'text/html' },
    });
    assert.equal(forced.headers['content-type'], 'application/vnd.pypi.simple.v1+json');
    const full = await raw(
      port,
      `/approved/simple/demo-pkg/?format=${encodeURIComponent('application/vnd.pypi.simple.v1+html')}`,
    );
    assert.equal(
      full.headers['content-type'],
      'application/vnd.pypi.simple.v1+html; charset=utf-8',
    );
    const bad = await raw(port, '/approved/simple/demo-pkg/?format=xml');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /json, html/);
    const none = await raw(port, '/approved/simple/demo-pkg/', {
      headers: { accept: 'image/png' },
    });
    assert.equal(none.status, 406);
  });

  it('a project page carries hashes, requires-python and PEP 658/714 metadata, and its links work', async () => {
    const page = await raw(port, '/approved/simple/demo-pkg/', { headers: { accept: PIP_ACCEPT } });
    const data = JSON.parse(page.text);
    assert.equal(data.name.toLowerCase().replace(/[-_.]+/g, '-'), 'demo-pkg');
    assert.deepEqual(data.versions, ['1.0']);
    const [file] = data.files;
    assert.equal(file['requires-python'], '>=3.8');
    assert.ok(file['core-metadata'].sha256, 'PEP 714 core-metadata');
    const url = new URL(file.url, `${server.base}/approved/simple/demo-pkg/`);
    const wheel = await raw(port, url.pathname);
    assert.equal(wheel.status, 200);
    assert.equal(sha256(wheel.body), file.hashes.sha256);
    const metadata = await raw(port, `${url.pathname}.metadata`);
    assert.equal(metadata.status, 200);
    assert.equal(sha256(metadata.body), file['core-metadata'].sha256);
    assert.equal(metadata.text, await readWheelMetadata(wheel.body));
    const html = await raw(port, '/approved/simple/demo-pkg/');
    assert.match(html.text, /data-requires-python="&gt;=3\.8"/);
    assert.match(html.text, /data-dist-info-metadata="sha256=[0-9a-f]{64}"/);
    assert.match(html.text, /data-core-metadata="sha256=[0-9a-f]{64}"/);
  });
});

describe('project names (PEP 503)', () => {
  it('another spelling is redirected (301) to the normalized URL, the query kept', async () => {
    const r = await raw(port, '/approved/simple/Demo_Pkg/?format=json');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/approved/simple/demo-pkg/?format=json');
    const dots = await raw(port, '/approved/simple/demo.PKG/');
    assert.equal(dots.headers.location, '/approved/simple/demo-pkg/');
  });

  it('a project page names the project by its normalized name (PEP 691)', async () => {
    const r = await raw(port, '/approved/simple/demo-pkg/?format=json');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.text).name, 'demo-pkg');
  });

  it('the trailing slash is added by redirect, for the list and for a project', async () => {
    assert.equal((await raw(port, '/approved/simple')).headers.location, '/approved/simple/');
    assert.equal(
      (await raw(port, '/approved/simple/demo-pkg')).headers.location,
      '/approved/simple/demo-pkg/',
    );
  });
});

describe('404s say what exists', () => {
  it('an unknown project names the index and where else it is', async () => {
    const r = await raw(port, '/incoming/simple/demo-pkg/');
    assert.equal(r.status, 404);
    assert.match(r.text, /no project "demo-pkg" in index "incoming"/);
    assert.match(r.text, /\/approved\/simple\/demo-pkg\//);
  });

  it('an unknown index lists the indexes; an unknown path lists the URL space', async () => {
    const r = await raw(port, '/nope/simple/');
    assert.equal(r.status, 404);
    assert.match(r.text, /\/approved\/simple\/.*\/incoming\/simple\//);
    const other = await raw(port, '/what/ever');
    assert.equal(other.status, 404);
    assert.match(other.text, /\/approved\/simple\/ +the "approved" index/);
  });
});

describe('files: Range, ETag, Last-Modified, immutable', () => {
  let path: string;
  let body: Buffer;
  let digest: string;
  before(async () => {
    const data = JSON.parse(
      (await raw(port, '/approved/simple/dep-one/', { headers: { accept: PIP_ACCEPT } })).text,
    );
    path = new URL(data.files[0].url, `${server.base}/approved/simple/dep-one/`).pathname;
    digest = data.files[0].hashes.sha256;
    body = (await raw(port, path)).body;
  });

  it('a whole file: 200, ETag is its SHA-256, immutable, Last-Modified, Accept-Ranges', async () => {
    const r = await raw(port, path);
    assert.equal(r.status, 200);
    assert.equal(r.headers.etag, `"${digest}"`);
    assert.match(r.headers['cache-control'] ?? '', /immutable/);
    assert.ok(r.headers['last-modified']);
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(Number(r.headers['content-length']), body.length);
  });

  it('Range gives 206 with Content-Range; a suffix range; past the end is 416', async () => {
    const first = await raw(port, path, { headers: { range: 'bytes=0-9' } });
    assert.equal(first.status, 206);
    assert.equal(first.headers['content-range'], `bytes 0-9/${body.length}`);
    assert.deepEqual(first.body, body.subarray(0, 10));
    const tail = await raw(port, path, { headers: { range: 'bytes=-22' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(tail.body, body.subarray(body.length - 22));
    const open = await raw(port, path, { headers: { range: `bytes=${body.length - 5}-` } });
    assert.deepEqual(open.body, body.subarray(body.length - 5));
    const past = await raw(port, path, { headers: { range: `bytes=${body.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${body.length}`);
    const stale = await raw(port, path, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    assert.equal(stale.status, 200, 'If-Range with another validator: the whole file');
  });

  it('If-None-Match with the ETag is 304 with no body; If-Modified-Since too', async () => {
    const r = await raw(port, path, { headers: { 'if-none-match': `"${digest}"` } });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    const since = await raw(port, path, {
      headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() },
    });
    assert.equal(since.status, 304);
  });

  it('HEAD answers the headers of GET and no body', async () => {
    const r = await raw(port, path, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers['content-length']), body.length);
    assert.equal(r.body.length, 0);
    const page = await raw(port, '/approved/simple/', { method: 'HEAD' });
    assert.equal(page.status, 200);
    assert.ok(Number(page.headers['content-length']) > 0);
    assert.equal(page.body.length, 0);
  });

  it('no directory listing: a folder of files/ is 404', async () => {
    for (const target of [
      '/files/',
      '/files',
      `/files/${digest.slice(0, 2)}/`,
      `/files/${digest.slice(0, 2)}/${digest}/`,
    ]) {
      const r = await raw(port, target);
      assert.equal(r.status, 404, target);
      assert.doesNotMatch(r.text, /\.whl/, target);
    }
  });
});

describe('hostile paths are refused', () => {
  const cases = [
    '/files/../store.json',
    '/files/%2e%2e/store.json',
    '/files/%2E%2E%2Fstore.json',
    '/approved/simple/..%2f..%2fstore.json/',
    '/approved/simple/%2e%2e/',
    '/files/ab/x%00.whl',
    '/files/ab%5c..%5cstore.json',
    '/files//etc/passwd',
    '/files/%ff/',
    '/..',
    '/approved/simple/./',
  ];
  for (const target of cases) {
    it(`${target} is 400, never a file outside files/`, async () => {
      const r = await raw(port, target);
      assert.equal(r.status, 400, `${target}: ${r.status} ${r.text}`);
      assert.match(r.text, /^refused: /);
      assert.doesNotMatch(r.text, /formatVersion/);
    });
  }

  it('a file name the store does not know is 404', async () => {
    const r = await raw(port, `/files/ab/${'ab'.repeat(32)}/store.json`);
    assert.equal(r.status, 404);
  });
});

describe('pages are compressed once per generation', () => {
  it('gzip and br when accepted, identical bytes when decoded, one ETag for all', async () => {
    const plain = await raw(port, '/approved/simple/demo-pkg/');
    assert.equal(plain.headers['content-encoding'], undefined);
    const gz = await raw(port, '/approved/simple/demo-pkg/', {
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), plain.text);
    const br = await raw(port, '/approved/simple/demo-pkg/', {
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(br.body).toString(), plain.text);
    assert.equal(gz.headers.etag, plain.headers.etag);
    assert.match(gz.headers.vary ?? '', /Accept-Encoding/);
    assert.match(plain.headers['cache-control'] ?? '', /max-age=\d+/);
    assert.doesNotMatch(plain.headers['cache-control'] ?? '', /immutable/);
    const again = await raw(port, '/approved/simple/demo-pkg/', {
      headers: { 'if-none-match': plain.headers.etag! },
    });
    assert.equal(again.status, 304);
  });
});

describe('a new generation without a restart', () => {
  it('a publish is served from the next request on; the old page’s ETag no longer matches', async () => {
    const before = await raw(port, '/incoming/simple/');
    assert.doesNotMatch(before.text, /late-arrival/);
    await publishWheels(store, 'incoming', [{ name: 'late-arrival', version: '0.1' }], work.dir);
    const after = await raw(port, '/incoming/simple/', {
      headers: { 'if-none-match': before.headers.etag! },
    });
    assert.equal(after.status, 200);
    assert.match(after.text, /late-arrival/);
    assert.notEqual(after.headers.etag, before.headers.etag);
    const project = await raw(port, '/incoming/simple/late-arrival/');
    assert.equal(project.status, 200);
  });
});

describe('methods', () => {
  it('PUT and DELETE are 405 with Allow', async () => {
    const put = await raw(port, '/approved/simple/', { method: 'PUT', body: 'x' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'GET, HEAD');
    const del = await raw(port, '/approved/', { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.headers.allow, 'GET, HEAD, POST');
  });
});

// Keeps the fixture honest: the wheel the page links is the one the bundle carried.
describe('fixture', () => {
  it('the served METADATA is the generated one', async () => {
    const built = await buildWheel({ name: 'dep-one', version: '1.2' }, work.dir);
    const served = await raw(port, '/approved/simple/dep-one/', {
      headers: { accept: PIP_ACCEPT },
    });
    assert.equal(JSON.parse(served.text).files[0].hashes.sha256, built.sha256);
    assert.equal(metadataText({ name: 'dep-one', version: '1.2' }).length > 0, true);
  });
});
