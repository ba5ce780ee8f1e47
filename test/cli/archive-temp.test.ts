/**
 * verify, install and doctor read a NAME.ferry.tar by extracting it to $TMPDIR: that copy is
 * removed when the command ends, fails, or is stopped by SIGINT / SIGTERM mid-way; and every
 * message names the archive the user gave, never the temporary folder.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packBundle } from '../../src/bundle/pack.js';
import { writeFixtureBundle } from '../bundle/fixture.js';

const BIN = resolve('bin/ferry.js');

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** Whether the temporary copy was seen in TMPDIR while the command ran. */
  readonly sawCopy: boolean;
}

/**
 * Runs ferry with TMPDIR set to `tmp` (tsx's cache kept out of it). With `signal`, sends it as
 * soon as the command's temporary copy appears in `tmp`, i.e. while the archive is extracted.
 */
function ferry(args: readonly string[], tmp: string, signal?: NodeJS.Signals): Promise<Ended> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TMPDIR: tmp, TSX_DISABLE_CACHE: '1', NO_COLOR: '1' },
    });
    let stderr = '';
    let sawCopy = false;
    let exited = false;
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const poll = (): void => {
      if (exited) return;
      if (readdirSync(tmp).some((n) => n.startsWith('ferry-bundle-'))) {
        sawCopy = true;
        if (signal !== undefined) {
          child.kill(signal);
          return;
        }
      }
      setTimeout(poll, 2);
    };
    poll();
    child.on('error', fail);
    child.on('close', (code, sig) => {
      exited = true;
      done({ code, signal: sig, stderr, sawCopy });
    });
  });
}

describe('temporary copies of archives', () => {
  let work = '';
  let big = '';
  let broken = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ferry-archive-temp-'));
    // Big enough that extracting it takes a moment: the signal lands mid-way.
    const dir = join(work, 'big');
    await writeFixtureBundle(dir, join(work, 'cache'));
    await writeFile(join(dir, 'padding.bin'), Buffer.alloc(300 << 20));
    big = join(work, 'big.ferry.tar');
    await packBundle(dir, big);
    await rm(dir, { recursive: true });
    // An archive whose manifest.json is not JSON.
    const bad = join(work, 'broken');
    await writeFixtureBundle(bad, join(work, 'cache'));
    await writeFile(join(bad, 'manifest.json'), '{ not json');
    broken = join(work, 'broken.ferry.tar');
    await packBundle(bad, broken);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const fresh = () => mkdtemp(join(work, 'tmp-'));

  for (const [command, extra] of [
    ['verify', ['--allow-unsigned']],
    ['install', ['--allow-unsigned', '--venv', join(tmpdir(), 'ferry-never-made-venv')]],
    ['doctor', []],
  ] as const) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${signal} during ferry ${command} of an archive leaves $TMPDIR empty`, async () => {
        const tmp = await fresh();
        const ended = await ferry([command, big, ...extra], tmp, signal);
        assert.ok(ended.sawCopy, 'the archive was being extracted when the signal came');
        assert.equal(ended.signal, signal, `exit ${ended.code}: ${ended.stderr}`);
        assert.deepEqual(readdirSync(tmp), []);
      });
    }
  }

  it('a failed verify of an archive leaves $TMPDIR empty and names the archive, not the copy', async () => {
    const tmp = await fresh();
    const ended = await ferry(['verify', big, '--allow-unsigned'], tmp);
    assert.equal(ended.code, 5, ended.stderr);
    assert.match(ended.stderr, /The bundle .*big\.ferry\.tar has been changed or damaged/);
    assert.match(ended.stderr, /padding\.bin: not listed in SHA256SUMS/);
    assert.doesNotMatch(ended.stderr, /ferry-bundle-/);
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('doctor and install name the archive when its manifest cannot be read', async () => {
    for (const args of [
      ['doctor', broken],
      ['install', broken, '--allow-unsigned', '--venv', join(work, 'never-made')],
    ]) {
      const tmp = await fresh();
      const ended = await ferry(args, tmp);
      assert.notEqual(ended.code, 0, ended.stderr);
      assert.match(ended.stderr, /broken\.ferry\.tar/, ended.stderr);
      assert.doesNotMatch(ended.stderr, /ferry-bundle-|internal error/, ended.stderr);
      assert.deepEqual(readdirSync(tmp), []);
    }
  });
});
