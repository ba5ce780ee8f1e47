/**
 * `--index NAME=URL` with the name of an index in ferry's framework table replaces that index
 * with a mirror for the lock: the framework's files are fetched from the URL given, and the
 * mirror serves only the project the table pins to it. Two user indexes of one name are
 * still refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

let mirror: LocalIndex;
let main: LocalIndex;
before(async () => {
  // A mirror of PyTorch's cu118 index: the CUDA 11.8 build, with the vendor's file name.
  mirror = await startLocalIndex([
    { name: 'torch', version: '2.7.1+cu118', tag: 'cp310-cp310-manylinux_2_28_x86_64' },
  ]);
  // The configured index has no torch at all, so a lock that works took it from the mirror.
  main = await startLocalIndex([{ name: 'unrelated', version: '1.0' }]);
});
after(async () => {
  await mirror.close();
  await main.close();
});

const lockArgs = (work: string, extra: readonly string[]) => [
  'lock',
  '--framework',
  'torch',
  '--framework-version',
  '2.7.1',
  '--cuda',
  '11.8',
  '--driver',
  '535.54.03',
  ...['--python', '3.10', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'],
  '--isolated',
  '--index-url',
  main.url,
  // Nothing here may reach the vendor's real index: fail fast if something tries.
  '--timeout',
  '2',
  '--retries',
  '0',
  '-o',
  join(work, 'pylock.toml'),
  ...extra,
];

for (const name of ['pytorch-cu118', 'torch-cu118']) {
  test(`--index ${name}=URL replaces the table's PyTorch cu118 index: torch is fetched from the URL given`, async () => {
    const work = tempDir();
    const r = await runCli(lockArgs(work, ['--index', `${name}=${mirror.url}`]), {
      env: isolatedEnv(join(work, 'cache')),
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lock = readFileSync(join(work, 'pylock.toml'), 'utf8');
    assert.match(lock, /name = "torch"/);
    assert.match(lock, /version = "2\.7\.1\+cu118"/);
    const wheel = /url = "([^"]*torch-2\.7\.1%2Bcu118[^"]*\.whl)"/.exec(lock)?.[1];
    assert.ok(wheel !== undefined, lock);
    assert.equal(new URL(wheel).origin, new URL(mirror.url).origin, lock);
  });
}

test('two user indexes of one name are still refused (exit 2)', async () => {
  const work = tempDir();
  const r = await runCli(
    lockArgs(work, ['--index', `mine=${mirror.url}`, '--index', `mine=${main.url}`]),
    { env: isolatedEnv(join(work, 'cache')) },
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the index "mine" is given twice on the command line/);
});

test('a table index given twice by the user, under its name and its older pin name, is refused', async () => {
  const work = tempDir();
  const r = await runCli(
    lockArgs(work, [
      '--index',
      `pytorch-cu118=${mirror.url}`,
      '--index',
      `torch-cu118=${main.url}`,
    ]),
    { env: isolatedEnv(join(work, 'cache')) },
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /given twice/);
});
