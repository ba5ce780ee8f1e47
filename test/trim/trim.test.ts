/**
 * Trimming the closure (docs/trimming.md): --exclude drops a project and what only it needed,
 * keeps what others share, and names who required it; --override replaces every requirement
 * on a project; ferry.toml's [trim] spells both; the lock, `bundle --lock`, the manifest and
 * `ferry report` carry them with their reasons. Resolution runs against a local index on
 * 127.0.0.1, as the resolver scenarios do.
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatLockFile, lockedFromPylock } from '../../src/bundle/lock-file.js';
import type { Locked } from '../../src/bundle/locked.js';
import { parseManifest } from '../../src/bundle/manifest.js';
import { parsePylock } from '../../src/bundle/pylock.js';
import { sizeLines } from '../../src/cli/commands/lock.js';
import { FerryError } from '../../src/core/errors.js';
import { settleTargets } from '../../src/host/target-spec.js';
import { type IndexConfig, settleIndexes } from '../../src/index/index-config.js';
import type { IndexSettings } from '../../src/index/pip-config.js';
import { indexClientFor, indexDescriptions, lockRequirements } from '../../src/ops/lock.js';
import {
  closureSize,
  parseExcludeFlag,
  parseOverrideFlag,
  settleTrim,
  type Trim,
} from '../../src/ops/trim.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import type { Target } from '../../src/standards/target.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];

let index: LocalIndex;
let work: string;
let targets: Target[];

before(async () => {
  index = await startLocalIndex([
    // app needs plots (which alone brings gfx), shared (which plots needs too) and c>=4.
    { name: 'app', version: '1.0', requiresDist: ['plots>=1', 'shared', 'c>=4'] },
    { name: 'viz', version: '0.13.2', requiresDist: ['plots'], padding: 30_000 },
    { name: 'plots', version: '1.0', requiresDist: ['gfx', 'shared'] },
    { name: 'gfx', version: '1.0', padding: 40_000 },
    { name: 'shared', version: '1.0' },
    { name: 'c', version: '3.20.2' },
    { name: 'c', version: '4.1' },
    // A dependency only for Windows: an override keeps that marker.
    { name: 'winapp', version: '1.0', requiresDist: ['c>=4; sys_platform == "win32"'] },
  ]);
  await withSizes(index);
  work = tempDir('ferry-trim-');
  targets = await settleTargets({ python: '3.11', os: 'linux', arch: 'x86_64', glibc: '2.28' });
});
after(async () => {
  await index.close();
  await rm(work, { recursive: true, force: true });
});

/**
 * The helper's JSON pages give no file sizes; an index that follows PEP 700 does. Each page is
 * served again with every file's `size`, so the lock's size summary has numbers to add up.
 */
async function withSizes(local: LocalIndex): Promise<void> {
  const projects = new Set([...local.files.values()].map((f) => f.dist.name));
  for (const project of projects) {
    const response = await fetch(`${local.url}/${project}/`, {
      headers: { accept: 'application/vnd.pypi.simple.v1+json' },
    });
    const page = (await response.json()) as { files: { filename: string; size?: number }[] };
    for (const file of page.files)
      file.size = (await stat(local.files.get(file.filename)!.path)).size;
    local.fault(`/simple/${project}/`, {
      status: 200,
      contentType: 'application/vnd.pypi.simple.v1+json',
      body: JSON.stringify(page),
    });
  }
}

const pip = (): IndexSettings => ({
  indexUrl: index.url,
  extraIndexUrls: [],
  findLinks: [],
  noIndex: false,
  sources: [],
});

async function settings(ferryToml?: string): Promise<IndexConfig> {
  return settleIndexes({
    pip: pip(),
    io: { readFile: async () => ferryToml },
  });
}

async function lockWith(
  requirements: string[],
  trim: Trim,
  config?: IndexConfig,
): Promise<{ locked: Locked; warnings: string[]; infos: string[] }> {
  const s = config ?? (await settings());
  const warnings: string[] = [];
  const infos: string[] = [];
  const locked = await lockRequirements({
    requirements: requirements.map((r) => ({
      requirement: parseRequirement(r),
      source: 'the command line',
    })),
    constraints: [],
    prereleases: false,
    targets,
    client: indexClientFor(s, join(work, 'cache')),
    indexes: indexDescriptions(s),
    trim,
    events: (e) => {
      if (e.type === 'warning') warnings.push(e.message);
      if (e.type === 'info') infos.push(e.message);
    },
  });
  return { locked, warnings, infos };
}

