/**
 * What a new user meets with --framework: every reason a build cannot run is reported at once,
 * each with its fix, and every command a hint names works when run (through the real CLI,
 * against a local index on 127.0.0.1; vendor indexes come from a copy of ferry's table whose
 * URLs point at a closed local port, so nothing leaves this machine).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { type CliResult, isolatedEnv, runCli, tempDir } from './run-cli.js';

const X86 = ['--python', '3.10', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];

let index: LocalIndex;
let deadTable = '';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

before(async () => {
  index = await startLocalIndex([
    // PyPI has paddlepaddle aarch64 wheels up to 3.2.2 only.
    { name: 'paddlepaddle', version: '3.2.2', tag: 'cp39-cp39-manylinux2014_aarch64' },
    { name: 'paddlepaddle-gpu', version: '3.3.1', tag: 'cp310-cp310-manylinux1_x86_64' },
    { name: 'paddlepaddle-gpu', version: '2.6.2.post112', tag: 'cp310-cp310-manylinux1_x86_64' },
    { name: 'paddlepaddle-gpu', version: '2.6.2', tag: 'cp310-cp310-manylinux1_x86_64' },
    { name: 'paddlepaddle-gpu', version: '1.7.0', tag: 'cp37-cp37m-manylinux1_x86_64' },
    { name: 'torch', version: '2.7.1+cu126', tag: 'cp310-cp310-manylinux_2_28_x86_64' },
  ]);
  // ferry's own table, with every vendor index on a port where nothing listens.
  const port = await closedPort();
  const table = JSON.parse(readFileSync('data/frameworks.json', 'utf8')) as {
    indexes: Record<string, string>;
  };
  for (const name of Object.keys(table.indexes))
    table.indexes[name] = `http://127.0.0.1:${port}/${name}/`;
  deadTable = join(tempDir('ferry-table-'), 'frameworks.json');
  writeFileSync(deadTable, JSON.stringify(table));
});
after(() => index.close());

function ferry(args: readonly string[], json = false): Promise<CliResult> {
  const work = tempDir();
  return runCli(
    [
      'lock',
      ...args,
      '--isolated',
      '--index-url',
      index.url,
      '-o',
      join(work, 'pylock.toml'),
      ...(json ? ['--json'] : []),
    ],
    { env: isolatedEnv(join(work, 'cache'), { FERRY_FRAMEWORKS: deadTable }) },
  );
}

function locked(r: CliResult): string[] {
  const result = r.events.find((e) => e.event === 'result') as
    | { packages: { name: string; version: string }[] }
    | undefined;
  assert.ok(result, r.stdout + r.stderr);
  return result.packages.map((p) => `${p.name}==${p.version}`);
}

/** The text of a refusal: the message and the hint, as a person reads them. */
function said(r: CliResult): string {
  return r.stderr;
}

