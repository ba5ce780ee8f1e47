/**
 * `ferry lock` with a project that publishes only sdists: it is locked with its sdist (PEP 751
 * [packages.sdist]) and a warning says ferry bundle will build it on this host. Its metadata is
 * dynamic (PKG-INFO 2.1), so the PEP 517 hook runs in an isolated build environment. A local
 * index on 127.0.0.1 serves the dependency; a find-links folder holds the sdist.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { tinySdist } from './fixtures.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.36'];

describe('lock: source-only projects', () => {
  let index: LocalIndex;
  let work: string;
  let links: string;
  before(async () => {
    index = await startLocalIndex([
      { name: 'dep', version: '1.0' },
      // winonly: wheels for another platform only (as Polygon3's old Windows wheels): no wheel
      // fits a Linux target, so its sdist is built on this host.
      { name: 'winonly', version: '1.0', tag: 'cp311-cp311-win_amd64' },
      // somewheel: a Linux wheel in 1.0, only an sdist in 2.0: it keeps to its wheel versions.
      { name: 'somewheel', version: '1.0' },
    ]);
    work = tempDir();
    links = tempDir('ferry-links-');
    await writeFile(
      join(links, 'tinypure-1.0.tar.gz'),
      tinySdist({ name: 'tinypure', version: '1.0', requiresDist: ['dep>=1'] }),
    );
    await writeFile(
      join(links, 'winonly-2.0.tar.gz'),
      tinySdist({ name: 'winonly', version: '2.0' }),
    );
    await writeFile(
      join(links, 'somewheel-2.0.tar.gz'),
      tinySdist({ name: 'somewheel', version: '2.0' }),
    );
  });
  after(async () => {
    await index.close();
  });
  const ferry = (command: string, args: string[]) =>
    runCli(
      [command, ...args, ...TARGET, '--isolated', '--index-url', index.url, '--find-links', links],
      { env: isolatedEnv(join(work, 'cache')) },
    );

  test('an sdist-only project is locked with its sdist, its dependencies from its backend, and a warning', async () => {
    const out = join(work, 'pylock.toml');
    const r = await ferry('lock', ['tinypure', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /tinypure 1\.0 has no wheel for the target, only a source distribution: ferry bundle will build it into a wheel on this host/,
    );
    assert.match(r.stderr, /prepare_metadata_for_build_wheel/);
    const pylock = await readFile(out, 'utf8');
    assert.match(pylock, /\[packages\.sdist\]\nname = "tinypure-1\.0\.tar\.gz"/);
    assert.match(pylock, /name = "dep"/);
    // Build requirements belong to the builder, not the target: no setuptools/wheel in the lock.
    assert.doesNotMatch(pylock, /setuptools|name = "wheel"/);
    assert.doesNotMatch(r.stderr, /building it on the target/);
  });

  test('a project with wheels for other platforms only is built on this host for a Linux target', {
    skip:
      process.platform === 'linux' && process.arch === 'x64'
        ? false
        : 'the target is linux x86_64; this host builds for another platform',
  }, async () => {
    const r = await ferry('lock', ['winonly', '-o', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /winonly 2\.0 has no wheel for the target, only a source distribution: ferry bundle will build it into a wheel on this host/,
    );
    assert.match(r.stdout, /\[packages\.sdist\]\nname = "winonly-2\.0\.tar\.gz"/);
    assert.match(r.stdout, /build = "host"/);
    assert.doesNotMatch(r.stdout, /win_amd64/);
  });

  test('a project with a wheel for the target in some version keeps to its wheel versions', async () => {
    const latest = await ferry('lock', ['somewheel', '-o', '-']);
    assert.equal(latest.code, 0, latest.stderr);
    assert.match(latest.stdout, /name = "somewheel"\nversion = "1\.0"/);
    assert.doesNotMatch(latest.stdout, /somewheel-2\.0\.tar\.gz/);
    const pinned = await ferry('lock', ['somewheel==2.0', '-o', '-']);
    assert.equal(pinned.code, 3, pinned.stderr);
    assert.match(pinned.stderr, /--allow-sdist somewheel/);
  });

  test('--allow-sdist keeps the sdist for the target; dynamic metadata comes from its backend, with a warning', async () => {
    const r = await ferry('lock', ['tinypure', '--allow-sdist', 'tinypure', '-o', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /prepare_metadata_for_build_wheel/);
    assert.match(
      r.stderr,
      /tinypure-1\.0\.tar\.gz is carried to be built on the target, but its dependencies are dynamic/,
    );
    assert.match(r.stdout, /tinypure-1\.0\.tar\.gz/);
    assert.doesNotMatch(r.stdout, /build = "host"/);
  });
});
