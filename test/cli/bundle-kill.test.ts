/**
 * A bundle run killed with SIGKILL at random points completes on a re-run, and the re-run does
 * not download again the files that were complete before the kill (they are in the cache; a
 * partial file is resumed or restarted, never taken as complete).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
let index: LocalIndex;
before(async () => {
  // Incompressible payloads, so that each wheel takes a moment to stream.
  index = await startLocalIndex(
    NAMES.map((name, i) => ({
      name,
      version: '1.0',
      requiresDist: i + 1 < NAMES.length ? [NAMES[i + 1]!] : [],
      files: { [`${name}/payload.txt`]: randomBytes(1_500_000).toString('base64') },
    })),
  );
});
after(() => index.close());

test('a bundle killed at random points completes on re-run without downloading finished files again', {
  timeout: 300_000,
}, async () => {
  const random = seededRandom(0xdead);
  const work = tempDir();
  const env = isolatedEnv(join(work, 'cache'));
  const args = [
    'bundle',
    'alpha',
    '--python',
    '3.11',
    '--glibc',
    '2.36',
    '--isolated',
    '--index-url',
    index.url,
    '--concurrency',
    '1',
    '--json',
  ];
  const finished = new Set<string>();
  for (let round = 0; round < 3; round++) {
    const completedEarlier = new Set(finished);
    const killAfter = 1 + Math.floor(random() * 2);
    let done = 0;
    const before = index.requests.length;
    const run = await runCli([...args, '-o', join(work, `killed-${round}`)], {
      env,
      onStdoutLine: (line, kill) => {
        const event = JSON.parse(line) as { event: string; filename?: string };
        if (event.event === 'download-done') {
          finished.add(event.filename!);
          if (++done >= killAfter) kill();
        }
      },
    });
    assert.notEqual(run.code, 0, `round ${round} was killed`);
    // No file that was complete before this round was fetched again in it.
    const fetched = index.requests
      .slice(before)
      .filter((p) => p.startsWith('/files/') && p.endsWith('.whl'));
    for (const path of fetched) {
      const name = decodeURIComponent(path.slice('/files/'.length));
      assert.ok(!completedEarlier.has(name), `${name} was downloaded again after it had completed`);
    }
  }
  const before = index.requests.length;
  const final = await runCli([...args, '-o', join(work, 'bundle')], { env });
  assert.equal(final.code, 0, final.stderr);
  const refetched = index.requests
    .slice(before)
    .filter((p) => p.startsWith('/files/') && p.endsWith('.whl'))
    .map((p) => decodeURIComponent(p.slice('/files/'.length)))
    .filter((name) => finished.has(name));
  assert.deepEqual(refetched, [], 'files completed in earlier runs are taken from the cache');
  const verify = await runCli(['verify', join(work, 'bundle'), '--allow-unsigned'], { env });
  assert.equal(verify.code, 0, verify.stderr);
});
