/**
 * Benchmark: `ferry lock` against `uv pip compile --python-platform` and `pip download`
 * (pip's only way to resolve for another platform), on the same requirement sets and targets,
 * cold (empty cache) and warm (second run, same cache), side by side in one run. Prints the
 * times and the ratios. The peers are installed into .ferry-work/bench-venv-<digest> from the
 * index pip is configured to use, at the versions test/oracles.txt pins; every tool is pointed
 * at that same main index.
 *
 *   npm run bench                 # all sets, 3 repetitions of each warm run
 *   npm run bench -- --quick      # two sets, one target
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadIndexSettings } from '../src/index/pip-config.js';
import { platformTags } from '../src/standards/tags.js';
import { ensurePinnedVenv } from '../test/helpers/pinned-venv.js';

const quick = process.argv.includes('--quick');
const WORK = resolve('.ferry-work/bench');

const SETS: Record<string, string[]> = {
  paddle: ['paddlepaddle'],
  web: ['requests', 'flask', 'httpx'],
  data: ['pandas', 'scipy', 'scikit-learn', 'matplotlib'],
  api: ['fastapi', 'uvicorn', 'pydantic', 'sqlalchemy'],
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

const TARGETS = [target('x86_64', '3.11', [2, 28]), target('aarch64', '3.10', [2, 28])];

/** uv and pip at the versions test/oracles.txt pins (hash-checked). */
async function ensurePeers(): Promise<{ uv: string; pip: string }> {
  const venv = await ensurePinnedVenv('bench-venv');
  return { uv: join(venv, 'bin', 'uv'), pip: join(venv, 'bin', 'pip') };
}

/** GNU time, when present, reports the peak resident memory of the run (its children included). */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const PEAK_MARK = 'ferry-bench-peak-kb=';

