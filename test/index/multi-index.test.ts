import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { FerryEvent } from '../../src/core/events.js';
import { IndexClient } from '../../src/index/client.js';
import { type IndexConfig, settleIndexes } from '../../src/index/index-config.js';
import type { IndexSettings } from '../../src/index/pip-config.js';
import { buildWheel, startLocalIndex } from '../helpers/local-index.js';

const fast = { retries: 1, backoffMs: 5, timeoutMs: 3000 };
const pip = (indexUrl: string, extraIndexUrls: string[] = [], findLinks: string[] = []) =>
  ({ indexUrl, extraIndexUrls, findLinks, noIndex: false, sources: [] }) satisfies IndexSettings;
const noFile = { readFile: async () => undefined };
const names = (files: readonly { filename: string }[]) => files.map((f) => f.filename);

describe('several indexes', () => {
  it('first-index: a name found on an earlier index is never taken (or asked) from a later one', async () => {
    const internal = await startLocalIndex([{ name: 'corp-utils', version: '1.0' }]);
    const attacker = await startLocalIndex([
      { name: 'corp-utils', version: '99.0' },
      { name: 'numpy', version: '2.0' },
    ]);
    try {
      const client = new IndexClient({
        settings: await settleIndexes({ pip: pip(internal.url, [attacker.url]), io: noFile }),
        http: fast,
      });
      assert.deepEqual(names((await client.getProject('corp-utils'))!.files), [
        'corp_utils-1.0-py3-none-any.whl',
      ]);
      assert.ok(!attacker.requests.includes('/simple/corp-utils/'));
      // A name the first index does not have comes from the next.
      const numpy = (await client.getProject('numpy'))!;
      assert.deepEqual(names(numpy.files), ['numpy-2.0-py3-none-any.whl']);
      assert.equal(numpy.files[0]!.indexName, 'extra-1');
    } finally {
      await internal.close();
      await attacker.close();
    }
  });

  it('pins: a pinned project only from its index; an explicit index only for pinned projects', async () => {
    const main = await startLocalIndex([
      { name: 'paddlepaddle-gpu', version: '2.6.2' },
      { name: 'numpy', version: '1.26.0' },
    ]);
    const paddle = await startLocalIndex([
      { name: 'paddlepaddle-gpu', version: '2.6.2.post112' },
      { name: 'numpy', version: '1.0' },
    ]);
    try {
      const config = await settleIndexes({
        pip: pip(main.url),
        cliExplicitIndexes: [`paddle-cu112=${paddle.url}`],
        cliPins: ['PaddlePaddle_GPU=paddle-cu112'],
        io: noFile,
      });
      const client = new IndexClient({ settings: config, http: fast });
      const gpu = (await client.getProject('paddlepaddle-gpu'))!;
      assert.deepEqual(names(gpu.files), ['paddlepaddle_gpu-2.6.2.post112-py3-none-any.whl']);
      assert.equal(gpu.files[0]!.indexName, 'paddle-cu112');
      assert.ok(!main.requests.includes('/simple/paddlepaddle-gpu/'));
      assert.deepEqual(names((await client.getProject('numpy'))!.files), [
        'numpy-1.26.0-py3-none-any.whl',
      ]);
      assert.ok(!paddle.requests.includes('/simple/numpy/'));
      assert.match(client.searched().join('\n'), /paddle-cu112: .*explicit/);
    } finally {
      await main.close();
      await paddle.close();
    }
  });

  it('unsafe-first-match / unsafe-best-match: every index, a version only from the first that has it', async () => {
    const a = await startLocalIndex([
      { name: 'lib', version: '1.0' },
      { name: 'lib', version: '2.0' },
    ]);
    const b = await startLocalIndex([
      { name: 'lib', version: '2.0', tag: 'py3-none-manylinux_2_28_x86_64' },
      { name: 'lib', version: '3.0' },
    ]);
    try {
      for (const strategy of ['unsafe-first-match', 'unsafe-best-match']) {
        const client = new IndexClient({
          settings: await settleIndexes({ pip: pip(a.url, [b.url]), strategy, io: noFile }),
          http: fast,
        });
        const page = (await client.getProject('lib'))!;
        assert.equal(page.strategy, strategy);
        assert.deepEqual(
          page.files.map((f) => [f.filename, f.indexRank]),
          [
            ['lib-1.0-py3-none-any.whl', 0],
            ['lib-2.0-py3-none-any.whl', 0],
            ['lib-3.0-py3-none-any.whl', 1],
          ],
        );
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('find-links are merged in under every strategy, pinned projects too', async () => {
    const a = await startLocalIndex([{ name: 'lib', version: '1.0' }]);
    const links = mkdtempSync(join(tmpdir(), 'ferry-links-'));
    await buildWheel({ name: 'lib', version: '9.0' }, links);
    try {
      const client = new IndexClient({
        settings: await settleIndexes({
          pip: pip('', [], [pathToFileURL(links).href]),
          cliIndexes: [`mine=${a.url}`],
          cliPins: ['lib=mine'],
          io: noFile,
        }),
        http: fast,
      });
      const page = (await client.getProject('lib'))!;
      assert.deepEqual(names(page.files), ['lib-1.0-py3-none-any.whl', 'lib-9.0-py3-none-any.whl']);
      assert.equal(page.files[1]!.indexName, undefined);
    } finally {
      await a.close();
    }
  });
});

describe('--mirror fallback', () => {
  it('an unreachable mirror hands over to the next, with one warning naming both', async () => {
    const down = await startLocalIndex([{ name: 'demo', version: '1.0' }]);
    const up = await startLocalIndex([
      { name: 'demo', version: '1.0' },
      { name: 'other', version: '1.0' },
    ]);
    try {
      down.fault('/simple/demo/', { status: 503 });
      down.fault('/simple/other/', { status: 503 });
      const events: FerryEvent[] = [];
      const config: IndexConfig = await settleIndexes({
        pip: pip('https://unused.invalid/simple', []),
        mirror: `${down.url},${up.url}`,
        io: noFile,
      });
      const client = new IndexClient({
        settings: config,
        http: fast,
        events: (e) => events.push(e),
      });
      const page = (await client.getProject('demo'))!;
      assert.equal(page.files[0]!.index, up.url);
      await client.getProject('other');
      const warnings = events.filter(
        (e) => e.type === 'warning' && e.code === 'ERR_FERRY_MIRROR_FALLBACK',
      );
      assert.equal(warnings.length, 1);
      assert.ok(
        warnings[0]!.type === 'warning' &&
          warnings[0]!.message.includes(down.url) &&
          warnings[0]!.message.includes(up.url),
      );
      // Once switched, the failed mirror is not asked again.
      assert.ok(!down.requests.includes('/simple/other/'));
      // A 404 is an answer, not a failure: no fallback.
      assert.equal(await client.getProject('missing'), undefined);
    } finally {
      await down.close();
      await up.close();
    }
  });

  it('without fallbacks an unreachable index is still an error', async () => {
    const down = await startLocalIndex([{ name: 'demo', version: '1.0' }]);
    try {
      down.fault('/simple/demo/', { status: 500 });
      const client = new IndexClient({ settings: pip(down.url), http: fast });
      await assert.rejects(
        client.getProject('demo'),
        /ERR_FERRY_INDEX_UNREACHABLE|attempts? failed/,
      );
    } finally {
      await down.close();
    }
  });
});

describe('capability probing', () => {
  it('broken PEP 691 JSON pages: the index is asked for HTML from then on', async () => {
    const index = await startLocalIndex([
      { name: 'demo', version: '1.0' },
      { name: 'other', version: '1.0' },
    ]);
    try {
      for (const path of ['/simple/demo/', '/simple/other/']) {
        index.fault(path, {
          status: 200,
          contentType: 'application/vnd.pypi.simple.v1+json',
          body: '{"meta": {"api-version": "1.0"}, "name": 1}',
          whenAccept: 'application/vnd.pypi.simple.v1+json',
        });
      }
      const events: FerryEvent[] = [];
      const client = new IndexClient({
        settings: pip(index.url),
        http: fast,
        events: (e) => events.push(e),
      });
      assert.deepEqual(names((await client.getProject('demo'))!.files), [
        'demo-1.0-py3-none-any.whl',
      ]);
      assert.deepEqual(names((await client.getProject('other'))!.files), [
        'other-1.0-py3-none-any.whl',
      ]);
      const otherAccepts = index.requests
        .map((p, i) => [p, String(index.headers[i]!.accept)] as const)
        .filter(([p]) => p === '/simple/other/');
      assert.equal(otherAccepts.length, 1);
      assert.ok(!otherAccepts[0]![1].includes('json'));
      assert.equal(events.filter((e) => e.type === 'warning').length, 1);
    } finally {
      await index.close();
    }
  });
});

describe('--exclude-newer', () => {
  it('drops files uploaded after the date; warns once per index without upload times', async () => {
    const dists = [
      { name: 'lib', version: '1.0', uploadTime: '2024-01-10T10:00:00.123456Z' },
      { name: 'lib', version: '2.0', uploadTime: '2024-06-01T23:59:59Z' },
      { name: 'lib', version: '3.0', uploadTime: '2024-06-02T00:00:00Z' },
      { name: 'other', version: '1.0', uploadTime: '2030-01-01T00:00:00Z' },
    ];
    const json = await startLocalIndex(dists, { html: false });
    const html = await startLocalIndex(
      [
        { name: 'lib2', version: '5.0' },
        { name: 'lib3', version: '5.0' },
      ],
      { json: false },
    );
    try {
      const events: FerryEvent[] = [];
      const client = new IndexClient({
        settings: await settleIndexes({
          pip: pip(json.url, [html.url]),
          excludeNewer: '2024-06-01',
          io: noFile,
        }),
        http: fast,
        events: (e) => events.push(e),
      });
      assert.deepEqual(names((await client.getProject('lib'))!.files), [
        'lib-1.0-py3-none-any.whl',
        'lib-2.0-py3-none-any.whl',
      ]);
      // Every file too new: the project exists, with no files left (first-index still holds).
      assert.deepEqual((await client.getProject('other'))!.files, []);
      assert.deepEqual(names((await client.getProject('lib2'))!.files), [
        'lib2-5.0-py3-none-any.whl',
      ]);
      assert.deepEqual(names((await client.getProject('lib3'))!.files), [
        'lib3-5.0-py3-none-any.whl',
      ]);
      const warnings = events.filter(
        (e) => e.type === 'warning' && e.code === 'ERR_FERRY_EXCLUDE_NEWER_UNAVAILABLE',
      );
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0]!.type === 'warning' && warnings[0]!.message.includes(html.url));
    } finally {
      await json.close();
      await html.close();
    }
  });
});
