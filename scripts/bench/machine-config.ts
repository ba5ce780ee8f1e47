/**
 * The machine's own pip configuration, as found: `ferry lock` for this host reads pip.conf and
 * PIP_* itself; uv reads no pip configuration, so the same main index, extra indexes,
 * find-links and constraint files are passed to it as flags (read with src/index/pip-config.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configList, loadIndexSettings, readPipConfiguration } from '../../src/index/pip-config.js';
import {
  type ColdWarm,
  coldWarm,
  type Goal,
  goalAtMost,
  machineEnv,
  mb,
  type Peers,
  time,
  WORK,
} from './common.js';

export const MACHINE_SETS: Record<string, string[]> = {
  six: ['six'],
  paddle: ['paddlepaddle'],
};

export interface MachineRow {
  readonly set: string;
  readonly ferry: ColdWarm;
  readonly uv: ColdWarm;
}

export async function uvFlagsForPipConfig(): Promise<{ flags: string[]; shown: string }> {
  const settings = await loadIndexSettings();
  const config = await readPipConfiguration();
  const constraints = configList(config, 'constraint') ?? [];
  // uv ranks --extra-index-url above --index-url; ferry (first-index) and pip read the main
  // index first. `--index` in order, the last as `--default-index`, gives uv ferry's order.
  const indexes = [settings.indexUrl, ...settings.extraIndexUrls];
  const flags = [
    ...indexes.slice(0, -1).flatMap((u) => ['--index', u]),
    '--default-index',
    indexes.at(-1)!,
    ...settings.findLinks.flatMap((u) => ['--find-links', u]),
    ...constraints.flatMap((c) => ['--constraint', c]),
  ];
  return {
    flags,
    shown: `${settings.extraIndexUrls.length} extra index(es), ${settings.findLinks.length} find-links, ${constraints.length} constraint file(s)`,
  };
}

export async function benchMachineConfig(
  ferryBin: string,
  peers: Peers,
  options: { warmRuns: number },
): Promise<{ rows: MachineRow[]; table: string[]; goals: Goal[] }> {
  const env = machineEnv();
  const uvConfig = await uvFlagsForPipConfig();
  console.error(`machine configuration: pip's main index, ${uvConfig.shown}`);
  const rows: MachineRow[] = [];
  for (const [set, reqs] of Object.entries(MACHINE_SETS)) {
    mkdirSync(WORK, { recursive: true });
    const dir = mkdtempSync(join(WORK, `machine-${set}-`));
    const reqFile = join(dir, 'requirements.in');
    writeFileSync(reqFile, `${reqs.join('\n')}\n`);
    const ferryCache = join(dir, 'cache-ferry');
    const ferry = coldWarm(
      () =>
        time(
          process.execPath,
          [ferryBin, 'lock', ...reqs, '-o', join(dir, 'pylock.toml'), '--quiet'],
          { ...env, FERRY_CACHE_DIR: ferryCache },
        ),
      options.warmRuns,
    );
    const uvCache = join(dir, 'cache-uv');
    const uv = coldWarm(
      () =>
        time(
          peers.uv,
          [
            'pip',
            'compile',
            reqFile,
            ...uvConfig.flags,
            '--python',
            process.env.FERRY_PYTHON ?? 'python3',
            '--cache-dir',
            uvCache,
            '--quiet',
            '--no-header',
            '-o',
            join(dir, 'uv.txt'),
          ],
          env,
        ),
      options.warmRuns,
    );
    rows.push({ set, ferry, uv });
    for (const [tool, r] of [
      ['ferry', ferry],
      ['uv', uv],
    ] as const)
      console.error(
        `host  ${set.padEnd(7)} ${tool.padEnd(6)} cold ${r.cold.toFixed(2)} s  warm ${r.warm.toFixed(2)} s  peak ${mb(r.peakMb)}${r.ok ? '' : `  FAILED: ${r.error}`}`,
      );
  }
  const table = [
    '| set, this host, pip.conf as found | ferry cold / warm | uv cold / warm | ferry÷uv cold / warm | ferry peak |',
    '|---|---|---|---|---|',
  ];
  const goals: Goal[] = [];
  for (const r of rows) {
    const cold = r.ferry.cold / r.uv.cold;
    const warm = r.ferry.warm / r.uv.warm;
    table.push(
      `| ${r.set} | ${r.ferry.cold.toFixed(2)} / ${r.ferry.warm.toFixed(2)} s${r.ferry.ok ? '' : ' (failed)'} | ${r.uv.cold.toFixed(2)} / ${r.uv.warm.toFixed(2)} s${r.uv.ok ? '' : ' (failed)'} | ${cold.toFixed(2)}× / ${warm.toFixed(2)}× | ${mb(r.ferry.peakMb)} |`,
    );
    goals.push(goalAtMost(`lock ${r.set}, this host's pip.conf: ferry÷uv cold`, cold, 1.0));
    goals.push(goalAtMost(`lock ${r.set}, this host's pip.conf: ferry÷uv warm`, warm, 0.8));
    if (r.set === 'paddle')
      goals.push(
        goalAtMost(
          'warm ferry lock paddlepaddle, this host, pip.conf as found',
          r.ferry.ok ? r.ferry.warm : Number.NaN,
          0.5,
          's',
        ),
      );
  }
  return { rows, table, goals };
}
