/**
 * A project with thousands of files and none for the target (numpy for linux loongarch64) is
 * summed up, not listed: counts per platform and kind, the nearest tags that exist, and for
 * loongarch64 where such wheels come from. Served by a local index whose project page lists
 * thousands of generated file names.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';

const PLATFORMS = [
  'manylinux_2_17_x86_64.manylinux2014_x86_64',
  'manylinux_2_17_aarch64.manylinux2014_aarch64',
  'musllinux_1_1_x86_64',
  'win_amd64',
  'macosx_11_0_arm64',
];
const PYTHONS = ['cp39-cp39', 'cp310-cp310', 'cp311-cp311', 'cp312-cp312'];

function bigPage(): { html: string; wheels: number; sdists: number } {
  const names: string[] = [];
  let sdists = 0;
  for (let major = 1; major <= 2; major++)
    for (let minor = 0; minor < 40; minor++)
      for (let patch = 0; patch < 4; patch++) {
        const v = `${major}.${minor}.${patch}`;
        names.push(`numpy-${v}.tar.gz`);
        sdists++;
        for (const py of PYTHONS)
          for (const plat of PLATFORMS) names.push(`numpy-${v}-${py}-${plat}.whl`);
      }
  const links = names.map((n) => `<a href="../../files/${n}#sha256=${'0'.repeat(64)}">${n}</a>`);
  return {
    html: `<!DOCTYPE html><html><body>\n${links.join('\n')}\n</body></html>`,
    wheels: names.length - sdists,
    sdists,
  };
}

let index: LocalIndex;
const page = bigPage();
before(async () => {
  index = await startLocalIndex([{ name: 'placeholder', version: '1.0' }]);
  index.fault('/simple/numpy/', { status: 200, contentType: 'text/html', body: page.html });
});
after(() => index.close());

const LOONG = ['--python', '3.11', '--os', 'linux', '--arch', 'loongarch64', '--glibc', '2.28'];

describe('no compatible file among thousands', () => {
  it('is summed up by platform and kind, with the nearest tags and where loongarch64 wheels come from', async () => {
    const work = tempDir();
    const r = await runCli(
      [
        'lock',
        'numpy',
        ...LOONG,
        '--isolated',
        '--index-url',
        index.url,
        '-o',
        join(work, 'pylock.toml'),
      ],
      { env: isolatedEnv(join(work, 'cache')) },
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_NO_COMPATIBLE_FILE/);
    const total = page.wheels + page.sdists;
    assert.match(r.stderr, new RegExp(`has ${total} files of "numpy", none for linux loongarch64`));
    const perPlatform = page.wheels / PLATFORMS.length;
    assert.match(r.stderr, new RegExp(`source distributions \\(sdist\\): ${page.sdists}`));
    for (const kind of [
      'linux x86_64',
      'linux aarch64',
      'linux x86_64 \\(musl\\)',
      'windows amd64',
      'macOS arm64',
    ])
      assert.match(r.stderr, new RegExp(`wheels for ${kind}: ${perPlatform}\\n`));
    assert.match(
      r.stderr,
      /Nearest tags that exist: cp311-cp311-manylinux_2_17_aarch64, cp311-cp311-manylinux_2_17_x86_64/,
    );
    assert.match(r.stderr, /PyPI does not accept loongarch64 wheels/);
    assert.match(r.stderr, /--index NAME=URL/);
    assert.match(r.stderr, /--allow-sdist numpy/);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.length < 30, `${lines.length} lines:\n${r.stderr}`);
    assert.ok((r.stderr.match(/\.whl/g) ?? []).length < 5, r.stderr);
  });

  it('--json carries counts and a bounded sample of the files, not the whole page', async () => {
    const work = tempDir();
    const r = await runCli(
      [
        'lock',
        'numpy',
        ...LOONG,
        '--isolated',
        '--index-url',
        index.url,
        '-o',
        join(work, 'pylock.toml'),
        '--json',
      ],
      { env: isolatedEnv(join(work, 'cache')) },
    );
    assert.equal(r.code, 3, r.stderr);
    const error = r.events.find((e) => e.event === 'error') as {
      details: {
        files: unknown[];
        fileCount: number;
        filesByKind: Record<string, number>;
        nearestTags: string[];
      };
    };
    assert.ok(error, r.stdout.slice(0, 2000));
    assert.ok(error.details.files.length <= 50, String(error.details.files.length));
    assert.equal(error.details.fileCount, page.wheels + page.sdists);
    assert.equal(error.details.filesByKind['source distributions (sdist)'], page.sdists);
    assert.ok(error.details.nearestTags.length > 0);
    assert.ok(r.stdout.length < 50_000, `${r.stdout.length} bytes of JSON`);
  });
});