function time(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { seconds: number; ok: boolean; error: string; peakMb?: number } {
  const [cmd, argv] =
    GNU_TIME === undefined
      ? [command, args]
      : [GNU_TIME, ['-f', `${PEAK_MARK}%M`, command, ...args]];
  const started = process.hrtime.bigint();
  const result = spawnSync(cmd, argv, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stderr = `${result.stderr}`;
  const peak = new RegExp(`${PEAK_MARK}(\\d+)`).exec(stderr);
  return {
    seconds,
    ok: result.status === 0,
    error:
      result.status === 0
        ? ''
        : stderr
            .replace(new RegExp(`${PEAK_MARK}\\d+`), '')
            .trim()
            .split('\n')
            .slice(-3)
            .join(' | '),
    ...(peak === null ? {} : { peakMb: Number(peak[1]) / 1024 }),
  };
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PIP_') && !k.startsWith('UV_') && !k.startsWith('FERRY_')) env[k] = v;
  return {
    ...env,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    UV_NO_CONFIG: '1',
    // uv looks for (and would try to download) an interpreter of --python-version; it needs only
    // the version for markers, so keep it from spending seconds on a download that cannot work.
    UV_PYTHON_DOWNLOADS: 'never',
  };
}

async function main(): Promise<void> {
  const { uv, pip } = await ensurePeers();
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const index = (await loadIndexSettings()).indexUrl;
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const ferryBin = resolve('dist/cli/main.js');
  const sets = quick ? ['web', 'paddle'] : Object.keys(SETS);
  const targets = quick ? TARGETS.slice(0, 1) : TARGETS;
  const warmRuns = quick ? 1 : 3;
  const rows: {
    set: string;
    target: string;
    tool: string;
    cold: number;
    warm: number;
    peakMb: number;
    ok: boolean;
    error: string;
  }[] = [];
  const env = cleanEnv();
  const uvVersion = execFileSync(uv, ['--version'], { encoding: 'utf8' }).trim();
  const pipVersion = execFileSync(pip, ['--version'], { encoding: 'utf8' })
    .trim()
    .split(' from ')[0];
  console.error(
    `index: the main index from pip's configuration; peers: ${uvVersion}, ${pipVersion}`,
  );

  for (const set of sets) {
    const reqs = SETS[set]!;
    for (const t of targets) {
      const dir = mkdtempSync(join(WORK, `${set}-`));
      const reqFile = join(dir, 'requirements.in');
      writeFileSync(reqFile, `${reqs.join('\n')}\n`);
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
              join(dir, 'pylock.toml'),
              '--quiet',
            ],
            { ...env, FERRY_CACHE_DIR: cache },
          ),
        uv: (cache: string) =>
          time(
            uv,
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
            pip,
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
      };
      for (const [tool, run] of Object.entries(tools)) {
        const cache = join(dir, `cache-${tool}`);
        const cold = run(cache);
        let warm = Number.POSITIVE_INFINITY;
        let peakMb = cold.peakMb ?? 0;
        let ok = cold.ok;
        let error = cold.error;
        for (let i = 0; i < warmRuns; i++) {
          const w = run(cache);
          warm = Math.min(warm, w.seconds);
          peakMb = Math.max(peakMb, w.peakMb ?? 0);
          ok &&= w.ok;
          error ||= w.error;
        }
        rows.push({ set, target: t.name, tool, cold: cold.seconds, warm, peakMb, ok, error });
        console.error(
          `${set.padEnd(7)} ${t.name.padEnd(30)} ${tool.padEnd(6)} cold ${cold.seconds.toFixed(2)} s  warm ${warm.toFixed(2)} s  peak ${peakMb.toFixed(0)} MB${ok ? '' : `  FAILED: ${error}`}`,
        );
      }
    }
  }

  const lines = [
    '',
    `${'set'.padEnd(7)} ${'target'.padEnd(30)} ${'ferry cold/warm'.padStart(16)} ${'uv cold/warm'.padStart(14)} ${'pip cold/warm'.padStart(15)}  ferry÷uv cold  warm   pip÷ferry cold  warm`,
  ];
  const ratios = {
    uvCold: [] as number[],
    uvWarm: [] as number[],
    pipCold: [] as number[],
    pipWarm: [] as number[],
  };
  for (const set of sets) {
    for (const t of targets) {
      const get = (tool: string) =>
        rows.find((r) => r.set === set && r.target === t.name && r.tool === tool)!;
      const f = get('ferry');
      const u = get('uv');
      const p = get('pip');
      const fmt = (r: typeof f) => `${r.cold.toFixed(2)}/${r.warm.toFixed(2)}${r.ok ? '' : '!'}`;
      ratios.uvCold.push(f.cold / u.cold);
      ratios.uvWarm.push(f.warm / u.warm);
      ratios.pipCold.push(p.cold / f.cold);
      ratios.pipWarm.push(p.warm / f.warm);
      lines.push(
        `${set.padEnd(7)} ${t.name.padEnd(30)} ${fmt(f).padStart(16)} ${fmt(u).padStart(14)} ${fmt(p).padStart(15)}  ${(f.cold / u.cold).toFixed(2).padStart(12)}× ${(f.warm / u.warm).toFixed(2).padStart(5)}×  ${(p.cold / f.cold).toFixed(2).padStart(13)}× ${(p.warm / f.warm).toFixed(2).padStart(5)}×`,
      );
    }
  }
  const geo = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  lines.push(
    '',
    `geometric mean: ferry÷uv cold ${geo(ratios.uvCold).toFixed(2)}×, warm ${geo(ratios.uvWarm).toFixed(2)}×; pip÷ferry cold ${geo(ratios.pipCold).toFixed(2)}×, warm ${geo(ratios.pipWarm).toFixed(2)}×`,
    '(goals: ferry÷uv cold ≤ 1.0×, warm ≤ 1.5×; pip÷ferry ≥ 3× both; "!" marks a failed run)',
  );
  console.log(lines.join('\n'));
  writeFileSync(join(WORK, 'results.json'), JSON.stringify({ rows, ratios }, null, 2));
}

await main();
