// The pure parts of `ferry serve`: negotiation, ranges, request paths, the multipart reader,
// the page cache (one render and one compression per page per generation).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { etagMatches, notModified, parseRange } from '../../src/server/http/conditional.js';
import { parseListen } from '../../src/server/http/listen.js';
import {
  type FormError,
  multipartBoundary,
  readUploadForm,
} from '../../src/server/http/multipart.js';
import {
  formatOverride,
  negotiateEncoding,
  negotiateSimple,
  SIMPLE_HTML,
  SIMPLE_JSON,
  TEXT_HTML,
} from '../../src/server/http/negotiate.js';
import { PageCache } from '../../src/server/http/page-cache.js';
import { parseRequestPath } from '../../src/server/http/request-path.js';
import { esc } from '../../src/server/pages/html.js';
import { sha256, uploadForm } from './serve-fixture.js';

describe('negotiateSimple (PEP 691)', () => {
  const table: [string | undefined, string | undefined][] = [
    [undefined, TEXT_HTML],
    ['', TEXT_HTML],
    ['*/*', TEXT_HTML],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', TEXT_HTML],
    [
      'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01',
      SIMPLE_JSON,
    ],
    ['application/vnd.pypi.simple.v1+html', SIMPLE_HTML],
    ['application/vnd.pypi.simple.latest+json', SIMPLE_JSON],
    ['application/vnd.pypi.simple.v1+json;q=0, */*;q=0.1', TEXT_HTML],
    ['application/*', SIMPLE_HTML],
    ['text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.6', SIMPLE_JSON],
    ['image/png', undefined],
    ['text/html;q=0', undefined],
  ];
  for (const [accept, expected] of table) {
    it(`${JSON.stringify(accept)} → ${expected}`, () => {
      assert.equal(negotiateSimple(accept), expected);
    });
  }

  it('?format= takes the short words and the full types', () => {
    assert.equal(formatOverride('json'), SIMPLE_JSON);
    assert.equal(formatOverride('HTML'), SIMPLE_HTML);
    assert.equal(formatOverride('text/html'), TEXT_HTML);
    assert.equal(formatOverride('application/vnd.pypi.simple.latest+json'), SIMPLE_JSON);
    assert.equal(formatOverride('xml'), undefined);
  });
});

describe('negotiateEncoding', () => {
  it('br over gzip at equal q; q=0 refuses; identity when neither', () => {
    assert.equal(negotiateEncoding(undefined), 'identity');
    assert.equal(negotiateEncoding('gzip, deflate'), 'gzip');
    assert.equal(negotiateEncoding('gzip, deflate, br'), 'br');
    assert.equal(negotiateEncoding('br;q=0, gzip'), 'gzip');
    assert.equal(negotiateEncoding('br;q=0.5, gzip'), 'gzip');
    assert.equal(negotiateEncoding('*'), 'br');
    assert.equal(negotiateEncoding('identity'), 'identity');
  });
});

describe('parseRange and validators (RFC 9110)', () => {
  it('one range is partial; a suffix; an open end; past the end is unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-200', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-1000', 100), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=50-', 100), { kind: 'partial', start: 50, end: 99 });
    assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
  });

  it('several ranges, other units and nonsense get the whole file', () => {
    for (const header of ['bytes=0-1,5-6', 'items=0-1', 'bytes=9-3', 'bytes=x-y', undefined]) {
      assert.deepEqual(parseRange(header, 100), { kind: 'full' }, String(header));
    }
  });

  it('If-None-Match lists, weak tags and *', () => {
    assert.ok(etagMatches('"a", "b"', '"b"'));
    assert.ok(etagMatches('W/"b"', '"b"'));
    assert.ok(etagMatches('*', '"b"'));
    assert.ok(!etagMatches('"a"', '"b"'));
    const modified = new Date('2026-01-01T00:00:00.500Z');
    assert.ok(
      notModified({ 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' }, '"x"', modified),
    );
    assert.ok(
      !notModified(
        { 'if-none-match': '"y"', 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' },
        '"x"',
        modified,
      ),
      'If-None-Match decides alone',
    );
  });
});

describe('parseRequestPath', () => {
  it('splits and decodes; the trailing slash is an empty last segment', () => {
    const p = parseRequestPath('/approved/simple/foo%2Dbar/?format=json');
    assert.ok(p.ok);
    assert.deepEqual(p.segments, ['approved', 'simple', 'foo-bar', '']);
    assert.equal(p.query.get('format'), 'json');
    const root = parseRequestPath('/');
    assert.ok(root.ok);
    assert.deepEqual(root.segments, ['']);
  });

  it('refuses dot segments, encoded separators, NUL, bad encoding, empty segments, non-paths', () => {
    for (const target of [
      '/a/../b',
      '/a/%2e%2E/b',
      '/a/./b',
      '/a%2fb',
      '/a%5Cb',
      '/a\\b',
      '/a%00b',
      '/a%0ab',
      '/a/%c0%ae/',
      '//a',
      'http://elsewhere/a',
      '*',
      undefined,
    ]) {
      assert.equal(parseRequestPath(target).ok, false, String(target));
    }
  });
});

describe('parseListen', () => {
  it('HOST:PORT, [v6]:PORT, :PORT and PORT; nonsense is a usage error', () => {
    assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListen(':9000'), { host: '0.0.0.0', port: 9000 });
    assert.deepEqual(parseListen('9000'), { host: '127.0.0.1', port: 9000 });
    assert.throws(() => parseListen('localhost'), { code: 'ERR_FERRY_USAGE' });
    assert.throws(() => parseListen('1.2.3.4:70000'), { code: 'ERR_FERRY_USAGE' });
  });
});

