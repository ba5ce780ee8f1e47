/**
 * Every error a user can meet while bundling, through the real CLI against a local index on
 * 127.0.0.1: each one names the bad input and says what to do.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildZip, type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

const TARGET = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.36'];

describe('ferry bundle errors', () => {
  let index: LocalIndex;
  let work: string;
  before(async () => {
    index = await startLocalIndex([
      { name: 'demo-pkg', version: '1.0', requiresDist: ['needs-old<2'] },
      { name: 'other', version: '1.0', requiresDist: ['needs-old>=2'] },
      { name: 'needs-old', version: '1.0' },
      { name: 'needs-old', version: '2.0' },
      { name: 'winonly', version: '1.0', tag: 'cp311-cp311-win_amd64' },
      { name: 'winonly', version: '0.9', tag: 'cp39-cp39-macosx_11_0_arm64' },
    ]);
    work = tempDir();
  });
  after(async () => {
    await index.close();
  });
  const bundle = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    runCli(['bundle', ...args, ...TARGET, '--isolated', '-o', join(work, `out-${Math.random()}`)], {
      env: isolatedEnv(join(work, 'cache'), extraEnv),
    });

  test('an unknown project is named, with close names suggested', async () => {
    const r = await bundle(['demo-pgk', '--index-url', index.url]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_UNKNOWN_PROJECT/);
    assert.match(r.stderr, /No project named "demo-pgk"/);
    assert.match(r.stderr, /127\.0\.0\.1/);
    assert.match(r.stderr, /hint: Did you mean "demo-pkg"\?/);
  });

  test('no compatible file lists the tags tried and the files available', async () => {
    const r = await bundle(['winonly', '--index-url', index.url]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_NO_COMPATIBLE_FILE/);
    assert.match(r.stderr, /"winonly" has no file that installs on .*Linux x86_64, glibc 2\.36/);
    assert.match(r.stderr, /Tags tried, best first \(\d+\): cp311-cp311-manylinux_2_36_x86_64/);
    assert.match(r.stderr, /winonly-1\.0-cp311-cp311-win_amd64\.whl/);
    assert.match(r.stderr, /winonly-0\.9-cp39-cp39-macosx_11_0_arm64\.whl/);
  });

  test('--json puts the same error on stdout as an object with code, message, hint and details', async () => {
    const r = await bundle(['winonly', '--index-url', index.url, '--json']);
    const error = r.events.find((e) => e.event === 'error');
    assert.ok(error, r.stdout);
    assert.equal(error.code, 'ERR_FERRY_NO_COMPATIBLE_FILE');
    assert.ok(Array.isArray((error.details as { tags: unknown[] }).tags));
  });

  test('an unreachable index is named with the number of attempts and the time spent', async () => {
    const port = await closedPort();
    const r = await bundle(['demo-pkg', '--index-url', `http://127.0.0.1:${port}/simple`]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_INDEX_UNREACHABLE/);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}/simple/demo-pkg/`));
    assert.match(r.stderr, /\d+ attempts?/);
    assert.match(r.stderr, /\d+(\.\d+)? ?s/);
  });

  test('credentials in an index URL never appear in any output', async () => {
    const port = await closedPort();
    const r = await bundle([
      'demo-pkg',
      '--index-url',
      `http://alice:s3cr3t-token@127.0.0.1:${port}/simple`,
      '--json',
    ]);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout + r.stderr, /s3cr3t-token/);
    assert.match(r.stdout, /\*\*\*\*@127\.0\.0\.1/);
  });

  test('a malformed index page is named by its URL', async () => {
    index.fault('/simple/needs-old/', {
      body: '{"meta": {"api-version": "1.0"}, "files": 42',
      contentType: 'application/vnd.pypi.simple.v1+json',
    });
    try {
      const r = await bundle(['needs-old', '--index-url', index.url]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /ERR_FERRY_MALFORMED_PAGE/);
      assert.match(r.stderr, /127\.0\.0\.1:\d+\/simple\/needs-old\//);
    } finally {
      index.fault('/simple/needs-old/', { times: 0 });
    }
  });

  test('one bad file entry on a page is skipped with a warning, not the whole page', async () => {
    const sha =
      index.files.get('needs_old-1.0-py3-none-any.whl')?.sha256 ??
      index.files.get('needs-old-1.0-py3-none-any.whl')?.sha256;
    const filename = [...index.files.keys()].find(
      (f) => f.startsWith('needs') && f.includes('-1.0-'),
    )!;
    const body = JSON.stringify({
      meta: { 'api-version': '1.0' },
      name: 'needs-old',
      files: [
        { filename: 'needs_old-9.0-py3-none-any.whl', hashes: 'not-an-object', url: 'x' },
        {
          filename,
          url: `../../files/${filename}`,
          hashes: { sha256: sha ?? index.files.get(filename)!.sha256 },
        },
      ],
    });
    index.fault('/simple/needs-old/', { body, contentType: 'application/vnd.pypi.simple.v1+json' });
    try {
      const r = await bundle(['needs-old', '--index-url', index.url, '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const warning = r.events.find((e) => e.event === 'warning');
      assert.ok(warning, 'a warning event names the dropped entry');
      assert.match(String(warning.message), /simple\/needs-old\//);
      const result = r.events.find((e) => e.event === 'result') as {
        packages: { name: string; version: string }[];
      };
      assert.deepEqual(
        result.packages.map((p) => `${p.name}==${p.version}`),
        ['needs-old==1.0'],
      );
    } finally {
      index.fault('/simple/needs-old/', { times: 0 });
    }
  });

  test('malformed METADATA in a wheel is named by the file it came from', async () => {
    const links = join(work, 'bad-links');
    await mkdir(links, { recursive: true });
    const bad = buildZip([
      { name: 'broken/__init__.py', data: Buffer.from('') },
      {
        name: 'broken-1.0.dist-info/METADATA',
        data: Buffer.from('Metadata-Version: 2.1\nSummary: no name or version here\n'),
      },
      { name: 'broken-1.0.dist-info/WHEEL', data: Buffer.from('Wheel-Version: 1.0\n') },
      { name: 'broken-1.0.dist-info/RECORD', data: Buffer.from('') },
    ]);
    await writeFile(join(links, 'broken-1.0-py3-none-any.whl'), bad);
    const r = await bundle(['broken', '--no-index', '--find-links', links]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERR_FERRY_INVALID_METADATA/);
    assert.match(r.stderr, /broken-1\.0-py3-none-any\.whl/);
  });

  test('a wrong hash deletes the download and names the URL and both hashes', async () => {
    const filename = [...index.files.keys()].find(
      (f) => f.startsWith('demo') && f.endsWith('.whl'),
    )!;
    const expected = index.files.get(filename)!.sha256;
    const cacheDir = join(work, 'hash-cache');
    // Metadata comes from the page's .metadata-less wheel: serve the wheel right once (for metadata), then wrong bytes.
    const r = await runCli(
      [
        'bundle',
        'demo-pkg',
        'needs-old<2',
        ...TARGET,
        '--isolated',
        '--index-url',
        index.url,
        '-o',
        join(work, 'hash-out'),
      ],
      {
        env: isolatedEnv(cacheDir, {}),
      },
    );
    assert.equal(r.code, 0, r.stderr);
    // Now a fresh cache, and the server lies about the wheel's bytes.
    index.fault(`/files/${filename}`, { body: 'these are not the bytes you are looking for' });
    try {
      const fresh = join(work, 'hash-cache-2');
      const bad = await runCli(
        [
          'bundle',
          'demo-pkg',
          ...TARGET,
          '--isolated',
          '--index-url',
          index.url,
          '-o',
          join(work, 'hash-out-2'),
        ],
        {
          env: isolatedEnv(fresh, {}),
        },
      );
      assert.equal(bad.code, 5, bad.stderr);
      assert.match(bad.stderr, /ERR_FERRY_HASH_MISMATCH/);
      assert.match(bad.stderr, new RegExp(filename.replace(/\./g, '\\.')));
      assert.match(bad.stderr, new RegExp(expected));
      assert.match(bad.stderr, /[0-9a-f]{64}[\s\S]*[0-9a-f]{64}/);
      assert.equal(existsSync(join(work, 'hash-out-2')), false, 'no bundle folder is left behind');
      const cached = existsSync(join(fresh, 'sha256'))
        ? readdirSync(join(fresh, 'sha256'), { recursive: true })
        : [];
      assert.equal(
        cached.filter((f) => String(f).includes(expected.slice(2))).length,
        0,
        'the bad file is not in the cache',
      );
    } finally {
      index.fault(`/files/${filename}`, { times: 0 });
    }
  });

  test('requirements that cannot be satisfied together name both sides', async () => {
    const r = await bundle(['demo-pkg', 'other', '--index-url', index.url]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_RESOLUTION_IMPOSSIBLE/);
    assert.match(r.stderr, /needs-old<2 +\(required by demo-pkg 1\.0\)/);
    assert.match(r.stderr, /needs-old>=2 +\(required by other 1\.0\)/);
  });

  test('a malformed requirement points at the bad part', async () => {
    const r = await bundle(['demo-pkg>=1.0,,', '--index-url', index.url]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /demo-pkg>=1\.0,,/);
    assert.match(r.stderr, /\^/);
  });

  test('a URL requirement is refused with what to do instead', async () => {
    const r = await bundle([
      'demo-pkg @ https://example.invalid/demo.whl',
      '--index-url',
      index.url,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERR_FERRY_URL_REQUIREMENT/);
    assert.match(r.stderr, /find-links/);
  });

  test('a destination that is not a bundle is not overwritten', async () => {
    const dest = join(work, 'precious');
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, 'thesis.txt'), 'do not delete');
    const r = await runCli(
      ['bundle', 'needs-old', ...TARGET, '--isolated', '--index-url', index.url, '-o', dest],
      {
        env: isolatedEnv(join(work, 'cache'), {}),
      },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERR_FERRY_DESTINATION/);
    assert.equal(existsSync(join(dest, 'thesis.txt')), true);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
