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

describe('parseSimpleHtml reads markup as html.parser (pip) does', () => {
  it('an unclosed <!-- hides the rest of the page', () => {
    const links = parseSimpleHtml(
      '<a href="a-1.0.tar.gz">a</a><!-- <a href="b-1.0.tar.gz">b</a>',
      PAGE,
    );
    assert.deepEqual(
      links.map((l) => l.filename),
      ['a-1.0.tar.gz'],
    );
  });
  it('an <a> without </a> is still a link; its text ends at the next <a>', () => {
    const links = parseSimpleHtml('<a href="a-1.0.tar.gz">a<br><a href="b-1.0.tar.gz">b', PAGE);
    assert.deepEqual(
      links.map((l) => [l.filename, l.text]),
      [
        ['a-1.0.tar.gz', 'a'],
        ['b-1.0.tar.gz', 'b'],
      ],
    );
  });
  it('a > inside a quoted attribute does not end the tag', () => {
    const [link] = parseSimpleHtml(
      '<a href="a-1.0.tar.gz" data-requires-python=">=3.8">a</a>',
      PAGE,
    );
    assert.equal(link?.requiresPython, '>=3.8');
    assert.equal(link?.text, 'a');
  });
  it('script contents, <a<a and a page that ends inside a tag give no links', () => {
    assert.deepEqual(
      parseSimpleHtml(
        '<script>var s = "<a href=x-1.tar.gz>x</a>";</script><a<a href="y-1.tar.gz">y</a><a href="z-1.tar.gz',
        PAGE,
      ),
      [],
    );
  });
});

/**
 * Milliseconds for `parse` on `text`: the best of several runs, which is what the code costs
 * when the machine is not busy with something else.
 */
function bestTime(parse: () => void, runs = 7): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    parse();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

describe('parseSimpleHtml on hostile pages costs time in proportion to their size', () => {
  // Each page is built from a unit repeated; parsing a page 16 times the size must cost about
  // what parsing the small one 16 times costs. A quadratic parser needs ~16 times that (a 960 KB
  // page of "<a" once took 93 s), so a ratio under 6 leaves room for a loaded machine's timer
  // noise (the best of several runs is compared) while still failing any quadratic parser.
  const small = 32 * 1024;
  const factor = 16;
  const units: Record<string, string> = {
    'unclosed <a': '<a',
    'unclosed <a with a space': '<a ',
    'unclosed <!--': '<!--',
    '<a> never closed by </a>': '<a href="x-1.0.tar.gz">x',
    'unclosed <base': '<base',
    'a quote that never closes': '<a title="',
    'stray < inside anchor text': '<',
  };
  for (const [label, unit] of Object.entries(units)) {
    it(label, () => {
      // The stray-< case needs an anchor around them: its text is where the <s pile up.
      const [head, tail] = label.startsWith('stray')
        ? ['<a href="x-1.0.tar.gz">', '</a>']
        : ['', ''];
      const page = (bytes: number) => head + unit.repeat(Math.ceil(bytes / unit.length)) + tail;
      const smallPage = page(small);
      const largePage = page(small * factor);
      parseSimpleHtml(smallPage, PAGE); // warm up the JIT
      const smallCost = bestTime(() => {
        for (let i = 0; i < factor; i++) parseSimpleHtml(smallPage, PAGE);
      });
      const largeCost = bestTime(() => parseSimpleHtml(largePage, PAGE));
      const ratio = largeCost / Math.max(smallCost, 0.05);
      assert.ok(
        ratio < 6,
        `${label}: ${largePage.length} bytes took ${largeCost.toFixed(2)} ms, ${factor} × ${smallPage.length} bytes took ${smallCost.toFixed(2)} ms (ratio ${ratio.toFixed(1)})`,
      );
    });
  }
});
