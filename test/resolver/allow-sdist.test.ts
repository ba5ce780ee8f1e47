/**
 * A project with no wheel for the target (and, without --allow-sdist, one this host cannot build
 * for): the error names the versions with wheels and the
 * sdist-only ones and the ways out; `--allow-sdist NAME` carries the sdist with its build
 * requirements (setuptools + wheel served as wheels) through the real CLI, against a local
 * index on 127.0.0.1 plus a find-links folder holding hand-made sdists.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawTarGz } from '../archive/tar-bytes.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.36'];

// A target this host cannot build a native wheel for (another arch).
const FOREIGN_ARCH = process.arch === 'arm64' ? 'x86_64' : 'aarch64';
const FOREIGN = ['--python', '3.11', '--os', 'linux', '--arch', FOREIGN_ARCH, '--glibc', '2.36'];
const hostIsLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

const sdistOf = (files: readonly [string, string][]): Buffer =>
  rawTarGz(files.map(([path, data]) => ({ path, data })));

const pkgInfo = (name: string, version: string, lines: string[]) =>
  `Metadata-Version: 2.2\nName: ${name}\nVersion: ${version}\n${lines.join('\n')}\n\n`;

describe('--allow-sdist', () => {
  let index: LocalIndex;
  let work: string;
  let links: string;
  before(async () => {
    index = await startLocalIndex([
      { name: 'dep', version: '1.0' },
      { name: 'setuptools', version: '70.0.0' },
      { name: 'wheel', version: '0.43.0' },
      // cext: 1.0 has a Windows wheel only; 2.0 is an sdist in the find-links folder.
      { name: 'cext', version: '1.0', tag: 'cp311-cp311-win_amd64' },
      // legacy: an sdist with Metadata-Version 2.1 and setup.py only: dynamic.
      { name: 'legacy', version: '1.0', sdistOnly: true },
      // newsdist: 1.0 has a wheel, 2.0 only an sdist.
      { name: 'newsdist', version: '1.0' },
      { name: 'newsdist', version: '2.0', sdistOnly: true },
      // both: a wheel and (in find-links) an sdist of the same version.
      { name: 'both', version: '1.0' },
    ]);
    work = tempDir();
    links = tempDir('ferry-links-');
    await writeFile(
      join(links, 'cext-2.0.tar.gz'),
      sdistOf([
        [
          'cext-2.0/PKG-INFO',
          pkgInfo('cext', '2.0', ['Requires-Dist: dep>=1', 'Requires-Python: >=3.8']),
        ],
        ['cext-2.0/setup.py', 'from setuptools import setup\nsetup()\n'],
      ]),
    );
    await writeFile(
      join(links, 'pyproj-1.0.tar.gz'),
      sdistOf([
        ['pyproj-1.0/PKG-INFO', 'Metadata-Version: 2.1\nName: pyproj\nVersion: 1.0\n\n'],
        [
          'pyproj-1.0/pyproject.toml',
          '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "pyproj"\nversion = "1.0"\ndependencies = ["dep"]\n',
        ],
      ]),
    );
    await writeFile(
      join(links, 'both-1.0.tar.gz'),
      sdistOf([['both-1.0/PKG-INFO', pkgInfo('both', '1.0', [])]]),
    );
  });
  after(async () => {
    await index.close();
  });
  const ferry = (command: string, args: string[], target = TARGET) =>
    runCli(
      [command, ...args, ...target, '--isolated', '--index-url', index.url, '--find-links', links],
      {
        env: isolatedEnv(join(work, 'cache')),
      },
    );

  test('without it, for a target this host cannot build for: the error names the target, versions with wheels, sdist-only versions and the options', async () => {
    const r = await ferry('lock', ['cext', '-o', '-', '--json'], FOREIGN);
    assert.equal(r.code, 3, r.stderr);
    const error = r.events.find((e) => e.event === 'error') as {
      code: string;
      message: string;
      hint: string;
      details: Record<string, unknown>;
    };
    assert.ok(error, r.stdout);
    assert.equal(error.code, 'ERR_FERRY_NO_COMPATIBLE_FILE');
    assert.match(
      error.message,
      new RegExp(`"cext" has no file that installs on .*Linux ${FOREIGN_ARCH}, glibc 2\\.36`),
    );
    assert.match(error.message, /Versions with wheels \(for other platforms or Pythons\): 1\.0/);
    assert.match(error.message, /Versions with only a source distribution \(sdist\): 2\.0/);
    assert.match(error.hint, /bundle for a target these wheels fit/);
    // No version has a wheel for this target, so the hint does not send the user looking for one.
    assert.doesNotMatch(error.hint, /pick a version that has a wheel/);
    assert.match(error.hint, /--allow-sdist cext/);
    assert.deepEqual(error.details.sdistOnlyVersions, ['2.0']);
    assert.deepEqual(error.details.versionsWithWheels, ['1.0']);
  });

  test('without it, for a target like this host: wheels for other platforms only, so the sdist is locked to be built here', {
    skip: hostIsLinuxX64
      ? false
      : 'the target is linux x86_64; this host builds for another platform',
  }, async () => {
    const r = await ferry('lock', ['cext', '-o', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /cext 2\.0 has no wheel for the target, only a source distribution: ferry bundle will build it into a wheel on this host/,
    );
    assert.match(r.stdout, /\[packages\.sdist\]\nname = "cext-2\.0\.tar\.gz"/);
    assert.match(r.stdout, /build = "host"/);
  });

  test('a pinned sdist-only version, older versions with wheels: the clash says --allow-sdist', async () => {
    const r = await ferry('lock', ['newsdist==2.0', '-o', '-']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /Versions with wheels for the target: 1\.0/);
    assert.match(r.stderr, /match but have only a source distribution \(sdist\): 2\.0/);
    assert.match(r.stderr, /--allow-sdist newsdist/);
  });

  test('with it: the bundle carries the sdist, its build requirements and its dependency', async () => {
    const out = join(work, 'bundle-cext');
    const r = await ferry('bundle', ['cext', '--allow-sdist', 'cext', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /cext 2\.0 is carried as a source distribution \(cext-2\.0\.tar\.gz\): building it on the target may need a compiler \(gcc\/g\+\+\) and the Python headers there/,
    );
    assert.match(
      r.stderr,
      /build requirements \(setuptools>=40\.8\.0, wheel\) are bundled as wheels/,
    );
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      files: { path: string; sha256: string }[];
      packages: { name: string; version: string; requiredBy: string[] }[];
    };
    assert.deepEqual(manifest.files.map((f) => f.path).sort(), [
      'wheels/cext-2.0.tar.gz',
      'wheels/dep-1.0-py3-none-any.whl',
      'wheels/setuptools-70.0.0-py3-none-any.whl',
      'wheels/wheel-0.43.0-py3-none-any.whl',
    ]);
    const setuptools = manifest.packages.find((p) => p.name === 'setuptools');
    assert.deepEqual(setuptools?.requiredBy, ['build requirements of cext 2.0']);
    const sdistSha = manifest.files.find((f) => f.path === 'wheels/cext-2.0.tar.gz')!.sha256;
    const requirements = await readFile(join(out, 'requirements.txt'), 'utf8');
    assert.match(requirements, new RegExp(`cext==2\\.0 \\\\\\n\\s+--hash=sha256:${sdistSha}`));
    assert.match(requirements, /Built on the target from source: cext-2\.0\.tar\.gz/);
    const pylock = await readFile(join(out, 'pylock.toml'), 'utf8');
    assert.match(pylock, /\[packages\.sdist\]\nname = "cext-2\.0\.tar\.gz"/);
  });

  test('pyproject.toml [project] supplies the dependencies; [build-system] the build requirements', async () => {
    const r = await ferry('lock', ['pyproj', '--allow-sdist', ':all:', '-o', '-', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = r.events.find((e) => e.event === 'result') as
      | { packages: { name: string; version: string }[] }
      | undefined;
    const names = (result?.packages ?? []).map((p) => `${p.name}==${p.version}`).sort();
    assert.deepEqual(
      names,
      ['dep==1.0', 'pyproj==1.0', 'setuptools==70.0.0', 'wheel==0.43.0'],
      r.stdout,
    );
  });

  test('wheels are still preferred over an allowed sdist of the same version', async () => {
    const r = await ferry('lock', ['both', '--allow-sdist', 'both', '-o', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /both-1\.0-py3-none-any\.whl/);
    assert.doesNotMatch(r.stdout, /both-1\.0\.tar\.gz|setuptools/);
    assert.doesNotMatch(r.stderr, /source distribution/);
  });

  test('an sdist whose dependencies are dynamic asks its backend, and fails clearly when it cannot run', async () => {
    // The local index has no wheel for setuptools' legacy backend to build with.
    const r = await ferry('lock', ['legacy', '--allow-sdist', 'legacy', '-o', '-']);
    assert.equal(r.code === 0, false, r.stderr);
    assert.match(
      r.stderr,
      /legacy-1\.0\.tar\.gz is carried to be built on the target, but its dependencies are dynamic/,
    );
    assert.match(r.stderr, /ERR_FERRY_SDIST_BUILD_FAILED/);
    assert.match(r.stderr, /legacy-1\.0\.tar\.gz could not be built into a wheel on this host/);
    assert.match(r.stderr, /--find-links/);
  });

  test('a failed metadata build of an sdist allowed with --allow-sdist does not suggest --allow-sdist again', async () => {
    const r = await ferry('lock', ['legacy', '--allow-sdist', 'legacy', '-o', '-', '--json']);
    const error = r.events.find((e) => e.event === 'error') as { code: string; hint: string };
    assert.ok(error, r.stdout);
    assert.equal(error.code, 'ERR_FERRY_SDIST_BUILD_FAILED');
    assert.doesNotMatch(error.hint, /--allow-sdist/);
    assert.match(error.hint, /--find-links/);
  });

  test('a bad --allow-sdist value is a usage error', async () => {
    const r = await ferry('lock', ['dep', '--allow-sdist', 'no/such', '-o', '-']);
    assert.equal(r.code === 0, false);
    assert.match(r.stderr, /--allow-sdist "no\/such" is not a project name/);
  });
});
