import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FerryError } from '../../src/core/errors.js';
import type { FerryEvent } from '../../src/core/events.js';
import { cachePath, IndexClient, metadataCachePath } from '../../src/index/client.js';
import { localFileSha256 } from '../../src/index/http.js';
import { indexConfigFromPip } from '../../src/index/index-config.js';
import type { IndexSettings } from '../../src/index/pip-config.js';
import { buildWheel, metadataText, startLocalIndex } from '../helpers/local-index.js';

const settings = (over: Partial<IndexSettings>): IndexSettings => ({
  indexUrl: '',
  extraIndexUrls: [],
  findLinks: [],
  noIndex: false,
  sources: [],
  ...over,
});
const fast = { retries: 1, backoffMs: 5, timeoutMs: 3000 };

const DISTS = [
  { name: 'Demo.Pkg', version: '1.0', requiresPython: '>=3.8', requiresDist: ['dep>=2'] },
  { name: 'demo-pkg', version: '1.1', yanked: 'broken build' },
  { name: 'dep', version: '2.0', sdistOnly: true },
];

for (const mode of ['json', 'html'] as const) {
  describe(`IndexClient over a local index (${mode})`, () => {
    it('reads a project page with hashes, requires-python, yanked', async () => {
      const index = await startLocalIndex(DISTS, { json: mode === 'json', html: mode === 'html' });
      try {
        const client = new IndexClient({ settings: settings({ indexUrl: index.url }), http: fast });
        const page = await client.getProject('DEMO_pkg');
        assert.ok(page, 'page');
        assert.equal(page.name, 'demo-pkg');
        assert.deepEqual(
          page.files.map((f) => [f.filename, f.requiresPython, f.yanked]),
          [
            ['Demo_Pkg-1.0-py3-none-any.whl', '>=3.8', false],
            ['demo_pkg-1.1-py3-none-any.whl', undefined, 'broken build'],
          ],
        );
        const first = page.files[0]!;
        assert.equal(first.hashes.sha256, index.files.get(first.filename)!.sha256);
        assert.equal(
          first.url,
          `${index.url.replace('/simple', '')}/files/Demo_Pkg-1.0-py3-none-any.whl`,
        );
        assert.equal(first.index, index.url);
        assert.equal(first.coreMetadata, false);
        assert.equal(await client.getProject('nope'), undefined);
        // The page is fetched once per run.
        await client.getProject('demo-pkg');
        assert.equal(index.requests.filter((p) => p === '/simple/demo-pkg/').length, 1);
        assert.match(String(index.headers[0]!.accept), /application\/vnd\.pypi\.simple\.v1\+json/);
      } finally {
        await index.close();
      }
    });

    it('metadata via PEP 658 .metadata files, without downloading the wheel', async () => {
      const index = await startLocalIndex(DISTS, {
        json: mode === 'json',
        html: mode === 'html',
        metadataFiles: true,
      });
      try {
        const client = new IndexClient({ settings: settings({ indexUrl: index.url }), http: fast });
        const file = (await client.getProject('demo-pkg'))!.files[0]!;
        assert.ok(
          file.coreMetadata !== false && file.coreMetadata.sha256,
          'file.coreMetadata !== false && file.coreMetadata.sha256',
        );
        assert.equal(await client.getMetadata(file), metadataText(DISTS[0]!));
        assert.ok(
          index.requests.includes('/files/Demo_Pkg-1.0-py3-none-any.whl.metadata'),
          `index.requests.includes('/files/Demo_Pkg-1.0-py3-none-any.whl.metadata')`,
        );
        assert.ok(
          !index.requests.includes('/files/Demo_Pkg-1.0-py3-none-any.whl'),
          `!index.requests.includes('/files/Demo_Pkg-1.0-py3-none-any.whl')`,
        );
      } finally {
        await index.close();
      }
    });
  });
}

