import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { hostTarget } from '../../src/host/host-target.js';
import type { ProbeOptions } from '../../src/host/probe.js';
import { parseTargetProfile, type TargetProfile } from '../../src/host/profile.js';
import { fetchText, localFileSha256 } from '../../src/index/http.js';
import { cachedPipFacts, type PipFacts } from '../../src/index/pip-config.js';
import { FactCache, type FactCacheIo } from '../../src/store/fact-cache.js';

const PROFILE_FILE = new URL('../fixtures/profiles/', import.meta.url);

/** An in-memory file system whose fingerprints the test changes by hand. */
function memoryIo(prints: Map<string, string>): FactCacheIo & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    files,
    fingerprint: async (path) => prints.get(path),
    readFile: async (path) => files.get(path),
    writeFile: async (path, text) => {
      files.set(path, text);
    },
  };
}

describe('FactCache', () => {
  it('answers from the cache while the key files are unchanged, and asks again when one changes', async () => {
    const prints = new Map([['/usr/bin/python3', 'f 10 1 7']]);
    const cache = new FactCache('/cache', memoryIo(prints));
    let asked = 0;
    const key = { values: { command: '/usr/bin/python3' }, files: ['/usr/bin/python3'] };
    const compute = async () => ++asked;
    assert.equal(await cache.get('t', key, compute), 1);
    assert.equal(await cache.get('t', key, compute), 1);
    assert.equal(asked, 1);
    prints.set('/usr/bin/python3', 'f 11 2 7');
    assert.equal(await cache.get('t', key, compute), 2);
    assert.equal(await cache.get('t', key, compute), 2);
    assert.equal(asked, 2);
  });

  it('asks again when a file the answer named (dependsOn) changes or appears', async () => {
    const prints = new Map([['/shim/python3', 'f 1 1 1']]);
    const cache = new FactCache('/cache', memoryIo(prints));
    let asked = 0;
    const key = { values: {}, files: ['/shim/python3'] };
    const compute = async () => ({ n: ++asked, executable: '/real/python3.11' });
    const dependsOn = (v: { executable: string }) => [v.executable];
    await cache.get('t', key, compute, dependsOn);
    await cache.get('t', key, compute, dependsOn);
    assert.equal(asked, 1, 'a missing file is a fact too: still missing, still cached');
    prints.set('/real/python3.11', 'f 5 5 5');
    await cache.get('t', key, compute, dependsOn);
    assert.equal(asked, 2);
  });

  it('a torn entry is recomputed, not an error', async () => {
    const io = memoryIo(new Map([['/a', 'f 1 1 1']]));
    const cache = new FactCache('/cache', io);
    const key = { values: {}, files: ['/a'] };
    await cache.get('t', key, async () => 1);
    for (const path of io.files.keys()) io.files.set(path, '{"values":');
    assert.equal(await cache.get('t', key, async () => 2), 2);
  });
});

