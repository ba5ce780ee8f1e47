/**
 * Differential test: ferry's resolution against pip's, on real projects from the configured index.
 *
 * Both tools see exactly one index: the main index of pip's configuration on this machine
 * (`loadIndexSettings().indexUrl`), with every other configured source (extra indexes, find-links,
 * constraint files) switched off: pip runs with `--isolated --index-url X` and
 * `PIP_CONFIG_FILE=/dev/null`, ferry with the same settings built from that URL alone.
 *
 * pip resolves with `pip install --dry-run --ignore-installed --target TMP --report FILE
 * --only-binary=:all: --platform P... --python-version X.Y --implementation cp --abi cpXY`: the same
 * finder and resolver as `pip download` with the same options, but reading PEP 658 metadata instead of
 * downloading every wheel. `--platform` is given every tag of `platformTags()` (pip does not expand
 * manylinux ranges itself, pypa/pip#10760).
 *
 * pip evaluates environment markers on the host, not on the `--platform`/`--python-version` target
 * (pypa/pip#10050). So when the closures differ, ferry resolves again with the target's tags and
 * Python but the host's markers ("pip's view"); if that equals pip's closure, the difference is
 * explained by #10050. Any other difference must be listed in KNOWN_DIFFERENCES with its reason, or
 * the test fails.
 *
 * For the host target a few closures are also bundled and installed with no network at all
 * (`unshare -n`), and `pip check` must be clean.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FerryError } from '../../src/core/errors.js';
import { hostTarget } from '../../src/host/host-target.js';
import { settleTargets } from '../../src/host/target-spec.js';
import type { IndexClient } from '../../src/index/client.js';
import { type IndexConfig, settleIndexes } from '../../src/index/index-config.js';
import { loadIndexSettings } from '../../src/index/pip-config.js';
import { indexClientFor, indexDescriptions, lockRequirements } from '../../src/ops/lock.js';
import { normalizeName } from '../../src/standards/name.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import { platformTags } from '../../src/standards/tags.js';
import type { Target } from '../../src/standards/target.js';

const run = promisify(execFile);

/** Real requirement sets: small pure-Python and compiled projects, 1–3 per set. */
const SETS: readonly (readonly string[])[] = [
  ['requests'],
  ['flask'],
  ['httpx'],
  ['httpx[http2]'],
  ['pyyaml'],
  ['numpy'],
  ['pandas'],
  ['pillow'],
  ['protobuf'],
  ['networkx'],
  ['click', 'jinja2'],
  ['attrs', 'idna', 'certifi'],
  ['urllib3', 'charset-normalizer'],
  ['six', 'packaging', 'typing-extensions'],
  ['rich'],
  ['pydantic'],
  ['tqdm'],
  ['requests<2.30', 'urllib3<2'],
  ['protobuf<=3.20.3', 'numpy<2'],
  ['markupsafe', 'werkzeug'],
  ['python-dateutil', 'pytz'],
  ['aiohttp'],
  ['flask[async]'],
];

/** Sets installed offline for the host target (kept small: pip check must be clean). */
const INSTALL_SETS: readonly (readonly string[])[] = [['requests'], ['flask'], ['pyyaml', 'numpy']];

type TargetKind = 'host' | 'linux-aarch64-cp310-glibc2.28' | 'linux-x86_64-cp39-glibc2.17';

/**
 * Differences that are not explained by pip's host markers, each with its reason. Key:
 * `${set.join(' ')} @ ${target}` → package → reason. Empty: none were found when this was written.
 */
const KNOWN_DIFFERENCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {};

const WORK = resolve('.ferry-work/pip-differential');
const PIP_CACHE = join(WORK, 'pip-cache');
const FERRY_CACHE = join(WORK, 'ferry-cache');
// The interpreter itself, not a version manager's shim: pyenv's shim runs a rehash hook after
// `pip install`, and parallel runs then fail on its lock ("cannot rehash").
const PYTHON = spawnSync(
  process.env.FERRY_PYTHON ?? 'python3',
  ['-c', 'import sys; print(sys.executable)'],
  {
    encoding: 'utf8',
  },
).stdout.trim();

type Outcome = { ok: true; versions: Record<string, string> } | { ok: false; error: string };

interface Context {
  indexUrl: string;
  settings: IndexConfig;
  client: IndexClient;
  host: Target;
  targets: Record<TargetKind, Target>;
}

let ctx: Context | undefined;
let unreachable: string | undefined;
const temps: string[] = [];

