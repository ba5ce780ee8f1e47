/**
 * "Did you mean": fast for the usual slips (the name's own variants, asked as project pages),
 * and when the list of every project is needed, announced on stderr and kept in the cache.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  editDistance,
  namesFromRootPage,
  nameVariants,
  similarNames,
} from '../../src/index/suggest.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';

describe('suggest (pure)', () => {
  it('counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('nmupy', 'numpy'), 1);
    assert.equal(editDistance('requets', 'requests'), 1);
    assert.equal(editDistance('abc', 'xyz', 1), 2);
  });

  it('ranks the likelier slip first among equally close names', () => {
    assert.deepEqual(similarNames('nmupy', ['mupy', 'nupy', 'cmupy', 'numpy']).slice(0, 1), [
      'numpy',
    ]);
    assert.deepEqual(similarNames('requets', ['requers', 'requete', 'requests'])[0], 'requests');
  });

  it('still finds names that contain the asked one in a long list', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => `project-${i}`);
    assert.deepEqual(similarNames('paddle', [...many, 'paddlepaddle', 'Paddle_Paddle']), [
      'paddlepaddle',
      'Paddle_Paddle',
    ]);
  });

  it('variants of a name: swaps, drops and separators, never the name itself', () => {
    const v = nameVariants('Nmupy');
    assert.ok(v.includes('numpy'));
    assert.ok(!v.includes('nmupy'));
    assert.ok(nameVariants('paddle-paddle').includes('paddlepaddle'));
    assert.ok(nameVariants('numpyy').includes('numpy'));
    assert.ok(nameVariants('a-much-longer-project-name-than-usual').length <= 40);
  });

  it('reads names from PEP 503 HTML and PEP 691 JSON root pages', () => {
    assert.deepEqual(
      namesFromRootPage(
        '<html><body><a href="/simple/a/">A_b</a>\n<a href="c/"> c </a></body></html>',
        'text/html',
      ),
      ['A_b', 'c'],
    );
    assert.deepEqual(
      namesFromRootPage(
        '{"meta":{},"projects":[{"name":"x"},{"name":"Y"}]}',
        'application/vnd.pypi.simple.v1+json',
      ),
      ['x', 'Y'],
    );
  });
});

describe('ferry lock with a misspelt name (local index)', () => {
  let index: LocalIndex;
  before(async () => {
    index = await startLocalIndex([
      { name: 'numpy', version: '2.0' },
      { name: 'requests', version: '2.32.0' },
      { name: 'demo-pkg', version: '1.0' },
    ]);
  });
  after(() => index.close());

  const lock = (name: string, cache: string) =>
    runCli(['lock', name, '--python', '3.11', '--isolated', '--index-url', index.url, '-o', '-'], {
      env: isolatedEnv(cache),
    });

  it('a swapped pair of letters is answered from the name’s variants, without the root page', async () => {
    const work = tempDir();
    const r = await lock('nmupy', join(work, 'cache'));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /Did you mean "numpy"/);
    assert.ok(!index.requests.includes('/simple/'), index.requests.join(' '));
    assert.ok(index.requests.includes('/simple/numpy/'), 'the variant was asked as a project page');
  });

  it('otherwise the list of every project is announced on stderr, then read from the cache', async () => {
    const work = tempDir();
    const cache = join(work, 'cache');
    const rootsBefore = index.requests.filter((p) => p === '/simple/').length;
    const first = await lock('requets', cache);
    assert.equal(first.code, 3, first.stderr);
    assert.match(
      first.stderr,
      /looking for similar names in the list of every project on http:\/\/127\.0\.0\.1/,
    );
    assert.match(first.stderr, /Did you mean "requests"/);
    const progressAt = first.stderr.indexOf('looking for similar names');
    assert.ok(progressAt < first.stderr.indexOf('error['), 'progress comes before the error');
    const rootsAfterFirst = index.requests.filter((p) => p === '/simple/').length;
    assert.equal(rootsAfterFirst, rootsBefore + 1);

    const second = await lock('requets', cache);
    assert.equal(second.code, 3, second.stderr);
    assert.match(second.stderr, /Did you mean "requests"/);
    assert.equal(
      index.requests.filter((p) => p === '/simple/').length,
      rootsAfterFirst,
      'the name list came from the cache',
    );
    assert.doesNotMatch(second.stderr, /looking for similar names/);
  });
});
