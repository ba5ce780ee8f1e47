/**
 * pip's resolution options read from pip's configuration (a pip.conf named by PIP_CONFIG_FILE,
 * and PIP_* variables) change what `ferry lock` picks from a local index on 127.0.0.1, and a
 * `constraint =` changes it exactly as it changes the real pip's choice.
 *
 * The machine's own configuration is kept out: no PIP_* variable of the test process is passed
 * on, XDG_CONFIG_DIRS and HOME point at empty folders, and PIP_CONFIG_FILE names the test's file
 * (which also makes pip skip the user files). /etc/pip.conf is read by both tools alike.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawTarGz } from '../archive/tar-bytes.js';
import { tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import {
  ferryLock as lock,
  ferryPicks as picks,
  pipPicks as pip,
  pipEnvironment,
} from './pip-env.js';

/** A gzipped ustar archive (short names only). */
const sdistOf = (files: readonly [string, string][]): Buffer =>
  rawTarGz(files.map(([path, data]) => ({ path, data })));

/** An sdist whose PKG-INFO (Metadata-Version 2.2) declares its dependencies statically. */
const staticSdist = (name: string, version: string): Buffer =>
  sdistOf([
    [
      `${name}-${version}/PKG-INFO`,
      `Metadata-Version: 2.2\nName: ${name}\nVersion: ${version}\nRequires-Dist: dep>=1\n\n`,
    ],
    [`${name}-${version}/setup.py`, 'from setuptools import setup\nsetup()\n'],
  ]);