before(async () => {
  const pip = await loadIndexSettings();
  const indexUrl = pip.indexUrl;
  try {
    const response = await fetch(`${indexUrl.replace(/\/$/, '')}/pip/`, {
      signal: AbortSignal.timeout(20_000),
    });
    if (!response.ok) unreachable = `the configured index answered HTTP ${response.status}`;
  } catch (error) {
    unreachable = `the configured index cannot be reached: ${(error as Error).message}`;
  }
  const settings = await settleIndexes({
    pip: {
      indexUrl,
      extraIndexUrls: [],
      findLinks: [],
      noIndex: false,
      sources: ['index-url from pip (differential test)'],
    },
    io: { readFile: async () => undefined },
  });
  await mkdir(WORK, { recursive: true });
  const host = (await hostTarget()).target;
  const [aarch64] = await settleTargets({
    python: '3.10',
    os: 'linux',
    arch: 'aarch64',
    glibc: '2.28',
  });
  const [x86] = await settleTargets({ python: '3.9', os: 'linux', arch: 'x86_64', glibc: '2.17' });
  ctx = {
    indexUrl,
    settings,
    client: indexClientFor(settings, FERRY_CACHE),
    host,
    targets: {
      host,
      'linux-aarch64-cp310-glibc2.28': aarch64!,
      'linux-x86_64-cp39-glibc2.17': x86!,
    },
  };
});

after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

async function ferryLock(set: readonly string[], target: Target): Promise<Outcome> {
  const c = ctx!;
  try {
    const locked = await lockRequirements({
      requirements: set.map((text) => ({
        requirement: parseRequirement(text),
        source: 'the command line',
      })),
      constraints: [],
      prereleases: false,
      targets: [target],
      client: c.client,
      indexes: indexDescriptions(c.settings),
    });
    return {
      ok: true,
      versions: Object.fromEntries(locked.packages.map((p) => [p.name, p.version])),
    };
  } catch (error) {
    if (error instanceof FerryError)
      return { ok: false, error: `${error.code}: ${error.message.split('\n')[0]}` };
    throw error;
  }
}

/** pip's own environment: nothing but the one index. */
function pipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) env[k] = v;
  return {
    ...env,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
  };
}

async function pipResolve(
  set: readonly string[],
  kind: TargetKind,
  target: Target,
): Promise<Outcome> {
  const dir = await tempDir('ferry-pipdiff-');
  const report = join(dir, 'report.json');
  const args = [
    '-m',
    'pip',
    'install',
    '--isolated',
    '--index-url',
    ctx!.indexUrl,
    '--cache-dir',
    PIP_CACHE,
  ];
  args.push(
    '--dry-run',
    '--ignore-installed',
    '--target',
    join(dir, 'target'),
    '--report',
    report,
    '--only-binary=:all:',
    '--quiet',
  );
  if (kind !== 'host') {
    const [major, minor] = target.interpreter.version;
    for (const platform of platformTags(target.platform)) args.push('--platform', platform);
    args.push(
      '--python-version',
      `${major}.${minor}`,
      '--implementation',
      'cp',
      '--abi',
      `cp${major}${minor}`,
    );
  }
  args.push(...set);
  try {
    await run(PYTHON, args, { env: pipEnv(), timeout: 300_000, maxBuffer: 32 << 20 });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    const line =
      stderr.split('\n').find((l) => l.startsWith('ERROR')) ??
      stderr.trim().split('\n').pop() ??
      '';
    return { ok: false, error: line };
  }
  const parsed = JSON.parse(await readFile(report, 'utf8')) as {
    install: { metadata: { name: string; version: string } }[];
  };
  return {
    ok: true,
    versions: Object.fromEntries(
      parsed.install.map((i) => [normalizeName(i.metadata.name), i.metadata.version]),
    ),
  };
}

/** name: ferry's → pip's, for every package where they differ ('-' when absent). */
function differences(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[name] !== b[name]) out[name] = `${a[name] ?? '-'} → ${b[name] ?? '-'}`;
  }
  return out;
}

const formatOutcome = (o: Outcome) =>
  o.ok
    ? Object.entries(o.versions)
        .map(([n, v]) => `${n}==${v}`)
        .join(' ')
    : `fails: ${o.error}`;