describe('IndexClient metadata fallbacks', () => {
  it('reads METADATA from the wheel (Range, or the whole wheel into the cache) and caches it', async () => {
    for (const range of [true, false]) {
      const index = await startLocalIndex(DISTS, { range });
      const cacheDir = mkdtempSync(join(tmpdir(), 'ferry-cache-'));
      try {
        const client = new IndexClient({
          settings: settings({ indexUrl: index.url }),
          cacheDir,
          http: fast,
        });
        const file = (await client.getProject('demo-pkg'))!.files[0]!;
        assert.equal(await client.getMetadata(file), metadataText(DISTS[0]!));
        // The cache is written off the answer's path: settled() waits for it.
        await client.settled();
        assert.equal(
          readFileSync(metadataCachePath(cacheDir, file.hashes.sha256!)!, 'utf8'),
          metadataText(DISTS[0]!),
        );
        // Without Range support the wheel was downloaded, and kept in the content cache.
        assert.equal(existsSync(cachePath(cacheDir, file.hashes.sha256!)!), !range);
        // A second client (a warm run) fetches no metadata at all.
        const again = new IndexClient({
          settings: settings({ indexUrl: index.url }),
          cacheDir,
          http: fast,
        });
        const before = index.requests.length;
        assert.equal(await again.getMetadata(file), metadataText(DISTS[0]!));
        assert.equal(index.requests.length, before);
      } finally {
        await index.close();
      }
    }
  });

  it('a .metadata 404 or hash mismatch falls back quietly to the wheel', async () => {
    const index = await startLocalIndex(DISTS, { metadataFiles: true });
    try {
      index.fault('/files/Demo_Pkg-1.0-py3-none-any.whl.metadata', { status: 404 });
      index.fault('/files/demo_pkg-1.1-py3-none-any.whl.metadata', {
        status: 200,
        body: 'Name: evil\n',
      });
      const events: FerryEvent[] = [];
      const client = new IndexClient({
        settings: settings({ indexUrl: index.url }),
        http: fast,
        events: (e) => events.push(e),
      });
      const [one, two] = (await client.getProject('demo-pkg'))!.files;
      assert.match(await client.getMetadata(one!), /^Version: 1\.0$/m);
      assert.match(await client.getMetadata(two!), /^Version: 1\.1$/m);
      assert.ok(
        index.requests.includes('/files/demo_pkg-1.1-py3-none-any.whl'),
        `index.requests.includes('/files/demo_pkg-1.1-py3-none-any.whl')`,
      );
      assert.deepEqual(
        events.filter((e) => e.type === 'warning'),
        [],
      );
    } finally {
      await index.close();
    }
  });

  it('an sdist without a metadata file → ERR_FERRY_NO_METADATA', async () => {
    const index = await startLocalIndex(DISTS);
    try {
      const client = new IndexClient({ settings: settings({ indexUrl: index.url }), http: fast });
      const file = (await client.getProject('dep'))!.files[0]!;
      assert.equal(file.filename, 'dep-2.0.tar.gz');
      await assert.rejects(
        client.getMetadata(file),
        (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_NO_METADATA',
      );
    } finally {
      await index.close();
    }
  });
});

describe('IndexClient sources', () => {
  it('merges indexes and a find-links directory; local files are listed by name, their sha256 computed on demand', async () => {
    const a = await startLocalIndex([{ name: 'demo', version: '1.0' }]);
    const b = await startLocalIndex([
      { name: 'demo', version: '2.0' },
      { name: 'other', version: '1.0' },
    ]);
    const links = mkdtempSync(join(tmpdir(), 'ferry-links-'));
    const built = await buildWheel({ name: 'demo', version: '3.0' }, links);
    await buildWheel({ name: 'unrelated', version: '1.0' }, links);
    try {
      const client = new IndexClient({
        settings: settings({
          indexUrl: a.url,
          extraIndexUrls: [b.url],
          findLinks: [pathToFileURL(links).href],
        }),
        http: fast,
      });
      // first-index (the default): "demo" is on the first index, so the second is not asked;
      // find-links are always merged in.
      const page = await client.getProject('demo');
      assert.deepEqual(
        page!.files.map((f) => [f.filename, f.index]),
        [
          ['demo-1.0-py3-none-any.whl', a.url],
          ['demo-3.0-py3-none-any.whl', pathToFileURL(links).href],
        ],
      );
      assert.ok(!b.requests.includes('/simple/demo/'), 'the second index was asked');
      // unsafe-best-match merges every index, as pip does.
      const merged = new IndexClient({
        settings: indexConfigFromPip(
          settings({
            indexUrl: a.url,
            extraIndexUrls: [b.url],
            findLinks: [pathToFileURL(links).href],
          }),
          'unsafe-best-match',
        ),
        http: fast,
      });
      assert.deepEqual(
        (await merged.getProject('demo'))!.files.map((f) => [f.filename, f.index, f.indexRank]),
        [
          ['demo-1.0-py3-none-any.whl', a.url, 0],
          ['demo-2.0-py3-none-any.whl', b.url, 1],
          ['demo-3.0-py3-none-any.whl', pathToFileURL(links).href, 2],
        ],
      );
      const local = page!.files[1]!;
      // Listing the folder hashes nothing; the lock hashes the files it chooses.
      assert.equal(local.hashes.sha256, undefined);
      assert.equal(await localFileSha256(fileURLToPath(local.url)), built.sha256);
      assert.match(await client.getMetadata(local), /^Version: 3\.0$/m);
      // find-links alone knows "unrelated"; no index knows "missing".
      assert.equal((await client.getProject('unrelated'))!.files.length, 1);
      assert.equal(await client.getProject('missing'), undefined);
      assert.deepEqual(await client.suggestNames('unrelatd'), ['unrelated']);
      assert.deepEqual(await client.suggestNames('othr', { remote: true }), ['other']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('no-index uses only find-links', async () => {
    const a = await startLocalIndex([{ name: 'demo', version: '1.0' }]);
    try {
      const client = new IndexClient({
        settings: settings({ indexUrl: a.url, noIndex: true }),
        http: fast,
      });
      assert.equal(await client.getProject('demo'), undefined);
      assert.deepEqual(a.requests, []);
    } finally {
      await a.close();
    }
  });

  it('a malformed JSON entry is dropped with a warning naming the URL; a broken page is an error', async () => {
    const index = await startLocalIndex([
      { name: 'demo', version: '1.0' },
      { name: 'bad', version: '1.0' },
    ]);
    try {
      const good = JSON.stringify({
        meta: { 'api-version': '1.0' },
        name: 'demo',
        files: [
          {
            filename: 'demo-1.0-py3-none-any.whl',
            url: '/files/demo-1.0-py3-none-any.whl',
            hashes: {},
          },
          { filename: 'demo-0.9-py3-none-any.whl', hashes: {} },
          { filename: '..', url: '/x', hashes: {} },
        ],
      });
      const type = 'application/vnd.pypi.simple.v1+json';
      index.fault('/simple/demo/', { body: good, contentType: type });
      index.fault('/simple/bad/', { body: '{"meta": 1', contentType: type });
      const events: FerryEvent[] = [];
      const client = new IndexClient({
        settings: settings({ indexUrl: index.url }),
        http: fast,
        events: (e) => events.push(e),
      });
      const page = await client.getProject('demo');
      assert.deepEqual(
        page!.files.map((f) => f.filename),
        ['demo-1.0-py3-none-any.whl'],
      );
      const warnings = events.filter((e) => e.type === 'warning');
      assert.equal(warnings.length, 2);
      assert.ok(
        warnings.every((w) => w.type === 'warning' && w.message.includes(`${index.url}/demo/`)),
      );
      await assert.rejects(
        client.getProject('bad'),
        (e: unknown) =>
          e instanceof FerryError &&
          e.code === 'ERR_FERRY_MALFORMED_PAGE' &&
          e.message.includes(`${index.url}/bad/`),
      );
    } finally {
      await index.close();
    }
  });

  it('credentials: sent to the index and its files, never shown', async () => {
    const index = await startLocalIndex([{ name: 'demo', version: '1.0' }], {
      auth: { user: 'u', pass: 'secret' },
    });
    try {
      const withAuth = index.url.replace('http://', 'http://u:secret@');
      const events: FerryEvent[] = [];
      const client = new IndexClient({
        settings: settings({ indexUrl: withAuth }),
        http: fast,
        events: (e) => events.push(e),
      });
      const page = await client.getProject('demo');
      assert.match(await client.getMetadata(page!.files[0]!), /^Name: demo$/m);
      const shown = JSON.stringify({ page, events, searched: client.searched() });
      assert.ok(!shown.includes('secret'), shown);
      // Without credentials: a 401 error that does not leak anything either.
      index.fault('/simple/other/', { status: 401 });
      await assert.rejects(client.getProject('other'), (e: unknown) => {
        assert.ok(e instanceof FerryError, 'e instanceof FerryError');
        assert.equal(e.code, 'ERR_FERRY_HTTP_STATUS');
        assert.ok(!JSON.stringify({ m: e.message, h: e.hint, d: e.details }).includes('secret'));
        return true;
      });
    } finally {
      await index.close();
    }
  });

  it('an unreachable index is an error naming it, redacted', async () => {
    const client = new IndexClient({
      settings: settings({ indexUrl: 'http://me:secret@127.0.0.1:1/simple' }),
      http: { retries: 1, backoffMs: 1 },
    });
    await assert.rejects(client.getProject('demo'), (e: unknown) => {
      assert.ok(e instanceof FerryError, 'e instanceof FerryError');
      assert.equal(e.code, 'ERR_FERRY_INDEX_UNREACHABLE');
      assert.match(e.message, /127\.0\.0\.1:1\/simple\/demo\/: 2 attempts/);
      assert.ok(!e.message.includes('secret'), `!e.message.includes('secret')`);
      return true;
    });
  });
});
