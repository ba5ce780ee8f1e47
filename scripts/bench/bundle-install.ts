/**
 * Both ends of a bundle, on this host with pip's configuration as found:
 *  - `ferry bundle` against `pip download` of the same requirements into a folder, each with
 *    its own cache, cold and then warm;
 *  - installing that bundle into a new venv with no network (`unshare -n`): `ferry install
 *    --smoke none` (so only installing is timed, whichever installer ferry picks) against
 *    `python -m venv` + `pip install --no-index --find-links` of the same wheels with their
 *    hashes, and uv (`uv venv` + `uv pip install --offline --no-index`, empty cache) as a
 *    reference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  coldWarm,
  type Goal,
  goalAtMost,
  machineEnv,
  mb,
  type Peers,
  type Timed,
  time,
  WORK,
} from './common.js';

export const BUNDLE_REQUIREMENTS = ['paddlepaddle'];

function unshareWorks(): boolean {
  return spawnSync('unshare', ['-n', 'true']).status === 0;
}

export function benchBundleInstall(
  ferryBin: string,
  peers: Peers,
  options: { warmRuns: number },
): { table: string[]; goals: Goal[]; notes: string[] } {
  const env = machineEnv();
  mkdirSync(WORK, { recursive: true });
  const dir = mkdtempSync(join(WORK, 'bundle-'));
  const ferryCache = join(dir, 'cache-ferry');
  const bundle = join(dir, 'bundle');
  const ferry = coldWarm(() => {
    rmSync(bundle, { recursive: true, force: true });
    return time(
      process.execPath,
      [ferryBin, 'bundle', ...BUNDLE_REQUIREMENTS, '-o', bundle, '--quiet'],
      { ...env, FERRY_CACHE_DIR: ferryCache, FERRY_LEDGER_DIR: join(dir, 'ledger') },
    );
  }, options.warmRuns);
  const pipCache = join(dir, 'cache-pip');
  const pip = coldWarm(() => {
    const into = join(dir, `pip-download-${Math.random()}`);
    const r = time(
      peers.pip,
      ['download', '--quiet', '--cache-dir', pipCache, '-d', into, ...BUNDLE_REQUIREMENTS],
      env,
    );
    rmSync(into, { recursive: true, force: true });
    return r;
  }, options.warmRuns);
  for (const [tool, r] of [
    ['ferry bundle', ferry],
    ['pip download', pip],
  ] as const)
    console.error(
      `bundle ${tool.padEnd(13)} cold ${r.cold.toFixed(2)} s  warm ${r.warm.toFixed(2)} s  peak ${mb(r.peakMb)}${r.ok ? '' : `  FAILED: ${r.error}`}`,
    );
  const table = [
    `| ${BUNDLE_REQUIREMENTS.join(' ')}, this host | cold | warm | peak |`,
    '|---|---|---|---|',
    `| ferry bundle | ${ferry.cold.toFixed(2)} s | ${ferry.warm.toFixed(2)} s${ferry.ok ? '' : ' (failed)'} | ${mb(ferry.peakMb)} |`,
    `| pip download | ${pip.cold.toFixed(2)} s | ${pip.warm.toFixed(2)} s${pip.ok ? '' : ' (failed)'} | ${mb(pip.peakMb)} |`,
  ];
  const goals: Goal[] = [
    goalAtMost(
      'warm ferry bundle ÷ warm pip download',
      ferry.ok && pip.ok ? ferry.warm / pip.warm : Number.NaN,
      0.25,
    ),
  ];
  const notes: string[] = [];
  if (!ferry.ok || !existsSync(join(bundle, 'wheels'))) {
    notes.push(`install not timed: ferry bundle failed (${ferry.error})`);
    return { table, goals, notes };
  }

  // Install: every run into a new venv, inside a network namespace with no network.
  const offline = unshareWorks();
  if (!offline) notes.push('unshare -n is not permitted here: installs ran with the network up');
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    offline ? ['unshare', ['-n', cmd, ...args]] : [cmd, args];
  const python = process.env.FERRY_PYTHON ?? 'python3';
  const key = join(dir, 'bench');
  execFileSync(process.execPath, [ferryBin, 'keygen', key], { env, stdio: 'ignore' });
  execFileSync(process.execPath, [ferryBin, 'sign', bundle, '--key', `${key}.key`], {
    env,
    stdio: 'ignore',
  });
  const venv = (tool: string) => join(dir, `venv-${tool}`);
  const once = (
    tool: string,
    cmd: string,
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
  ): Timed => {
    rmSync(venv(tool), { recursive: true, force: true });
    // Each installer starts with the disk quiet: the previous run's gigabyte of writes (and its
    // removal) flushed first, so it is not charged to the next one.
    spawnSync('sync');
    const [c, a] = wrap(cmd, args);
    const r = time(c, a, { ...env, ...extraEnv });
    rmSync(venv(tool), { recursive: true, force: true });
    return r;
  };
  const wheels = join(bundle, 'wheels');
  const requirements = join(bundle, 'requirements.txt');
  const ferryInstall = once(
    'ferry',
    process.execPath,
    [
      ferryBin,
      'install',
      bundle,
      '--venv',
      venv('ferry'),
      '--trusted-key',
      `${key}.pub`,
      '--smoke',
      'none',
      '--json',
    ],
    { FERRY_CACHE_DIR: ferryCache },
  );
  // ferry install picks uv when the bundle carries it and it runs here, else pip: say which ran.
  const installer = installerOf(ferryInstall.stdout);
  notes.push(`ferry install ran ${installer}`);
  const pipInstall = once('pip', 'sh', [
    '-c',
    `"$0" -m venv "$1" && "$1/bin/pip" install --quiet --no-index --no-cache-dir --disable-pip-version-check --find-links "$2" -r "$3"`,
    python,
    venv('pip'),
    wheels,
    requirements,
  ]);
  const uvInstall = once('uv', 'sh', [
    '-c',
    `"$0" venv --quiet --python "$1" "$2" && "$0" pip install --quiet --offline --no-index --find-links "$3" -r "$4" --python "$2/bin/python" --cache-dir "$5"`,
    peers.uv,
    python,
    venv('uv'),
    wheels,
    requirements,
    join(dir, `cache-uv-${Math.random()}`),
  ]);
  for (const [tool, r] of [
    ['ferry install', ferryInstall],
    ['pip install', pipInstall],
    ['uv pip install', uvInstall],
  ] as const)
    console.error(
      `install ${tool.padEnd(15)} ${r.seconds.toFixed(2)} s  peak ${mb(r.peakMb)}${tool === 'ferry install' ? `  (${installer})` : ''}${r.ok ? '' : `  FAILED: ${r.error}`}`,
    );
  table.push(
    '',
    `| offline install into a new venv${offline ? ' (unshare -n)' : ''} | time | ÷ pip | peak |`,
    '|---|---|---|---|',
    ...[
      [`ferry install --smoke none (${installer})`, ferryInstall],
      ['venv + pip install --no-index', pipInstall],
      ['uv venv + uv pip install --offline (empty cache)', uvInstall],
    ].map(
      ([label, r]) =>
        `| ${label as string} | ${(r as Timed).seconds.toFixed(2)} s${(r as Timed).ok ? '' : ' (failed)'} | ${((r as Timed).seconds / pipInstall.seconds).toFixed(2)}× | ${mb((r as Timed).peakMb)} |`,
    ),
  );
  goals.push(
    goalAtMost(
      'offline ferry install ÷ pip install --no-index',
      ferryInstall.ok && pipInstall.ok ? ferryInstall.seconds / pipInstall.seconds : Number.NaN,
      0.3,
    ),
  );
  return { table, goals, notes };
}

/** The installer named in `ferry install --json`'s result line ("uv 0.13.9: why"), or why not known. */
export function installerOf(stdout: string): string {
  for (const line of stdout.split('\n').reverse()) {
    try {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.event !== 'result') continue;
      const used = (event as { installer?: { name?: string; version?: string; reason?: string } })
        .installer;
      if (used?.name === undefined) return 'installer not recorded';
      return `${used.name} ${used.version ?? ''}${used.reason === undefined ? '' : `: ${used.reason}`}`.trim();
    } catch {
      // not a JSON line
    }
  }
  return 'installer unknown (no result)';
}