describe("pip's resolution options from pip's configuration", () => {
  let index: LocalIndex;
  let work: string;
  let links: string;

  before(async () => {
    index = await startLocalIndex([
      { name: 'alpha', version: '1.0' },
      { name: 'alpha', version: '1.1', requiresDist: ['beta>=1'] },
      { name: 'alpha', version: '2.0', requiresDist: ['beta>=2'] },
      { name: 'beta', version: '1.0' },
      { name: 'beta', version: '2.0' },
      { name: 'beta', version: '3.0' },
      { name: 'pr', version: '1.0' },
      { name: 'pr', version: '2.0b1' },
      { name: 'dep', version: '1.0' },
      { name: 'setuptools', version: '70.0.0' },
      { name: 'wheel', version: '0.43.0' },
      // pb: 1.0 has a wheel, 2.0 only an sdist (in the find-links folder).
      { name: 'pb', version: '1.0' },
      // nb: a wheel and an sdist of the same version.
      { name: 'nb', version: '1.0' },
    ]);
    work = tempDir('ferry-pipopts-');
    links = join(work, 'links');
    await mkdir(links, { recursive: true });
    await writeFile(join(links, 'pb-2.0.tar.gz'), staticSdist('pb', '2.0'));
    await writeFile(join(links, 'nb-1.0.tar.gz'), staticSdist('nb', '1.0'));
    await writeFile(join(work, 'constraints.txt'), 'alpha<2\nbeta!=3.0\n');
  });
  after(async () => {
    await index.close();
  });

  /** A fresh pip.conf (index and find-links always set) and an environment that reads it. */
  async function pipEnv(conf: string, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
    return pipEnvironment(work, `index-url = ${index.url}\nfind-links = ${links}\n${conf}`, extra);
  }
  const ferryPicks = (args: readonly string[], env: NodeJS.ProcessEnv) => picks(work, args, env);
  const ferryLock = (args: readonly string[], env: NodeJS.ProcessEnv) => lock(work, args, env);
  const pipPicks = (reqs: readonly string[], env: NodeJS.ProcessEnv) => pip(work, reqs, env);

  test("a `constraint =` in pip.conf changes ferry's choice exactly as it changes pip's", async () => {
    const plain = await pipEnv('');
    const constrained = await pipEnv('constraint = constraints.txt\n');
    const [pipBefore, pipAfter, ferryBefore, ferryAfter] = await Promise.all([
      pipPicks(['alpha', 'beta'], plain),
      pipPicks(['alpha', 'beta'], constrained),
      ferryPicks(['alpha', 'beta'], plain),
      ferryPicks(['alpha', 'beta'], constrained),
    ]);
    // The constraint file matters (relative to the working directory, as pip opens it)...
    assert.deepEqual(pipBefore, { alpha: '2.0', beta: '3.0' });
    assert.deepEqual(pipAfter, { alpha: '1.1', beta: '2.0' });
    // ...and ferry picks what pip picks, with and without it.
    assert.deepEqual(ferryBefore, pipBefore);
    assert.deepEqual(ferryAfter, pipAfter);
  });

  test('PIP_CONSTRAINT applies like -c; --isolated ignores it', async () => {
    const env = await pipEnv('', { PIP_CONSTRAINT: join(work, 'constraints.txt') });
    assert.deepEqual(await ferryPicks(['alpha'], env), { alpha: '1.1', beta: '2.0' });
    assert.deepEqual(await ferryPicks(['alpha', '--isolated'], env), { alpha: '2.0', beta: '3.0' });
  });

  test('pre = yes in [install], or PIP_PRE, allows pre-releases as --pre does', async () => {
    assert.deepEqual(await ferryPicks(['pr'], await pipEnv('')), { pr: '1.0' });
    assert.deepEqual(await ferryPicks(['pr'], await pipEnv('[install]\npre = yes\n')), {
      pr: '2.0b1',
    });
    const env = await pipEnv('', { PIP_PRE: '1' });
    assert.deepEqual(await ferryPicks(['pr'], env), { pr: '2.0b1' });
    assert.deepEqual(await ferryPicks(['pr', '--isolated'], env), { pr: '1.0' });
    assert.deepEqual(await ferryPicks(['pr', '--pre'], await pipEnv('pre = no\n')), {
      pr: '2.0b1',
    });
  });

  test('no-binary for a project: refused without --allow-sdist, its sdist carried with it', async () => {
    const env = await pipEnv('no-binary = nb\n');
    const refused = await ferryLock(['nb'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ERR_FERRY_SDIST_REQUIRED/);
    assert.match(
      refused.stderr,
      /no-binary for "nb" \(no-binary from .*pip-\d+\.conf \[global\]\)/,
    );
    assert.match(refused.stderr, /--allow-sdist nb/);
    const allowed = await ferryLock(['nb', '--allow-sdist', 'nb'], env);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /nb-1\.0\.tar\.gz/);
    assert.doesNotMatch(allowed.stdout, /nb-1\.0-py3-none-any\.whl/);
    // Without the setting the wheel of the same version wins.
    const plain = await ferryLock(['nb', '--allow-sdist', 'nb'], await pipEnv(''));
    assert.match(plain.stdout, /nb-1\.0-py3-none-any\.whl/);
  });

  test('only-binary = :all: keeps sdists out even for --allow-sdist (PIP_ONLY_BINARY too)', async () => {
    assert.deepEqual(await ferryPicks(['pb', '--allow-sdist', 'pb'], await pipEnv('')), {
      pb: '2.0',
      dep: '1.0',
      setuptools: '70.0.0',
      wheel: '0.43.0',
    });
    assert.deepEqual(
      await ferryPicks(['pb', '--allow-sdist', 'pb'], await pipEnv('only-binary = :all:\n')),
      { pb: '1.0' },
    );
    assert.deepEqual(
      await ferryPicks(['pb', '--allow-sdist', 'pb'], await pipEnv('', { PIP_ONLY_BINARY: 'pb' })),
      { pb: '1.0' },
    );
  });

  test('prefer-binary (pip.conf or --prefer-binary): an older wheel beats a newer sdist', async () => {
    assert.deepEqual(
      await ferryPicks(['pb', '--allow-sdist', 'pb'], await pipEnv('prefer-binary = true\n')),
      { pb: '1.0' },
    );
    assert.deepEqual(
      await ferryPicks(['pb', '--allow-sdist', 'pb', '--prefer-binary'], await pipEnv('')),
      { pb: '1.0' },
    );
  });
});