describe('readUploadForm', () => {
  const limits = (tmpDir: string, maxFileBytes = 1 << 20) => ({
    maxFileBytes,
    maxFieldBytes: 4096,
    tmpDir,
    fileField: 'content',
  });

  async function* split(body: Buffer, size: number) {
    for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
  }

  it('reads fields and the file whatever the chunking, a boundary split across chunks included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-form-'));
    try {
      // The file holds text that looks like a delimiter without being one.
      const data = Buffer.from(`abc\r\n--not-the-boundary\r\n${'x'.repeat(3000)}\r\n-`);
      const form = uploadForm(
        { name: 'demo', ':action': 'file_upload' },
        { filename: 'demo-1.0.tar.gz', data },
        'BOUNDARY',
      );
      for (const size of [1, 7, 64, form.body.length]) {
        const sub = await mkdtemp(join(dir, 'c'));
        const result = await readUploadForm(split(form.body, size), 'BOUNDARY', limits(sub));
        assert.equal(result.fields.get('name')?.[0], 'demo', `chunk ${size}`);
        assert.equal(result.fields.get(':action')?.[0], 'file_upload');
        assert.equal(result.file?.filename, 'demo-1.0.tar.gz');
        assert.equal(result.file?.sha256, sha256(data), `chunk ${size}`);
        assert.deepEqual(await readFile(result.file!.path), data);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('413 past the file cap, 413 past the field cap, 400 for a truncated body or a second file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-form-'));
    try {
      const big = uploadForm({}, { filename: 'a.whl', data: Buffer.alloc(5000) }, 'B');
      await assert.rejects(
        readUploadForm(split(big.body, 100), 'B', limits(await mkdtemp(join(dir, 'a')), 1000)),
        (e: FormError) => e.status === 413,
      );
      const fields = uploadForm({ description: 'y'.repeat(5000) }, undefined, 'B');
      await assert.rejects(
        readUploadForm(split(fields.body, 100), 'B', limits(await mkdtemp(join(dir, 'b')))),
        (e: FormError) => e.status === 413,
      );
      const cut = big.body.subarray(0, big.body.length - 10);
      await assert.rejects(
        readUploadForm(split(cut, 100), 'B', limits(await mkdtemp(join(dir, 'c')))),
        (e: FormError) => e.status === 400,
      );
      const two = Buffer.concat([
        uploadForm({}, { filename: 'a.whl', data: Buffer.from('1') }, 'B').body.subarray(
          0,
          -'--B--\r\n'.length,
        ),
        uploadForm({}, { filename: 'b.whl', data: Buffer.from('2') }, 'B').body,
      ]);
      await assert.rejects(
        readUploadForm(split(two, 100), 'B', limits(await mkdtemp(join(dir, 'd')))),
        (e: FormError) => e.status === 400 && /more than one/.test(e.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the boundary comes from the Content-Type, quoted or not', () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary=abc'), 'abc');
    assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(multipartBoundary('application/json'), undefined);
    assert.equal(multipartBoundary(undefined), undefined);
  });
});

describe('PageCache', () => {
  it('loads a page once per generation, and compresses it once per encoding', async () => {
    const cache = new PageCache();
    let loads = 0;
    const load = async () => {
      loads++;
      return { body: Buffer.from('<a>page</a>'.repeat(100)), lastModified: new Date(0) };
    };
    const a = await cache.get(1, 'p', load);
    const b = await cache.get(1, 'p', load);
    assert.equal(loads, 1);
    assert.equal(a, b);
    assert.equal(a!.encoded('gzip'), b!.encoded('gzip'), 'the same gzip buffer, not made again');
    await cache.get(2, 'p', load);
    assert.equal(loads, 2, 'a new generation renders again');
    assert.equal(cache.size, 1, 'the older generation’s pages are dropped');
    await cache.get(1, 'p', load);
    assert.equal(loads, 3, 'a request still on the older generation is served, not cached');
    await cache.get(2, 'p', load);
    assert.equal(loads, 3);
  });
});

describe('esc', () => {
  it('escapes markup in text and attributes', () => {
    assert.equal(
      esc(`<script>"x" & 'y'</script>`),
      '&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;',
    );
  });
});
