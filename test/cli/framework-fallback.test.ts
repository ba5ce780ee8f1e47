/**
 * --framework without --framework-version takes the newest release that the build's index
 * holds for the target (read when ferry locks), and says which newer one it passed over. With
 * --framework-version the pin is kept and the refusal stands.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

let index: LocalIndex;
before(async () => {
  index = await startLocalIndex([
    // The newest releases exist only for x86_64, as happens on aarch64 for a while after a release;
    // and 3.3.1 only for Python 3.11.
    { name: 'paddlepaddle', version: '3.3.1', tag: 'cp311-cp311-manylinux1_x86_64' },
    { name: 'paddlepaddle', version: '3.3.0', tag: 'cp310-cp310-manylinux1_x86_64' },
    { name: 'paddlepaddle', version: '3.2.2', tag: 'cp310-cp310-manylinux2014_aarch64' },
    // A CUDA build whose newest releases are missing too (served as a mirror of the vendor index).
    { name: 'paddlepaddle-gpu', version: '3.2.2', tag: 'cp310-cp310-manylinux1_x86_64' },
  ]);
});
after(() => index.close());

const target = ['--python', '3.10', '--os', 'linux', '--arch', 'aarch64', '--glibc', '2.28'];

test('the newest release without a wheel for the target on the index gives way to an older one, and says so', async () => {
  const work = tempDir();
  const r = await runCli(
    [
      'lock',
      '--framework',
      'paddle',
      '--cuda',
      'cpu',
      ...['--python', '3.10', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'],
      '--isolated',
      '--index-url',
      index.url,
      '-o',
      join(work, 'pylock.toml'),
      '--json',
    ],
    {
      env: isolatedEnv(join(work, 'cache')),
    },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const result = r.events.find((e) => e.event === 'result') as {
    packages: { name: string; version: string }[];
  };
  // 3.3.1 is on the index, but not for Python 3.10: the pin names a file that exists.
  assert.deepEqual(
    result.packages.map((p) => `${p.name}==${p.version}`),
    ['paddlepaddle==3.3.0'],
  );
  const infos = r.events.filter((e) => e.event === 'info').map((e) => String(e.message));
  assert.ok(
    infos.some((m) => /PaddlePaddle 3\.3\.1 has no build for this target; chose 3\.3\.0/.test(m)),
    infos.join('\n'),
  );
});

test('--framework-version is a pin: no fallback', async () => {
  const work = tempDir();
  const r = await runCli(
    [
      'lock',
      '--framework',
      'paddle',
      '--framework-version',
      '3.3.1',
      '--cuda',
      'cpu',
      ...target,
      '--isolated',
      '--index-url',
      index.url,
      '-o',
      join(work, 'pylock.toml'),
    ],
    {
      env: isolatedEnv(join(work, 'cache')),
    },
  );
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /PaddlePaddle 3\.3\.1 publishes no wheels for linux aarch64/);
  assert.match(r.stderr, /3\.2\.2/);
});

test('a CPU build prints none of the notes about CUDA builds, however many releases are tried', async () => {
  const work = tempDir();
  const r = await runCli(
    [
      'lock',
      '--framework',
      'paddle',
      '--cuda',
      'cpu',
      ...target,
      '--isolated',
      '--index-url',
      index.url,
      '-o',
      join(work, 'pylock.toml'),
    ],
    { env: isolatedEnv(join(work, 'cache')) },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /chose 3\.2\.2/);
  assert.doesNotMatch(r.stderr, /paddlepaddle-gpu|nvidia-|CUDA/, r.stderr);
});

test('a CUDA build prints each of its notes once, however many releases are tried', async () => {
  const work = tempDir();
  const r = await runCli(
    [
      'lock',
      '--framework',
      'paddle',
      '--cuda',
      '11.8',
      '--driver',
      '535.54.03',
      ...['--python', '3.10', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'],
      '--isolated',
      '--index-url',
      index.url,
      '--explicit-index',
      `paddle-mirror=${index.url}`,
      '--index-for',
      'paddlepaddle-gpu=paddle-mirror',
      '-o',
      join(work, 'pylock.toml'),
      '--json',
    ],
    { env: isolatedEnv(join(work, 'cache')) },
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const result = r.events.find((e) => e.event === 'result') as {
    packages: { name: string; version: string }[];
  };
  // The user's mirror (--index-for) is the index read for the releases it has.
  assert.deepEqual(
    result.packages.map((p) => `${p.name}==${p.version}`),
    ['paddlepaddle-gpu==3.2.2'],
  );
  const infos = r.events.filter((e) => e.event === 'info').map((e) => String(e.message));
  const notes = infos.filter((m) => /nvidia-\*|CUDA index/.test(m));
  assert.ok(notes.length > 0, infos.join('\n'));
  assert.equal(new Set(notes).size, notes.length, infos.join('\n'));
});
