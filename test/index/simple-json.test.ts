import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { parseSimpleJson, parseSimpleJsonRoot } from '../../src/index/simple-json.js';

const PAGE = 'https://user:secret@index.example/simple/demo/';
const meta = { 'api-version': '1.1' };
const file = (extra: Record<string, unknown> = {}) => ({
  filename: 'demo-1.0-py3-none-any.whl',
  url: '../../files/demo-1.0-py3-none-any.whl',
  hashes: { sha256: 'AB' },
  ...extra,
});
const page = (files: unknown[]) => JSON.stringify({ meta, name: 'demo', files });

describe('parseSimpleJson', () => {
  it('maps PEP 691 fields and resolves relative URLs', () => {
    const { links, dropped } = parseSimpleJson(
      page([
        file({
          'requires-python': '>=3.8',
          'core-metadata': { sha256: 'CD' },
          size: 12,
          'upload-time': '2024-01-01T00:00:00Z',
        }),
      ]),
      PAGE,
    );
    assert.equal(dropped.length, 0);
    assert.deepEqual(links[0], {
      filename: 'demo-1.0-py3-none-any.whl',
      url: 'https://user:secret@index.example/files/demo-1.0-py3-none-any.whl',
      hashes: { sha256: 'ab' },
      requiresPython: '>=3.8',
      yanked: false,
      coreMetadata: { sha256: 'cd' },
      size: 12,
      uploadTime: '2024-01-01T00:00:00Z',
      text: 'demo-1.0-py3-none-any.whl',
    });
  });

  const yankedCases: [unknown, false | string][] = [
    [undefined, false],
    [false, false],
    [true, ''],
    ['', false],
    ['broken', 'broken'],
  ];
  for (const [value, expected] of yankedCases) {
    it(`yanked ${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => {
      const { links } = parseSimpleJson(
        page([file(value === undefined ? {} : { yanked: value })]),
        PAGE,
      );
      assert.equal(links[0]!.yanked, expected);
    });
  }

  it('dist-info-metadata true is the older spelling of core-metadata', () => {
    const { links } = parseSimpleJson(page([file({ 'dist-info-metadata': true })]), PAGE);
    assert.deepEqual(links[0]!.coreMetadata, {});
  });

  it('drops one malformed entry, keeps the rest', () => {
    const { links, dropped } = parseSimpleJson(
      page([file(), { filename: 'x-1.0.tar.gz' }, file({ hashes: 'nope' })]),
      PAGE,
    );
    assert.equal(links.length, 1);
    assert.deepEqual(
      dropped.map((d) => d.index),
      [1, 2],
    );
  });

  for (const [name, body] of [
    ['not JSON', '<html>'],
    ['no files', JSON.stringify({ meta, name: 'demo' })],
    [
      'unknown major version',
      JSON.stringify({ meta: { 'api-version': '2.0' }, name: 'demo', files: [] }),
    ],
  ] as const) {
    it(`malformed page (${name}) → ERR_FERRY_MALFORMED_PAGE naming the redacted URL`, () => {
      assert.throws(
        () => parseSimpleJson(body, PAGE),
        (error: unknown) =>
          error instanceof FerryError &&
          error.code === 'ERR_FERRY_MALFORMED_PAGE' &&
          error.message.includes('index.example/simple/demo/') &&
          !error.message.includes('secret'),
      );
    });
  }

  it('reads project names from a root page', () => {
    const names = parseSimpleJsonRoot(
      JSON.stringify({ meta, projects: [{ name: 'a' }, { nope: 1 }, { name: 'B' }] }),
      PAGE,
    );
    assert.deepEqual(names, ['a', 'B']);
  });
});