const versions = (locked: Locked): Record<string, string> =>
  Object.fromEntries(locked.packages.map((p) => [p.name, p.version]));

const cli = (exclude: string[], override: string[] = []): Trim =>
  settleTrim(undefined, {
    exclude: exclude.map((e) => ({ ...parseExcludeFlag(e), origin: '--exclude' })),
    override: override.map((o) => ({ ...parseOverrideFlag(o), origin: '--override' })),
  });

describe('--exclude', () => {
  test('removes the project and what only it needed, keeps what others share, names who required it', async () => {
    const { locked, warnings } = await lockWith(
      ['app', 'viz'],
      cli(['plots=no plots on the target']),
    );
    assert.deepEqual(versions(locked), { app: '1.0', c: '4.1', shared: '1.0', viz: '0.13.2' });
    assert.deepEqual(locked.exclusions, [
      { name: 'plots', reason: 'no plots on the target', requiredBy: ['app 1.0', 'viz 0.13.2'] },
    ]);
    assert.ok(
      warnings.some((w) =>
        w.includes('plots excluded (no plots on the target): required by app 1.0, viz 0.13.2'),
      ),
      warnings.join('\n'),
    );
    // What the resolver records about the packages no longer names the excluded project.
    assert.ok(locked.packages.every((p) => !p.dependencies.includes('plots')));
  });

  test('an exclusion nothing needs is recorded and warned about', async () => {
    const { locked, warnings } = await lockWith(['shared'], cli(['plots']));
    assert.deepEqual(versions(locked), { shared: '1.0' });
    assert.deepEqual(locked.exclusions, [{ name: 'plots', reason: '', requiredBy: [] }]);
    assert.ok(warnings.some((w) => w.includes('nothing in the closure requires it')));
  });

  test('a project both required and excluded is refused, naming both', async () => {
    await assert.rejects(
      lockWith(['plots'], cli(['plots=not wanted'])),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'ERR_FERRY_USAGE' &&
        /plots is required \(the command line: plots\) and excluded \(--exclude\)/.test(e.message),
    );
  });
});

describe('--override', () => {
  test('replaces a transitive requirement: a needs c>=4, override c==3.20.2 chooses 3.20.2', async () => {
    const { locked, infos } = await lockWith(
      ['app'],
      cli([], ['c==3.20.2; reason=paddle 2.x needs the 3.20 API']),
    );
    assert.equal(versions(locked).c, '3.20.2');
    assert.deepEqual(locked.overrides, [
      {
        requirement: 'c==3.20.2',
        reason: 'paddle 2.x needs the 3.20 API',
        replaced: ['app 1.0: c>=4'],
      },
    ]);
    assert.ok(infos.some((i) => i.includes('c==3.20.2 overrides app 1.0: c>=4')));
  });

  test("keeps the original requirement's marker: a Windows-only dependency stays off Linux", async () => {
    const { locked, warnings } = await lockWith(['winapp'], cli([], ['c==3.20.2']));
    assert.deepEqual(versions(locked), { winapp: '1.0' });
    assert.ok(warnings.some((w) => w.includes('replaced nothing')));
  });

  test('applies to the top-level requirements too', async () => {
    const { locked } = await lockWith(['c>=4'], cli([], ['c==3.20.2']));
    assert.equal(versions(locked).c, '3.20.2');
    assert.deepEqual(locked.overrides?.[0]?.replaced, ['the command line: c>=4']);
  });

  test('one project both excluded and overridden is refused', () => {
    assert.throws(
      () => cli(['c'], ['c==3.20.2']),
      (e: unknown) => e instanceof FerryError && /c is both excluded/.test(e.message),
    );
  });
});