describe('--framework refusals', () => {
  it('Kylin V10 (preset) with CUDA: the Python and the missing ARM GPU builds at once; following both fixes works', async () => {
    const r = await ferry([
      '--framework',
      'paddle',
      '--target',
      'kylin-v10-aarch64',
      '--cuda',
      '11.8',
    ]);
    assert.equal(r.code, 3, r.stderr);
    const text = said(r);
    assert.match(text, /for 2 reasons/);
    assert.match(text, /Python 3\.7\.9/);
    assert.match(text, /no CUDA build of PaddlePaddle \S+ for linux aarch64, only the CPU build/);
    assert.equal((text.match(/\n\s+fix: /g) ?? []).length, 2, text);
    const python = /lock for it \(--python (\d+\.\d+)\)/.exec(text)?.[1];
    const cuda = /Use --cuda (cpu)\b/.exec(text)?.[1];
    assert.ok(python !== undefined && cuda !== undefined, text);
    const fixed = await ferry(
      [
        '--framework',
        'paddle',
        '--target',
        'kylin-v10-aarch64',
        '--python',
        python,
        '--cuda',
        cuda,
      ],
      true,
    );
    assert.equal(fixed.code, 0, fixed.stderr + fixed.stdout);
    assert.deepEqual(locked(fixed), ['paddlepaddle==3.2.2']);
  });

  it('driver 470 is offered a CUDA build the table has and the driver runs, and that command works', async () => {
    const r = await ferry([
      '--framework',
      'paddle',
      '--cuda',
      '11.8',
      '--driver',
      '470.82.01',
      ...X86,
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_VARIANT_DRIVER_TOO_OLD/);
    assert.doesNotMatch(r.stderr, /--cuda 11\.4/);
    const m = /--framework-version (\S+) --cuda (\d+\.\d+)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const [, version, cuda] = m as unknown as [string, string, string];
    // The build comes from its vendor index; here a mirror of it on 127.0.0.1 stands in.
    const followed = await ferry(
      [
        '--framework',
        'paddle',
        '--framework-version',
        version,
        '--cuda',
        cuda,
        '--driver',
        '470.82.01',
        ...X86,
        '--explicit-index',
        `mirror=${index.url}`,
        '--index-for',
        'paddlepaddle-gpu=mirror',
      ],
      true,
    );
    assert.equal(followed.code, 0, followed.stderr + followed.stdout);
    assert.doesNotMatch(followed.stdout + followed.stderr, /ERR_FERRY_VARIANT/);
    assert.deepEqual(locked(followed), ['paddlepaddle-gpu==2.6.2.post112']);
  });

  it('an unreachable vendor index is named; the configured indexes stand in when they hold the same build', async () => {
    const args = [
      '--framework',
      'torch',
      '--framework-version',
      '2.7.1',
      '--cuda',
      '12.6',
      '--driver',
      '560.35.03',
      ...X86,
    ];
    const r = await ferry(args, true);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(
      locked(r).filter((p) => p.startsWith('torch==')),
      ['torch==2.7.1+cu126'],
    );
    const warnings = r.events.filter((e) => e.event === 'warning').map((e) => String(e.message));
    assert.ok(
      warnings.some((w) => /\/pytorch-cu126\/ could not be reached/.test(w)),
      warnings.join('\n'),
    );
  });

  it('an unreachable vendor index without the build on the configured indexes: refused, naming the URL, what the configured indexes have, and the mirror flag that works', async () => {
    const args = [
      '--framework',
      'paddle',
      '--framework-version',
      '3.3.1',
      '--cuda',
      '12.6',
      '--driver',
      '560.35.03',
      ...X86,
    ];
    const r = await ferry(args);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_VARIANT_UNPUBLISHED/);
    assert.match(r.stderr, /\/paddle-3-cu126\/ could not be reached/);
    // paddlepaddle-gpu 3.3.1 on the configured index could be any CUDA build: not taken.
    assert.match(r.stderr, /names no build/);
    assert.match(r.stderr, /configured indexes have: paddlepaddle-gpu 3\.3\.1, 2\.6\.2/);
    const m = /--index (paddle-3-cu126)=URL/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const followed = await ferry([...args, '--index', `paddle-3-cu126=${index.url}`], true);
    assert.equal(followed.code, 0, followed.stderr + followed.stdout);
    assert.deepEqual(locked(followed), ['paddlepaddle-gpu==3.3.1']);
  });

  it('a hand-written paddlepaddle-gpu==2.6.0.post118 is pointed at the --framework form, which works', async () => {
    const r = await ferry(['paddlepaddle-gpu==2.6.0.post118', ...X86]);
    assert.equal(r.code, 3, r.stderr);
    const m =
      /replace the requirement with (--framework \S+ --framework-version \S+ --cuda \d+\.\d+)/.exec(
        r.stderr,
      );
    assert.ok(m, r.stderr);
    assert.equal(m[1], '--framework paddle --framework-version 2.6.2 --cuda 11.8');
    assert.match(r.stderr, /2\.6\.0 is not in ferry's variant table/);
    const followed = await ferry([...(m[1] as string).split(' '), ...X86], true);
    assert.equal(followed.code, 0, followed.stderr + followed.stdout);
    assert.deepEqual(locked(followed), ['paddlepaddle-gpu==2.6.2']);
  });

  it('refusals exit with the documented statuses: 3 for a build that cannot run, 2 for an unknown framework', async () => {
    const unknown = await ferry(['--framework', 'mxnet', ...X86]);
    assert.equal(unknown.code, 2, unknown.stderr);
    const musl = await ferry(['--framework', 'paddle', '--target', 'alpine-3.20', '--cuda', 'cpu']);
    assert.equal(musl.code, 3, musl.stderr);
    assert.match(musl.stderr, /ERR_FERRY_VARIANT_MUSL/);
  });

  it('a preset says nothing of the driver: an explicit CUDA build is taken, with a note, not refused', async () => {
    const r = await ferry(
      ['--framework', 'paddle', '--framework-version', '2.6.2', '--cuda', '11.8', ...X86],
      true,
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(locked(r), ['paddlepaddle-gpu==2.6.2']);
    const infos = r.events.filter((e) => e.event === 'info').map((e) => String(e.message));
    assert.ok(
      infos.some((m) => /driver is not known here.*≥ 520\.61\.05/.test(m)),
      infos.join('\n'),
    );
  });
});
