// kill -9 at random moments of `ferry import`: the store's current generation is always whole
// (every file its pages name is there with its hash; the catalog is the old one or the new
// one), and running the import again completes it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { seededRandom } from '../helpers/seeded-random.js';
import {
  checkConsistent,
  demoDists,
  makeKey,
  signedBundle,
  type TestKey,
} from './store-fixture.js';

const RUNS = 20;
const SEED = Number(process.env.FERRY_TEST_SEED ?? 20260301);

let work: string;
let builder: TestKey;
const bundles: string[] = [];

before(async () => {
  work = tempDir('ferry-import-kill-');
  builder = await makeKey(work, 'builder');
  for (const version of ['10.0', '11.0', '12.0', '13.0'])
    bundles.push(
      await signedBundle(join(work, `bundle-${version}`), builder.secret, demoDists(version)),
    );
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Files under files/ (links into objects/), for telling where a run was killed. */
async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []))
    if (entry.isFile()) n++;
  return n;
}

/** Runs `ferry import` and sends SIGKILL after `delayMs` (if it is still running). */
function importKilledAfter(
  store: string,
  bundle: string,
  delayMs: number,
): Promise<{ code: number | null; killed: boolean }> {
  return new Promise((done, reject) => {
    const child = spawn(
      process.execPath,
      [
        resolve('bin/ferry.js'),
        'import',
        bundle,
        '--store',
        store,
        '--trusted-key',
        builder.pubPath,
      ],
      { env: isolatedEnv(join(work, 'cache')), stdio: 'ignore' },
    );
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, delayMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, killed });
    });
  });
}

describe('ferry import under kill -9', () => {
  it(`${RUNS} imports killed at random moments leave a whole store; a re-run completes (seed ${SEED})`, async (t) => {
    const store = join(work, 'store');
    // One import run to the end tells how long a run takes, so the kills spread over all of it.
    const started = Date.now();
    const first = await runCli(
      ['import', bundles[0]!, '--store', store, '--trusted-key', builder.pubPath],
      {
        env: isolatedEnv(join(work, 'cache')),
      },
    );
    assert.equal(first.code, 0, first.stderr);
    const fullMs = Date.now() - started;
    const random = seededRandom(SEED);
    let killedMidway = 0;
    let publishedThenKilled = 0;
    let killedWhileWriting = 0;
    for (let run = 0; run < RUNS; run++) {
      const bundle = bundles[1 + (run % (bundles.length - 1))]!;
      const before = await checkConsistent(store);
      const filesBefore = await countFiles(join(store, 'files'));
      // The first run (cold) is the slowest: the kills spread over 20-100% of its time.
      const delay = Math.round(fullMs * (0.2 + 0.8 * random()));
      const outcome = await importKilledAfter(store, bundle, delay);
      const now = await checkConsistent(store);
      const added = Object.keys(now.bundles).filter((d) => before.bundles[d] === undefined);
      assert.ok(
        now.generation === before.generation ||
          (now.generation === before.generation + 1 && added.length === 1),
        `run ${run} (killed after ${delay} ms): generation ${before.generation} -> ${now.generation}, new bundles ${added}`,
      );
      if (outcome.killed && outcome.code === null) {
        killedMidway++;
        if (now.generation !== before.generation) publishedThenKilled++;
        else if ((await countFiles(join(store, 'files'))) > filesBefore) killedWhileWriting++;
      }
    }
    t.diagnostic(
      `a run takes ${fullMs} ms; ${killedMidway} of ${RUNS} killed before exiting: ${killedWhileWriting} while writing files, ${publishedThenKilled} after the switch`,
    );
    assert.ok(killedMidway > 0, 'no run was killed before it finished: the delays are too long');
    for (const bundle of bundles) {
      const rerun = await runCli(
        ['import', bundle, '--store', store, '--trusted-key', builder.pubPath, '--json'],
        {
          env: isolatedEnv(join(work, 'cache')),
        },
      );
      assert.equal(rerun.code, 0, rerun.stderr);
    }
    const final = await checkConsistent(store);
    assert.equal(Object.keys(final.bundles).length, bundles.length);
    assert.deepEqual(final.indexes.approved!.projects['demo-app']!.versions, [
      '10.0',
      '11.0',
      '12.0',
      '13.0',
    ]);
  });
});
