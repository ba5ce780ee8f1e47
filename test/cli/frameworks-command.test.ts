/**
 * `ferry frameworks` lists ferry's framework table (every build, its index and floors) and
 * `ferry frameworks choose` explains the build lock and bundle would take for a target, by the
 * same chooser and the same discovery of published releases; a refusal lists every reason with
 * its fix. The tests that check the table's answer run with --offline, so no vendor index is
 * asked (they would be unreachable from a test anyway).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

interface TableJson {
  indexes: Record<string, string>;
  series: { framework: string; variants: { index: string; cuda: string }[] }[];
}
const table = JSON.parse(readFileSync('data/frameworks.json', 'utf8')) as TableJson;

const x86 = ['--python', '3.10', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];
const env = () => isolatedEnv(join(tempDir(), 'cache'));
const result = (events: Record<string, unknown>[]) =>
  events.find((e) => e.event === 'result') as Record<string, unknown>;

test('ferry frameworks --json lists every build of the table, with its index URL and floors', async () => {
  const r = await runCli(['frameworks', '--json'], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  const builds = result(r.events).builds as {
    framework: string;
    cuda: string;
    index: { name: string; url: string | null };
    python: { min: string; max: string };
    driver: { full: string; minorCompat: string | null } | null;
    computeCapabilities: { min: string; max: string } | null;
    source: string;
  }[];
  const variants = table.series.flatMap((s) => s.variants);
  assert.equal(builds.length, variants.length);
  for (const b of builds) {
    assert.equal(b.index.url, b.index.name === 'default' ? null : table.indexes[b.index.name]);
    assert.ok(b.source.length > 0);
    assert.match(b.python.min, /^3\.\d+$/);
    // CPU and non-NVIDIA accelerator builds (rocm6.3, npu, xpu, dcu) need no NVIDIA driver.
    if (!/^\d/.test(b.cuda)) assert.equal(b.driver, null);
    else {
      assert.match(b.driver?.full ?? '', /^\d+/, JSON.stringify(b));
      assert.ok(b.computeCapabilities !== null, JSON.stringify(b));
    }
  }
});

test('ferry frameworks --framework torch lists only PyTorch, for people', async () => {
  const r = await runCli(['frameworks', '--framework', 'pytorch'], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^PyTorch /m);
  assert.doesNotMatch(r.stdout, /PaddlePaddle|TensorFlow/);
  assert.match(r.stdout, /index pytorch-cu\d+ http/);
  assert.match(r.stdout, /driver ≥ \d+[.\d]* \(compat ≥ \d+/);
  assert.match(r.stdout, /source: /);
});

test('ferry frameworks choose: the pin, its index (name and URL), why, exit 0', async () => {
  const r = await runCli(
    [
      'frameworks',
      'choose',
      '--framework',
      'paddle',
      '--framework-version',
      '2.6.2',
      '--cuda',
      '11.2',
      '--driver',
      '535.54.03',
      ...x86,
      '--offline',
      '--json',
    ],
    { env: env() },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const res = result(r.events);
  assert.equal(res.requirement, 'paddlepaddle-gpu==2.6.2.post112');
  assert.deepEqual(res.index, { name: 'paddle-2-cu112', url: table.indexes['paddle-2-cu112'] });
  assert.deepEqual(res.constraints, ['protobuf<=3.20.3']);
  assert.match(String(res.why), /CUDA 11\.2 build, as asked/);
});

test('ferry frameworks choose takes a preset target, --python and --driver like lock', async () => {
  const choose = (driver: string) =>
    runCli(
      [
        'frameworks',
        'choose',
        '--framework',
        'paddle',
        '--framework-version',
        '2.6.2',
        '--cuda',
        '11.2',
        '--driver',
        driver,
        '--target',
        'centos-7',
        '--python',
        '3.9',
        '--offline',
      ],
      { env: env() },
    );
  const fits = await choose('470.82.01');
  assert.equal(fits.code, 0, fits.stderr);
  assert.match(fits.stdout, /PaddlePaddle: paddlepaddle-gpu==2\.6\.2\.post112/);
  assert.match(fits.stdout, /index: +paddle-2-cu112 /);
  assert.match(fits.stdout, /glibc 2\.17/);
  const old = await choose('450.80.02');
  assert.equal(old.code, 3, old.stderr);
  assert.match(old.stderr, /ERR_FERRY_VARIANT_DRIVER_TOO_OLD/);
  assert.match(old.stderr, /Install NVIDIA driver ≥ 460\.27\.03/);
});

test('ferry frameworks choose: a refusal gives every reason with its fix and exits 3', async () => {
  const r = await runCli(
    [
      'frameworks',
      'choose',
      '--framework',
      'torch',
      '--cuda',
      '12.6',
      // No release has wheels for this Python, nor any wheel for this arch: two reasons.
      ...['--python', '3.5', '--os', 'linux', '--arch', 'loongarch64', '--glibc', '2.28'],
      '--offline',
      '--json',
    ],
    { env: env() },
  );
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const error = r.events.find((e) => e.event === 'error') as {
    code: string;
    details: { problems: { code: string; problem: string; fix: string }[] };
  };
  assert.match(error.code, /^ERR_FERRY_VARIANT_/);
  assert.ok(error.details.problems.length >= 2, JSON.stringify(error));
  for (const p of error.details.problems) assert.ok(p.fix.length > 0, JSON.stringify(p));
  const codes = error.details.problems.map((p) => p.code);
  assert.ok(codes.includes('ERR_FERRY_VARIANT_PYTHON'), codes.join());
  assert.ok(codes.includes('ERR_FERRY_VARIANT_SOURCE_ONLY'), codes.join());
});

test('ferry frameworks choose: an unknown framework is a usage error (exit 2)', async () => {
  const r = await runCli(['frameworks', 'choose', '--framework', 'jax', ...x86], { env: env() });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /jax/);
});

const unshare = spawnSync('unshare', ['-n', 'true']).status === 0;
test('ferry frameworks choose --offline needs no network (run with none)', {
  skip: unshare ? false : 'unshare -n is not permitted here (needs root or user namespaces)',
}, () => {
  const r = spawnSync(
    'unshare',
    [
      '-n',
      process.execPath,
      'bin/ferry.js',
      'frameworks',
      'choose',
      '--framework',
      'paddle',
      '--framework-version',
      '2.6.2',
      '--cuda',
      '12.0',
      '--driver',
      '535.54.03',
      ...x86,
      '--offline',
    ],
    { env: env(), encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /paddlepaddle-gpu==2\.6\.2\.post120/);
});

test('ferry frameworks choose with no network answers from the recorded availability, saying so', {
  skip: unshare ? false : 'unshare -n is not permitted here (needs root or user namespaces)',
}, () => {
  const r = spawnSync(
    'unshare',
    [
      '-n',
      process.execPath,
      'bin/ferry.js',
      'frameworks',
      'choose',
      '--framework',
      'paddle',
      '--cuda',
      'cpu',
      '--retries',
      '0',
      ...x86,
    ],
    { env: env(), encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /PaddlePaddle: paddlepaddle==3\./);
  assert.match(r.stderr + r.stdout, /availability recorded on \d{4}-\d{2}-\d{2}/);
});

let mirror: LocalIndex;
before(async () => {
  mirror = await startLocalIndex([
    { name: 'paddlepaddle-gpu', version: '2.6.2.post112', tag: 'cp310-cp310-manylinux1_x86_64' },
    { name: 'protobuf', version: '3.20.3' },
  ]);
});
after(() => mirror.close());

test('choose names the same build that lock then locks', async () => {
  const flags = [
    '--framework',
    'paddle',
    '--framework-version',
    '2.6.2',
    '--cuda',
    '11.2',
    '--driver',
    '535.54.03',
    ...x86,
  ];
  const chosen = await runCli(['frameworks', 'choose', ...flags, '--offline', '--json'], {
    env: env(),
  });
  assert.equal(chosen.code, 0, chosen.stderr);
  const res = result(chosen.events) as { requirement: string; index: { name: string } };
  const work = tempDir();
  const locked = await runCli(
    [
      'lock',
      ...flags,
      '--isolated',
      '--index-url',
      mirror.url,
      '--index',
      `${res.index.name}=${mirror.url}`,
      '-o',
      join(work, 'pylock.toml'),
      '--json',
    ],
    { env: isolatedEnv(join(work, 'cache')) },
  );
  assert.equal(locked.code, 0, locked.stdout + locked.stderr);
  const packages = result(locked.events).packages as { name: string; version: string }[];
  const [name, version] = res.requirement.split('==');
  assert.ok(
    packages.some((p) => p.name === name && p.version === version),
    JSON.stringify(packages),
  );
});
