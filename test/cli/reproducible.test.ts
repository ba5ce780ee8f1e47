/**
 * The same lock rebuilds the same bundle: two `ferry bundle --lock` runs in different folders,
 * with different caches, give byte-identical folders and byte-identical packed archives.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

let index: LocalIndex;
before(async () => {
  index = await startLocalIndex([
    { name: 'app', version: '1.0', requiresDist: ['lib>=1', 'extra-bits; python_version < "3.8"'] },
    { name: 'lib', version: '1.2', requiresDist: ['tiny'] },
    { name: 'tiny', version: '0.1' },
    { name: 'extra-bits', version: '2.0' },
  ]);
});
after(() => index.close());

function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

test('two bundles built from one lock in different folders are byte-identical, and so are their packs', {
  timeout: 120_000,
}, async () => {
  const work = tempDir();
  const target = ['-t', 'centos-7', '-t', 'ubuntu-22.04', '--isolated', '--index-url', index.url];
  const lock = join(work, 'pylock.toml');
  const locked = await runCli(['lock', 'app', ...target, '-o', lock], {
    env: isolatedEnv(join(work, 'cache-0')),
  });
  assert.equal(locked.code, 0, locked.stderr);
  const builds = ['first/place', 'second'].map((p) => join(work, p, 'bundle'));
  for (const [i, dir] of builds.entries()) {
    const r = await runCli(
      ['bundle', '--lock', lock, '--isolated', '--index-url', index.url, '-o', dir],
      {
        env: isolatedEnv(join(work, `cache-${i + 1}`)),
      },
    );
    assert.equal(r.code, 0, r.stderr);
  }
  const [a, b] = builds.map(tree) as [Map<string, Buffer>, Map<string, Buffer>];
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [path, bytes] of a)
    assert.ok(bytes.equals(b.get(path)!), `${path} differs between the two builds`);
  // extra-bits is needed by CentOS 7's Python 3.6 only: the bundle carries it, marked for that target.
  const manifest = JSON.parse(a.get('manifest.json')!.toString()) as {
    packages: { name: string; targets: string[] }[];
  };
  assert.deepEqual(manifest.packages.find((p) => p.name === 'extra-bits')?.targets, ['centos-7']);

  const archives = builds.map((_dir, i) => join(work, `pack-${i}`, 'demo.ferry.tar'));
  for (const [i, dir] of builds.entries()) {
    const r = await runCli(['pack', dir, '-o', archives[i]!], {
      env: isolatedEnv(join(work, 'cache-x')),
    });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.ok(
    readFileSync(archives[0]!).equals(readFileSync(archives[1]!)),
    'the packed archives differ',
  );
  const verified = await runCli(['verify', archives[0]!, '--allow-unsigned'], {
    env: isolatedEnv(join(work, 'cache-x')),
  });
  assert.equal(verified.code, 0, verified.stderr);
});