describe('spellings', () => {
  test('--exclude NAME[=REASON] and --override "REQ[; reason=TEXT]", markers kept', () => {
    assert.deepEqual(parseExcludeFlag('matplotlib'), { name: 'matplotlib' });
    assert.deepEqual(parseExcludeFlag('matplotlib=no display = no plots'), {
      name: 'matplotlib',
      reason: 'no display = no plots',
    });
    assert.throws(() => parseExcludeFlag('numpy<2'), /not a project name/);
    assert.deepEqual(parseOverrideFlag('protobuf==3.20.2'), { requirement: 'protobuf==3.20.2' });
    assert.deepEqual(
      parseOverrideFlag('protobuf==3.20.2; python_version < "3.12"; reason=paddle 2.x'),
      { requirement: 'protobuf==3.20.2; python_version < "3.12"', reason: 'paddle 2.x' },
    );
    assert.throws(() => parseOverrideFlag('; reason=x'), /names no requirement/);
    assert.throws(
      () =>
        settleTrim(undefined, { exclude: [], override: [{ requirement: 'c>>1', origin: 'x' }] }),
      /is not a requirement/,
    );
  });

  test('ferry.toml [trim]: tables and plain strings; the command line over the file', async () => {
    const s = await settings(`
[trim]
exclude = [{ name = "plots", reason = "from the file" }, "gfx"]
override = [{ requirement = "c==3.20.2", reason = "pinned for paddle" }, "shared==1.0"]
`);
    assert.equal(s.trim?.exclude.length, 2);
    assert.deepEqual(
      s.trim?.exclude.map((e) => [e.name, e.reason]),
      [
        ['plots', 'from the file'],
        ['gfx', undefined],
      ],
    );
    const fromFile = settleTrim(s.trim, undefined);
    const { locked } = await lockWith(['app'], fromFile, s);
    assert.deepEqual(versions(locked), { app: '1.0', c: '3.20.2', shared: '1.0' });
    assert.deepEqual(
      locked.exclusions?.map((e) => [e.name, e.reason]),
      [
        ['plots', 'from the file'],
        ['gfx', ''],
      ],
    );
    const over = settleTrim(s.trim, {
      exclude: [{ name: 'plots', reason: 'from the command line', origin: '--exclude' }],
      override: [],
    });
    assert.equal(over.exclude.find((e) => e.name === 'plots')?.reason, 'from the command line');
    assert.equal(over.exclude.length, 2);
  });

  test('ferry.toml [trim] refuses unknown keys and bad names', async () => {
    await assert.rejects(
      settings('[trim]\nexclude = [{ project = "plots" }]\n'),
      (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_INDEX_CONFIG',
    );
    await assert.rejects(
      settings('[trim]\nremove = ["plots"]\n'),
      (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_INDEX_CONFIG',
    );
    await assert.rejects(
      settings('[trim]\nexclude = ["numpy<2"]\n'),
      (e: unknown) =>
        e instanceof FerryError && /"numpy<2" .* is not a valid project name/.test(e.message),
    );
  });
});

describe('the record', () => {
  test('pylock.toml [tool.ferry] keeps exclusions and overrides with reasons, and reads them back', async () => {
    const { locked } = await lockWith(['app'], cli(['plots=no plots'], ['c==3.20.2; reason=pin']));
    const text = formatLockFile(locked);
    assert.match(text, /\[tool\.ferry\]/);
    const back = lockedFromPylock(parsePylock(text, 'pylock.toml'), []);
    assert.deepEqual(back.exclusions, locked.exclusions);
    assert.deepEqual(back.overrides, locked.overrides);
  });

  test('the closure size by package, largest first', () => {
    const size = closureSize([
      { name: 'small', version: '1', files: [{ size: 10 }] },
      { name: 'big', version: '2', files: [{ size: 500 }, { size: 20 }] },
      { name: 'unknown', version: '3', files: [{}] },
    ]);
    assert.deepEqual(
      size.packages.map((p) => [p.name, p.bytes]),
      [
        ['big', 520],
        ['small', 10],
        ['unknown', 0],
      ],
    );
    assert.equal(size.totalBytes, 530);
    assert.equal(size.unknownFiles, 1);
    const text = sizeLines(size);
    assert.ok(text.indexOf('big 2') < text.indexOf('small 1'), text);
    assert.match(text, /unknown 3 +\?/);
    assert.match(text, /total 530 B \(1 file\(s\) of unknown size/);
    // An index that gives no sizes at all (PEP 503 HTML): one line, not a column of zeros.
    assert.equal(
      sizeLines(closureSize([{ name: 'a', version: '1', files: [{}] }])),
      '\nsize: unknown (the index pages give no file sizes; ferry bundle reports the bytes)',
    );
  });

  test('ferry lock → bundle --lock → report: the trim and its reasons travel, the lock names dependents and sizes', async () => {
    const env = isolatedEnv(join(work, 'cli-cache'));
    const lockPath = join(work, 'pylock.toml');
    const config = join(work, 'ferry.toml');
    await writeFile(
      config,
      '[trim]\noverride = [{ requirement = "c==3.20.2", reason = "paddle 2.x needs protobuf 3.20" }]\n',
    );
    const lock = await runCli(
      [
        'lock',
        'app',
        'viz',
        '--exclude',
        'plots=graphics libraries not allowed',
        '--config',
        config,
        '--index-url',
        index.url,
        '--isolated',
        ...TARGET,
        '-o',
        lockPath,
      ],
      { env },
    );
    assert.equal(lock.code, 0, lock.stderr);
    assert.match(
      lock.stderr,
      /plots excluded \(graphics libraries not allowed\): required by app 1\.0, viz 0\.13\.2/,
    );
    assert.match(lock.stdout, /size by package, largest first:/);
    assert.match(lock.stdout, /total \d/);
    // Largest first: viz (the one big wheel left) leads, the total comes last.
    const sizeBlock = lock.stdout.slice(lock.stdout.indexOf('size by package'));
    const order = ['viz 0.13.2', 'app 1.0', 'total'].map((t) => sizeBlock.indexOf(t));
    assert.ok(order[0]! > 0 && order[0]! < order[1]! && order[1]! < order[2]!, sizeBlock);
    assert.match(lock.stdout, /excluded plots \(graphics libraries not allowed\)/);
    assert.match(lock.stdout, /overridden: c==3\.20\.2 \(paddle 2\.x needs protobuf 3\.20\)/);
    const lockText = await readFile(lockPath, 'utf8');
    assert.match(lockText, /exclusions = \[/);
    assert.match(lockText, /graphics libraries not allowed/);
    assert.ok(!/name = "plots"\nversion/.test(lockText), 'plots must not be locked');

    const bundleDir = join(work, 'bundle');
    const b = await runCli(['bundle', '--lock', lockPath, '-o', bundleDir], { env });
    assert.equal(b.code, 0, b.stderr);
    const manifest = parseManifest(
      await readFile(join(bundleDir, 'manifest.json'), 'utf8'),
      'manifest.json',
    );
    assert.deepEqual(manifest.exclusions, [
      {
        name: 'plots',
        reason: 'graphics libraries not allowed',
        requiredBy: ['app 1.0', 'viz 0.13.2'],
      },
    ]);
    assert.deepEqual(manifest.overrides, [
      {
        requirement: 'c==3.20.2',
        reason: 'paddle 2.x needs protobuf 3.20',
        replaced: ['app 1.0: c>=4'],
      },
    ]);
    assert.ok(!manifest.packages.some((p) => p.name === 'plots' || p.name === 'gfx'));
    // The bundle's own lock keeps them too.
    assert.match(await readFile(join(bundleDir, 'pylock.toml'), 'utf8'), /overrides = \[/);

    const html = join(work, 'report.html');
    const r = await runCli(['report', bundleDir, '-o', html], { env });
    assert.equal(r.code, 0, r.stderr);
    const page = await readFile(html, 'utf8');
    const trimmed = page.slice(page.indexOf('id="exclusions"'));
    assert.ok(page.includes('id="exclusions"'), 'the report has a Trimmed table');
    assert.match(trimmed, /<code>plots<\/code><\/td><td>graphics libraries not allowed/);
    assert.match(
      trimmed,
      /c==3\.20\.2 \(override\)<\/code><\/td><td>paddle 2\.x needs protobuf 3\.20/,
    );
  });

  test('bundle --lock refuses --exclude: a lock carries its own trim', async () => {
    const r = await runCli(
      ['bundle', '--lock', join(work, 'pylock.toml'), '--exclude', 'gfx', '-o', join(work, 'x')],
      { env: isolatedEnv(join(work, 'cli-cache')) },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /a lock carries its own/);
  });
});