describe('host target and pip facts: cached in the cache dir, keyed by the interpreter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-facts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const python = join(bin, 'python3');
  writeFileSync(python, '#!/bin/sh\nexit 1\n');
  chmodSync(python, 0o755);
  const env = { PATH: bin, HOME: join(dir, 'home') };

  it('hostTarget probes once while python3 on PATH is unchanged, and again after it changes', async () => {
    const fixture = (await import('node:fs'))
      .readdirSync(PROFILE_FILE)
      .find((f) => f.endsWith('.json'));
    assert.ok(fixture, 'a profile fixture exists');
    const profile: TargetProfile = parseTargetProfile(
      readFileSync(new URL(fixture, PROFILE_FILE), 'utf8'),
      fixture,
    );
    const calls: ProbeOptions[] = [];
    const probe = async (options: ProbeOptions = {}) => {
      calls.push(options);
      return profile;
    };
    const cache = new FactCache(join(dir, 'cache'));
    const io = { probe, cache, env, cwd: dir };
    const first = await hostTarget(undefined, false, io);
    const second = await hostTarget(undefined, false, io);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.python, 'python3');
    assert.deepEqual(second.target, first.target);
    // An upgrade replaces the interpreter: new size and mtime.
    writeFileSync(python, '#!/bin/sh\nexit 2\n# upgraded\n');
    utimesSync(python, new Date(), new Date(Date.now() + 5_000));
    await hostTarget(undefined, false, io);
    assert.equal(calls.length, 2);
    // The same file named by its path is the same key; another interpreter is another key.
    await hostTarget(python, false, io);
    assert.equal(calls.length, 2);
    const other = join(bin, 'python3.9');
    writeFileSync(other, '#!/bin/sh\n');
    await hostTarget(other, false, io);
    assert.equal(calls.length, 3);
    // nvidia-smi's answers are not cached.
    await hostTarget(undefined, true, io);
    await hostTarget(undefined, true, io);
    assert.equal(calls.length, 5);
  });

  it("pip's default index is asked once, and again when pip's own source file changes", async () => {
    const pipFile = join(dir, 'pip__init__.py');
    writeFileSync(pipFile, '__version__ = "23.2.1"\n');
    let asked = 0;
    const ask = async (): Promise<PipFacts> => {
      asked++;
      return {
        prefix: '/venv',
        index: 'https://index.invalid/simple',
        pipFile,
        executable: python,
      };
    };
    const cache = new FactCache(join(dir, 'cache'));
    const a = await cachedPipFacts('python3', env, cache, ask, dir);
    const b = await cachedPipFacts('python3', env, cache, ask, dir);
    assert.equal(asked, 1);
    assert.deepEqual(b, a);
    writeFileSync(pipFile, '__version__ = "24.0"\n');
    utimesSync(pipFile, new Date(), new Date(Date.now() + 10_000));
    await cachedPipFacts('python3', env, cache, ask, dir);
    assert.equal(asked, 2);
    // No cache: asked every time, as before.
    await cachedPipFacts('python3', env, null, ask, dir);
    assert.equal(asked, 3);
  });

  it('a python3 that is not on PATH is asked (and fails) rather than cached', async () => {
    let asked = 0;
    const ask = async (): Promise<PipFacts> => {
      asked++;
      throw new Error('no python');
    };
    const cache = new FactCache(join(dir, 'cache'));
    await assert.rejects(
      cachedPipFacts('python3', { PATH: join(dir, 'nowhere') }, cache, ask, dir),
    );
    await assert.rejects(
      cachedPipFacts('python3', { PATH: join(dir, 'nowhere') }, cache, ask, dir),
    );
    assert.equal(asked, 2);
  });
});

describe('find-links folders: a listing reads the folder, not every file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-links-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const links = join(dir, 'wheels');
  mkdirSync(links);
  const wheel = join(links, 'demo-1.0-py3-none-any.whl');
  writeFileSync(wheel, 'first bytes');
  const cacheDir = join(dir, 'cache');
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  it('lists every file by name and hashes none of them', async () => {
    writeFileSync(join(links, 'other-2.0-py3-none-any.whl'), 'not read');
    const page = (await fetchText(pathToFileURL(links).href, { directory: 'listing' })).body;
    assert.match(page, /demo-1\.0-py3-none-any\.whl/);
    assert.match(page, /other-2\.0-py3-none-any\.whl/);
    assert.doesNotMatch(page, /#sha256=/);
  });

  it('the lock hashes a chosen file once: the record serves while it is unchanged, and it is hashed again once it changes', async () => {
    assert.equal(await localFileSha256(wheel, cacheDir), sha('first bytes'));
    // Prove the second call reads the record: plant another digest in it.
    const factsDir = join(cacheDir, 'facts');
    const [entry] = readdirSync(factsDir).filter((f) => f.startsWith('file-sha256-'));
    assert.ok(entry);
    const planted = 'ab'.repeat(32);
    const text = readFileSync(join(factsDir, entry), 'utf8');
    writeFileSync(join(factsDir, entry), text.replace(sha('first bytes'), planted));
    assert.equal(await localFileSha256(wheel, cacheDir), planted);
    writeFileSync(wheel, 'other bytes, longer');
    assert.equal(await localFileSha256(wheel, cacheDir), sha('other bytes, longer'));
  });
});
