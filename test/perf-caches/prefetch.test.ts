import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prefetchKey, readPrefetchNames, writePrefetchNames } from '../../src/index/prefetch.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';

/**
 * A proxy in front of the local index that holds the answer to `/simple/chain-a/` until
 * `/simple/chain-d/` has been asked for (or `capMs` passed, so nothing hangs). A resolver
 * without prefetch cannot ask for d before a's page came back (a → b → c → d), so "d was asked
 * while a was held" says the pages went out together, by order of events, not by timing.
 */
async function holdingProxy(target: string, capMs: number) {
  const log: string[] = [];
  let hold = false;
  let release: () => void = () => {};
  let released = Promise.resolve();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    log.push(`ask ${path}`);
    if (path === '/simple/chain-d/') release();
    const forward = () => {
      const upstream = request(
        `${new URL(target).origin}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (hold && path === '/simple/chain-a/') {
      void released.then(() => {
        log.push('answer /simple/chain-a/');
        forward();
      });
    } else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`,
    log,
    holdA() {
      hold = true;
      released = new Promise<void>((r) => {
        release = r;
        setTimeout(r, capMs).unref();
      });
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('prefetch: a repeated lock asks for every page the last one needed at once', () => {
  let index: LocalIndex;
  const dir = tempDir('ferry-prefetch-');
  before(async () => {
    index = await startLocalIndex(
      [
        { name: 'chain-a', version: '1.0', requiresDist: ['chain-b'] },
        { name: 'chain-b', version: '1.0', requiresDist: ['chain-c'] },
        { name: 'chain-c', version: '1.0', requiresDist: ['chain-d'] },
        { name: 'chain-d', version: '1.0' },
      ],
      { metadataFiles: true },
    );
  });
  after(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the second identical lock requests chain-d while chain-a is still unanswered', async () => {
    const proxy = await holdingProxy(index.url, 5000);
    try {
      const cache = join(dir, 'cache');
      const env = isolatedEnv(cache);
      const args = [
        'lock',
        'chain-a',
        '--isolated',
        '--index-url',
        proxy.url,
        '--python',
        '3.11',
        '--os',
        'linux',
        '--arch',
        'x86_64',
        '--glibc',
        '2.28',
        '-o',
        join(dir, 'pylock.toml'),
      ];
      const first = await runCli(args, { env });
      assert.equal(first.code, 0, first.stderr);
      const remembered = readdirSync(join(cache, 'prefetch'));
      assert.equal(remembered.length, 1, 'one entry for the question');
      assert.deepEqual(JSON.parse(readFileSync(join(cache, 'prefetch', remembered[0]!), 'utf8')), [
        'chain-a',
        'chain-b',
        'chain-c',
        'chain-d',
      ]);
      // The cold run could only go round by round: d after a's answer.
      const cold = proxy.log.filter((l) => l.startsWith('ask /simple/'));
      assert.deepEqual(cold, [
        'ask /simple/chain-a/',
        'ask /simple/chain-b/',
        'ask /simple/chain-c/',
        'ask /simple/chain-d/',
      ]);

      proxy.log.length = 0;
      proxy.holdA();
      const second = await runCli(args, { env });
      assert.equal(second.code, 0, second.stderr);
      const askD = proxy.log.indexOf('ask /simple/chain-d/');
      const answerA = proxy.log.indexOf('answer /simple/chain-a/');
      assert.ok(askD >= 0 && answerA >= 0, proxy.log.join(', '));
      assert.ok(askD < answerA, `chain-d asked before chain-a answered: ${proxy.log.join(', ')}`);
      assert.equal(
        proxy.log.filter((l) => l.startsWith('ask /simple/')).length,
        4,
        'each page asked for once, no more than before',
      );
    } finally {
      await proxy.close();
    }
  });

  it('entries: per question, sorted and deduplicated; a missing or broken entry is no names', async () => {
    const cache = join(dir, 'entries');
    const key = prefetchKey([['numpy'], { python: '3.11' }]);
    assert.ok(key !== undefined);
    assert.notEqual(key, prefetchKey([['numpy'], { python: '3.12' }]));
    assert.deepEqual(await readPrefetchNames(cache, key), []);
    await writePrefetchNames(cache, key, ['numpy', 'a', 'numpy']);
    assert.deepEqual(await readPrefetchNames(cache, key), ['a', 'numpy']);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(prefetchKey(cyclic), undefined, 'a question that cannot be written out');
  });
});
