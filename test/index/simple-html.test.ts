import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseMetadataAttribute,
  parseSimpleHtml,
  unescapeHtml,
} from '../../src/index/simple-html.js';

const PAGE = 'https://index.example/simple/demo/';

describe('parseSimpleHtml', () => {
  const cases: { name: string; html: string; expect: Record<string, unknown>[] }[] = [
    {
      name: 'relative href with a sha256 fragment',
      html: '<a href="../../files/demo-1.0-py3-none-any.whl#sha256=ABCDEF">demo-1.0-py3-none-any.whl</a>',
      expect: [
        {
          filename: 'demo-1.0-py3-none-any.whl',
          url: 'https://index.example/files/demo-1.0-py3-none-any.whl',
          hashes: { sha256: 'abcdef' },
          yanked: false,
          coreMetadata: false,
        },
      ],
    },
    {
      name: 'requires-python is HTML-unescaped',
      html: '<a href="demo-1.0.tar.gz" data-requires-python="&gt;=3.8,&lt;4">x</a>',
      expect: [{ url: `${PAGE}demo-1.0.tar.gz`, requiresPython: '>=3.8,<4' }],
    },
    {
      name: 'yanked with and without a reason',
      html: "<a href='a-1.0.tar.gz' data-yanked>a</a><a href='a-2.0.tar.gz' data-yanked=\"broken &amp; bad\">a</a>",
      expect: [{ yanked: '' }, { yanked: 'broken & bad' }],
    },
    {
      name: 'PEP 714 data-core-metadata wins over data-dist-info-metadata',
      html: '<a href="a-1.0-py3-none-any.whl" data-core-metadata="sha256=AA" data-dist-info-metadata="sha256=bb">a</a>',
      expect: [{ coreMetadata: { sha256: 'aa' } }],
    },
    {
      name: 'data-dist-info-metadata="true" alone',
      html: '<a href="a-1.0-py3-none-any.whl" data-dist-info-metadata="true">a</a>',
      expect: [{ coreMetadata: {} }],
    },
    {
      name: '<base href> changes how links resolve; upper-case tags; unquoted attributes',
      html: '<HTML><HEAD><BASE HREF="https://files.example/pkgs/"></HEAD><A HREF=a-1.0.tar.gz>a</A></HTML>',
      expect: [{ url: 'https://files.example/pkgs/a-1.0.tar.gz' }],
    },
    {
      name: 'percent-encoded filename is decoded; anchors in comments and without href are ignored',
      html: '<!-- <a href="x-1.tar.gz">x</a> --><a name="top">t</a><a href="torch-2.1.2%2Bcu118-cp311-cp311-linux_x86_64.whl">t</a>',
      expect: [{ filename: 'torch-2.1.2+cu118-cp311-cp311-linux_x86_64.whl' }],
    },
    {
      name: 'unknown hash algorithm in the fragment is ignored',
      html: '<a href="a-1.0.tar.gz#blake3=00ff">a</a>',
      expect: [{ hashes: {}, url: `${PAGE}a-1.0.tar.gz` }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const links = parseSimpleHtml(c.html, PAGE);
      assert.equal(links.length, c.expect.length);
      for (const [i, expected] of c.expect.entries()) {
        for (const [key, value] of Object.entries(expected)) {
          assert.deepEqual(
            (links[i] as unknown as Record<string, unknown>)[key],
            value,
            `${key} of link ${i}`,
          );
        }
      }
    });
  }
});

describe('HTML helpers', () => {
  it('unescapes named and numeric entities', () => {
    assert.equal(unescapeHtml('&lt;&#62;&#x3D;&amp;&quot;&unknown;'), '<>=&"&unknown;');
  });
  it('parses metadata attribute values', () => {
    assert.equal(parseMetadataAttribute(undefined), false);
    assert.equal(parseMetadataAttribute('false'), false);
    assert.deepEqual(parseMetadataAttribute('true'), {});
    assert.deepEqual(parseMetadataAttribute('sha256=AbC'), { sha256: 'abc' });
  });
});
