/** The one "write a temporary file and rename" helper (src/core/atomic-write.ts, via src/store). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AtomicFile, commitAll, replaceDirAtomic, writeFileAtomic } from '../../src/store/index.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-atomic-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  test('writes the whole file with the mode asked for, and leaves no temporary file', async () => {
    const dir = join(root, 'a');
    await mkdir(dir);
    await writeFileAtomic(join(dir, 'k.key'), 'secret', { mode: 0o600 });
    assert.equal(await readFile(join(dir, 'k.key'), 'utf8'), 'secret');
    assert.equal((await stat(join(dir, 'k.key'))).mode & 0o777, 0o600);
    await writeFileAtomic(join(dir, 'k.key'), 'replaced', { sync: false });
    assert.equal(await readFile(join(dir, 'k.key'), 'utf8'), 'replaced');
    assert.deepEqual(await readdir(dir), ['k.key']);
  });

  test('a failed rename keeps the old file and removes the temporary one', async () => {
    const dir = join(root, 'b');
    await mkdir(join(dir, 'target'), { recursive: true });
    await writeFile(join(dir, 'target', 'inside'), 'x');
    await assert.rejects(writeFileAtomic(join(dir, 'target'), 'text'));
    assert.deepEqual(await readdir(dir), ['target']);
  });

  test('commitAll renames a set, or removes every file of it', async () => {
    const dir = join(root, 'c');
    await mkdir(dir);
    const a = await AtomicFile.open(join(dir, 'x.key'));
    await a.write('a');
    const b = await AtomicFile.open(join(dir, 'x.pub'));
    await b.write('b');
    await commitAll([a, b]);
    assert.deepEqual((await readdir(dir)).sort(), ['x.key', 'x.pub']);

    await mkdir(join(dir, 'y.pub'));
    await writeFile(join(dir, 'y.pub', 'in'), '');
    const c = await AtomicFile.open(join(dir, 'y.key'));
    const d = await AtomicFile.open(join(dir, 'y.pub'));
    await assert.rejects(commitAll([c, d]));
    assert.deepEqual((await readdir(dir)).sort(), ['x.key', 'x.pub', 'y.pub']);
  });

  test('replaceDirAtomic swaps a folder in and removes the old one', async () => {
    const dir = join(root, 'd');
    await mkdir(join(dir, 'new'), { recursive: true });
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'new', 'f'), 'new');
    await writeFile(join(dir, 'out', 'f'), 'old');
    await replaceDirAtomic(join(dir, 'new'), join(dir, 'out'));
    assert.equal(await readFile(join(dir, 'out', 'f'), 'utf8'), 'new');
    assert.deepEqual(await readdir(dir), ['out']);
  });
});