async function compare(
  set: readonly string[],
  kind: TargetKind,
  log: (line: string) => void,
): Promise<void> {
  const target = ctx!.targets[kind];
  const [ferry, pip] = await Promise.all([ferryLock(set, target), pipResolve(set, kind, target)]);
  const key = `${set.join(' ')} @ ${kind}`;
  if (!ferry.ok || !pip.ok) {
    assert.equal(
      ferry.ok,
      pip.ok,
      `${key}: one tool resolves and the other fails\n  ferry: ${formatOutcome(ferry)}\n  pip:   ${formatOutcome(pip)}`,
    );
    log(
      `${key}: both fail (ferry: ${ferry.ok ? '' : ferry.error}; pip: ${pip.ok ? '' : pip.error})`,
    );
    return;
  }
  const diff = differences(ferry.versions, pip.versions);
  if (Object.keys(diff).length === 0) {
    log(`${key}: same ${Object.keys(ferry.versions).length} packages`);
    return;
  }
  log(`${key}: differs (ferry → pip): ${JSON.stringify(diff)}`);
  if (kind !== 'host') {
    // pip's view of the target: its tags and Python, but the host's markers (pypa/pip#10050).
    const pipView = await ferryLock(set, {
      ...target,
      name: `${target.name}-host-markers`,
      markers: ctx!.host.markers,
    });
    if (pipView.ok && Object.keys(differences(pipView.versions, pip.versions)).length === 0) {
      log(
        `  explained: pip evaluates markers on the host, not on the target (pypa/pip#10050); with the host's markers ferry picks what pip picks`,
      );
      return;
    }
  }
  const known = KNOWN_DIFFERENCES[key] ?? {};
  const unexplained = Object.keys(diff).filter((name) => known[name] === undefined);
  for (const name of Object.keys(diff))
    if (known[name] !== undefined) log(`  ${name}: ${known[name]}`);
  assert.deepEqual(
    unexplained,
    [],
    `${key}: unexplained differences (ferry → pip): ${JSON.stringify(diff)}`,
  );
}

describe('ferry and pip resolve the same closures', { concurrency: 6, timeout: 900_000 }, () => {
  for (const set of SETS) {
    test(set.join(' '), async (t) => {
      if (unreachable !== undefined) {
        t.skip(unreachable);
        return;
      }
      const kinds: TargetKind[] = [
        'host',
        'linux-aarch64-cp310-glibc2.28',
        'linux-x86_64-cp39-glibc2.17',
      ];
      const lines: string[] = [];
      const results = await Promise.allSettled(
        kinds.map((kind) => compare(set, kind, (line) => lines.push(line))),
      );
      for (const line of lines) t.diagnostic(line);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw failed[0]!.reason;
    });
  }
});

const unshareWorks = spawnSync('unshare', ['-n', 'true']).status === 0;

describe('the host closure installs with no network', { concurrency: 1, timeout: 900_000 }, () => {
  for (const set of INSTALL_SETS) {
    test(
      set.join(' '),
      unshareWorks
        ? {}
        : {
            skip: 'unshare -n is not available here (needs root or user namespaces): the offline install cannot be proven',
          },
      async (t) => {
        if (unreachable !== undefined) {
          t.skip(unreachable);
          return;
        }
        const dir = await tempDir('ferry-pipdiff-install-');
        const bundle = join(dir, 'bundle');
        const env = { ...pipEnv(), FERRY_CACHE_DIR: FERRY_CACHE, NO_COLOR: '1' };
        const ferry = ['bin/ferry.js'];
        await run(
          process.execPath,
          [...ferry, 'bundle', ...set, '--isolated', '--index-url', ctx!.indexUrl, '-o', bundle],
          { env, timeout: 600_000, maxBuffer: 32 << 20 },
        );
        const venv = join(dir, 'venv');
        await run(PYTHON, ['-m', 'venv', venv], { env, timeout: 120_000 });
        // No network namespace access: pip can only use the bundle's files.
        const install = spawnSync(
          'unshare',
          [
            '-n',
            join(venv, 'bin/python'),
            '-m',
            'pip',
            'install',
            '--isolated',
            '--no-index',
            '--find-links',
            join(bundle, 'wheels'),
            '--require-hashes',
            '-r',
            join(bundle, 'requirements.txt'),
          ],
          { env, encoding: 'utf8', timeout: 600_000 },
        );
        assert.equal(
          install.status,
          0,
          `offline install failed:\n${install.stdout}\n${install.stderr}`,
        );
        const check = spawnSync(join(venv, 'bin/python'), ['-m', 'pip', 'check'], {
          env,
          encoding: 'utf8',
        });
        assert.equal(check.status, 0, `pip check:\n${check.stdout}\n${check.stderr}`);
        t.diagnostic(`${set.join(' ')}: installed offline, pip check: ${check.stdout.trim()}`);
      },
    );
  }
});
