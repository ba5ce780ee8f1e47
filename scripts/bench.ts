/**
 * Benchmark: ferry against uv and pip, side by side in one run, cold (empty cache) and warm
 * (the same cache again), with the peak memory of every ferry run and each goal of issue 12
 * as PASS or MISS. The parts (scripts/bench/):
 *  - lock-sets.ts: `ferry lock` vs `uv pip compile --python-platform` and `pip download` on
 *    requirement sets (one with a closure of over 100 projects) for other targets, every tool
 *    given the same one index (the main index of pip's configuration) and nothing else;
 *  - machine-config.ts: `ferry lock` for this host with pip's configuration as found vs uv
 *    given the same indexes, find-links and constraints as flags; warm paddlepaddle vs 0.5 s;
 *  - bundle-install.ts: warm `ferry bundle` vs `pip download`, and an offline install of that
 *    bundle under `unshare -n` vs pip (and uv as a reference).
 * The peers are installed into .ferry-work/bench-venv-<digest> at the versions
 * test/oracles.txt pins; ferry is built as one file into .ferry-work/bench/ (dist/ untouched).
 *
 *   npm run bench                 # everything, 3 repetitions of each warm run
 *   npm run bench -- --quick      # two small sets on one target, the host lock; no bundle
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIndexSettings } from '../src/index/pip-config.js';
import { benchBundleInstall } from './bench/bundle-install.js';
import { buildFerry, ensurePeers, type Goal, WORK } from './bench/common.js';
import { benchLockSets, SETS } from './bench/lock-sets.js';
import { benchMachineConfig } from './bench/machine-config.js';

const quick = process.argv.includes('--quick');

async function main(): Promise<void> {
  const peers = await ensurePeers();
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const ferryBin = buildFerry();
  const index = (await loadIndexSettings({ isolated: false })).indexUrl;
  console.error(
    `peers: ${peers.uvVersion}, ${peers.pipVersion}; ${quick ? 'quick run' : 'full run'}`,
  );
  const warmRuns = quick ? 1 : 3;

  const sections: string[] = [];
  const goals: Goal[] = [];
  const lockSets = benchLockSets(ferryBin, peers, index, {
    sets: quick ? ['web', 'paddle'] : Object.keys(SETS),
    targets: quick ? 1 : 2,
    warmRuns,
  });
  sections.push(
    "Locks for other targets, one index (pip's main index), no other configuration:",
    '',
    ...lockSets.table,
  );
  goals.push(...lockSets.goals);

  const machine = await benchMachineConfig(ferryBin, peers, { warmRuns });
  sections.push('', "Locks for this host, pip's configuration as found:", '', ...machine.table);
  goals.push(...machine.goals);

  const results: Record<string, unknown> = { lockSets: lockSets.rows, machine: machine.rows };
  if (!quick) {
    const bundle = benchBundleInstall(ferryBin, peers, { warmRuns: 2 });
    sections.push(
      '',
      "Bundle and offline install, this host, pip's configuration as found:",
      '',
      ...bundle.table,
      ...bundle.notes.map((n) => `note: ${n}`),
    );
    goals.push(...bundle.goals);
  }

  const width = Math.max(...goals.map((g) => g.what.length));
  const summary = [
    '',
    ...sections,
    '',
    'Goals:',
    ...goals.map(
      (g) =>
        `  ${g.pass ? 'PASS' : 'MISS'}  ${g.what.padEnd(width)}  ${g.measured.padStart(9)}  (goal ${g.goal})`,
    ),
    '',
    `${goals.filter((g) => g.pass).length} of ${goals.length} goals met`,
  ];
  console.log(summary.join('\n'));
  writeFileSync(join(WORK, 'results.json'), JSON.stringify({ ...results, goals }, null, 2));
}

await main();
