/**
 * What an interrupted or misdirected write leaves behind: staging folders of a killed
 * `ferry bundle` are swept by the next run (only those whose process is gone), and
 * `ferry lock -o` with a folder or a missing folder says so plainly and leaves no temporary
 * file.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkLockOutput, writeLockOutput } from '../../src/bundle/lock-file.js';
import { stagingFolder } from '../../src/bundle/write-folder.js';
import { FerryError } from '../../src/core/errors.js';
import { isolatedEnv, runCli } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { writeFixtureBundle } from './fixture.js';

let work = '';
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-interrupted-'));
});
after(() => rm(work, { recursive: true, force: true }));

/** The id of a process that has exited (so no process has it, barring reuse within moments). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe('a killed `ferry bundle` leaves no staging folders for good', () => {
  it('the next run removes staging folders of processes that are gone, and only those', async () => {
    const dir = join(work, 'sweep');
    await mkdir(dir);
    const out = join(dir, 'bundle');
    const dead = deadPid();
    // A live process that is not this one: another ferry still writing the same bundle.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const live = sleeper.pid!;
      const stale = stagingFolder(out, dead);
      const busy = stagingFolder(out, live);
      const otherBundle = stagingFolder(join(dir, 'other'), dead);
      for (const d of [stale, busy, otherBundle]) {
        await mkdir(join(d, 'wheels'), { recursive: true });
        await writeFile(join(d, 'wheels', 'half.whl'), 'half');
      }
      await writeFixtureBundle(out, join(work, 'cache'));
      const left = (await readdir(dir)).sort();
      assert.deepEqual(left, [`.bundle.ferry-tmp-${live}`, `.other.ferry-tmp-${dead}`, 'bundle']);
    } finally {
      sleeper.kill();
    }
  });

  it('a replaced bundle left aside by a killed run (NAME.ferry-old-PID) is removed once NAME exists', async () => {
    const dir = join(work, 'old');
    await mkdir(dir);
    const out = join(dir, 'bundle');
    const dead = deadPid();
    await mkdir(join(dir, `bundle.ferry-old-${dead}`));
    await writeFile(join(dir, `bundle.ferry-old-${dead}`, 'manifest.json'), '{}');
    await writeFixtureBundle(out, join(work, 'cache'));
    assert.deepEqual((await readdir(dir)).sort(), ['bundle']);
  });
});

describe('`ferry lock -o` with a bad path', () => {
  let index: LocalIndex;
  before(async () => {
    index = await startLocalIndex([{ name: 'app', version: '1.0' }]);
  });
  after(() => index.close());

  const lock = (out: string, dir: string) =>
    runCli(['lock', 'app', '--python', '3.11', '--isolated', '--index-url', index.url, '-o', out], {
      env: isolatedEnv(join(dir, 'cache')),
    });

  it('-o a folder: ERR_FERRY_DESTINATION (exit 2), not EISDIR, and no temporary file', async () => {
    const dir = join(work, 'lock-dir');
    await mkdir(join(dir, 'target'), { recursive: true });
    const r = await lock(join(dir, 'target'), dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_DESTINATION/);
    assert.match(r.stderr, /is a folder/);
    assert.doesNotMatch(r.stderr, /internal error|EISDIR|\n\s+at /);
    assert.deepEqual(await readdir(join(dir, 'target')), []);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('ferry-tmp')),
      [],
    );
  });

  it('-o in a folder that does not exist: ERR_FERRY_DESTINATION naming it, not ENOENT', async () => {
    const dir = join(work, 'lock-missing');
    await mkdir(dir);
    const r = await lock(join(dir, 'missing', 'dir', 'x.toml'), dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_DESTINATION/);
    assert.match(r.stderr, /missing\/dir" does not exist/);
    assert.doesNotMatch(r.stderr, /internal error|ENOENT|\n\s+at /);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n !== 'cache'),
      [],
    );
  });

  it('a good -o is written whole, with no temporary file beside it', async () => {
    const dir = join(work, 'lock-ok');
    await mkdir(dir);
    const r = await lock(join(dir, 'pylock.toml'), dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(join(dir, 'pylock.toml'), 'utf8'), /name = "app"/);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n !== 'cache'),
      ['pylock.toml'],
    );
  });
});

describe('writeLockOutput', () => {
  it('refuses a path inside a file and an empty path; writes devices directly', async () => {
    const dir = join(work, 'writer');
    await mkdir(dir);
    await writeFile(join(dir, 'a-file'), 'x');
    for (const bad of [join(dir, 'a-file', 'x.toml'), '']) {
      await assert.rejects(
        writeLockOutput(bad, 'text'),
        (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_DESTINATION',
      );
    }
    assert.deepEqual(await readdir(dir), ['a-file']);
    // A rename over /dev/null would replace the device: a device is written in place.
    assert.equal(await checkLockOutput('/dev/null'), 'direct');
    assert.equal(await checkLockOutput(join(dir, 'new.toml')), 'replace');
  });
});
