import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimpleJson } from '../../src/index/simple-json.js';

// The PEP 691 parser checks each file entry with a hand-written test before (and instead of)
// zod; these hold that it accepts exactly what the schema accepts and maps it the same way.
const PAGE = 'https://index.example/simple/demo/';
const meta = { 'api-version': '1.1' };
const file = (extra: Record<string, unknown> = {}) => ({
  filename: 'demo-1.0-py3-none-any.whl',
  url: '../../files/demo-1.0-py3-none-any.whl',
  hashes: { sha256: 'ab' },
  ...extra,
});
const page = (files: unknown[]) => JSON.stringify({ meta, name: 'demo', files });

describe('PEP 691 pages: the quick entry check agrees with the schema', () => {
  const refused: [string, unknown][] = [
    ['an array', [file()]],
    ['null', null],
    ['an empty filename', file({ filename: '' })],
    ['an empty url', file({ url: '' })],
    ['hashes as a string', file({ hashes: 'nope' })],
    ['hashes as an array', file({ hashes: ['ab'] })],
    ['a hash value that is a number', file({ hashes: { sha256: 1 } })],
    ['requires-python as a number', file({ 'requires-python': 3 })],
    ['core-metadata as a string', file({ 'core-metadata': 'yes' })],
    ['core-metadata with a number', file({ 'core-metadata': { sha256: 1 } })],
    ['dist-info-metadata as null', file({ 'dist-info-metadata': null })],
    ['yanked as a number', file({ yanked: 0 })],
    ['a fractional size', file({ size: 1.5 })],
    ['a negative size', file({ size: -1 })],
    ['a size beyond 2^53', file({ size: 2 ** 60 })],
    ['upload-time as a number', file({ 'upload-time': 1 })],
  ];
  for (const [what, entry] of refused) {
    it(`drops an entry with ${what}, with the schema's reason`, () => {
      const { links, dropped } = parseSimpleJson(page([file(), entry]), PAGE);
      assert.equal(links.length, 1);
      assert.deepEqual(
        dropped.map((d) => d.index),
        [1],
      );
      assert.ok(dropped[0]!.reason.length > 0);
    });
  }

  it('keeps entries the schema accepts, mapped as before (fragment cut, hashes lower-cased)', () => {
    const { links, dropped } = parseSimpleJson(
      page([
        file({
          url: '../../files/demo-1.0-py3-none-any.whl#sha256=ab',
          hashes: { SHA256: 'AB' },
          'requires-python': null,
          'dist-info-metadata': { SHA256: 'CD' },
          yanked: 'broken',
          size: 0,
          'upload-time': '2024-01-01T00:00:00Z',
          extra: 'ignored',
        }),
        file({ 'core-metadata': true, yanked: false }),
        file({ 'core-metadata': false, yanked: '' }),
        file({ yanked: true, 'requires-python': ' >=3.8 ' }),
      ]),
      PAGE,
    );
    assert.equal(dropped.length, 0);
    assert.deepEqual(links[0], {
      filename: 'demo-1.0-py3-none-any.whl',
      url: 'https://index.example/files/demo-1.0-py3-none-any.whl',
      hashes: { sha256: 'ab' },
      yanked: 'broken',
      coreMetadata: { sha256: 'cd' },
      size: 0,
      uploadTime: '2024-01-01T00:00:00Z',
      text: 'demo-1.0-py3-none-any.whl',
    });
    assert.deepEqual(
      links.slice(1).map((l) => [l.coreMetadata, l.yanked, l.requiresPython]),
      [
        [{}, false, undefined],
        [false, false, undefined],
        [false, '', '>=3.8'],
      ],
    );
  });

  it('a page URL that is not a URL drops every entry, as the URL parser refuses the base', () => {
    const { links, dropped } = parseSimpleJson(
      page([file(), file({ url: 'https://files.example/demo-1.0-py3-none-any.whl' })]),
      'not a url',
    );
    assert.equal(links.length, 0);
    assert.deepEqual(
      dropped.map((d) => d.index),
      [0, 1],
    );
  });
});
