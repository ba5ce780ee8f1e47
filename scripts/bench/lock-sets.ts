/**
 * `ferry lock` against `uv pip compile --python-platform` and `pip download` (pip's only way to
 * resolve for another platform; it downloads the wheels), on the same requirement sets and
 * targets, every tool given the same one index and nothing else of the machine's configuration.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformTags } from '../../src/standards/tags.js';
import {
  type ColdWarm,
  coldWarm,
  type Goal,
  geo,
  goalAtMost,
  isolatedEnv,
  lockedCount,
  mb,
  type Peers,
  time,
  WORK,
} from './common.js';

export const SETS: Record<string, string[]> = {
  paddle: ['paddlepaddle'],
  web: ['requests', 'flask', 'httpx'],
  data: ['pandas', 'scipy', 'scikit-learn', 'matplotlib'],
  api: ['fastapi', 'uvicorn', 'pydantic', 'sqlalchemy'],
  // A closure of well over 100 projects: notebooks, the data-science stack and a web service.
  large: [
    'jupyterlab',
    'pandas',
    'scikit-learn',
    'matplotlib',
    'seaborn',
    'statsmodels',
    'fastapi',
    'uvicorn[standard]',
    'sqlalchemy',
    'celery',
    'requests',
    'boto3',
  ],
};

interface BenchTarget {
  name: string;
  ferry: string[];
  uv: string[];
  pip: string[];
}

function target(arch: 'x86_64' | 'aarch64', python: string, glibc: [number, number]): BenchTarget {
  const abi = `cp${python.replace('.', '')}`;
  const platforms = platformTags({
    os: 'linux',
    arch,
    libc: { kind: 'glibc', version: glibc },
  }).filter((t) => !t.startsWith('linux_'));
  return {
    name: `linux ${arch} ${abi} glibc ${glibc.join('.')}`,
    ferry: ['--python', python, '--os', 'linux', '--arch', arch, '--glibc', glibc.join('.')],
    uv: ['--python-platform', `${arch}-manylinux_${glibc.join('_')}`, '--python-version', python],
    // pip does not expand a manylinux range (pip #10760): every tag must be named.
    pip: [
      ...platforms.flatMap((p) => ['--platform', p]),
      '--python-version',
      python,
      '--implementation',
      'cp',
      '--abi',
      abi,
    ],
  };
}

export const TARGETS = [target('x86_64', '3.11', [2, 28]), target('aarch64', '3.10', [2, 28])];

export interface LockRow {
  readonly set: string;
  readonly target: string;
  readonly tool: 'ferry' | 'uv' | 'pip';
  readonly result: ColdWarm;
  /** ferry only: packages in the lock. */
  readonly packages?: number;
}

export interface LockSetsReport {
  readonly rows: LockRow[];
  readonly table: string[];
  readonly goals: Goal[];
}

export function benchLockSets(
  ferryBin: string,
  peers: Peers,
  index: string,
  options: { sets: string[]; targets: number; warmRuns: number },
): LockSetsReport {
  const env = isolatedEnv();
  const rows: LockRow[] = [];
  const targets = TARGETS.slice(0, options.targets);
  for (const set of options.sets) {
    const reqs = SETS[set]!;
    for (const t of targets) {
      mkdirSync(WORK, { recursive: true });
      const dir = mkdtempSync(join(WORK, `${set}-`));
      const reqFile = join(dir, 'requirements.in');
      writeFileSync(reqFile, `${reqs.join('\n')}\n`);
      const pylock = join(dir, 'pylock.toml');
      const tools = {
        ferry: (cache: string) =>
          time(
            process.execPath,
            [
              ferryBin,
              'lock',
              ...reqs,
              ...t.ferry,
              '--isolated',
              '--index-url',
              index,
              '-o',
              pylock,
              '--quiet',
            ],
            { ...env, FERRY_CACHE_DIR: cache },
          ),
        uv: (cache: string) =>
          time(
            peers.uv,
            [
              'pip',
              'compile',
              reqFile,
              ...t.uv,
              '--index-url',
              index,
              '--cache-dir',
              cache,
              '--quiet',
              '--no-header',
              '-o',
              join(dir, 'uv.txt'),
            ],
            env,
          ),
        pip: (cache: string) =>
          time(
            peers.pip,
            [
              'download',
              '--quiet',
              '--only-binary=:all:',
              ...t.pip,
              '--index-url',
              index,
              '--cache-dir',
              cache,
              '-d',
              join(dir, `pip-${Math.random()}`),
              ...reqs,
            ],
            env,
          ),
      } as const;
      for (const [tool, run] of Object.entries(tools) as [LockRow['tool'], typeof tools.uv][]) {
        const result = coldWarm(() => run(join(dir, `cache-${tool}`)), options.warmRuns);
        const packages = tool === 'ferry' ? lockedCount(pylock) : undefined;
        rows.push({
          set,
          target: t.name,
          tool,
          result,
          ...(packages === undefined ? {} : { packages }),
        });
        console.error(
          `lock  ${set.padEnd(7)} ${t.name.padEnd(30)} ${tool.padEnd(6)} cold ${result.cold.toFixed(2)} s  warm ${result.warm.toFixed(2)} s  peak ${mb(result.peakMb)}${packages === undefined ? '' : `  ${packages} packages`}${result.ok ? '' : `  FAILED: ${result.error}`}`,
        );
      }
    }
  }

  const table = [
    '| set (packages) | target | ferry cold / warm | uv cold / warm | pip cold / warm | ferry÷uv cold / warm | ferry peak |',
    '|---|---|---|---|---|---|---|',
  ];
  const uvCold: number[] = [];
  const uvWarm: number[] = [];
  const goals: Goal[] = [];
  for (const set of options.sets) {
    for (const t of targets) {
      const get = (tool: string) =>
        rows.find((r) => r.set === set && r.target === t.name && r.tool === tool)!;
      const f = get('ferry');
      const u = get('uv');
      const p = get('pip');
      const fmt = (r: LockRow) =>
        `${r.result.cold.toFixed(2)} / ${r.result.warm.toFixed(2)} s${r.result.ok ? '' : ' (failed)'}`;
      const cold = f.result.cold / u.result.cold;
      const warm = f.result.warm / u.result.warm;
      uvCold.push(cold);
      uvWarm.push(warm);
      table.push(
        `| ${set} (${f.packages ?? '?'}) | ${t.name} | ${fmt(f)} | ${fmt(u)} | ${fmt(p)} | ${cold.toFixed(2)}× / ${warm.toFixed(2)}× | ${mb(f.result.peakMb)} |`,
      );
      goals.push(goalAtMost(`lock ${set}, ${t.name}: ferry÷uv cold`, cold, 1.0));
      goals.push(goalAtMost(`lock ${set}, ${t.name}: ferry÷uv warm`, warm, 0.8));
      if (set === 'large') {
        goals.push({
          what: `lock large, ${t.name}: packages in the closure`,
          measured: `${f.packages ?? 0}`,
          goal: '≥ 100',
          pass: (f.packages ?? 0) >= 100,
        });
        goals.push(
          goalAtMost(`lock large, ${t.name}: ferry peak memory`, f.result.peakMb, 300, 'MB'),
        );
      }
    }
  }
  table.push(
    '',
    `geometric mean ferry÷uv: cold ${geo(uvCold).toFixed(2)}×, warm ${geo(uvWarm).toFixed(2)}×`,
  );
  return { rows, table, goals };
}
