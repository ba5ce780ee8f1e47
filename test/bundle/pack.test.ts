import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBundleArchive } from '../../src/archive/extract.js';
import { parseSize } from '../../src/archive/size.js';
import { packBundle } from '../../src/bundle/pack.js';
import { listFiles } from '../../src/bundle/sha256sums.js';
import { skipUnlessTool } from '../helpers/ensure-tool.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function makeBundle(dir: string): Promise<void> {
  await mkdir(join(dir, 'wheels'), { recursive: true });
  await mkdir(join(dir, 'signatures'), { recursive: true });
  // pseudo-random, incompressible-ish content so volumes cut through files
  const big = Buffer.alloc(70_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  await writeFile(join(dir, 'wheels', 'paddlepaddle-2.6.2-cp310-cp310-manylinux1_x86_64.whl'), big);
  await writeFile(
    join(dir, 'wheels', 'numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'),
    'numpy',
  );
  // a path longer than ustar's 100-byte name field, with no '/' to split at → pax
  await writeFile(join(dir, 'wheels', `${'x'.repeat(120)}-1.0-py3-none-any.whl`), 'long');
  await writeFile(join(dir, 'requirements.txt'), 'numpy==1.26.4 --hash=sha256:00\n');
  await writeFile(join(dir, 'manifest.json'), '{}\n');
  await writeFile(join(dir, 'SHA256SUMS'), '');
  await writeFile(join(dir, 'install.py'), '#!/usr/bin/env python3\n', { mode: 0o644 });
  await writeFile(join(dir, 'README.txt'), '摆渡 ferry\n');
  await writeFile(join(dir, 'signatures', 'ABCD.minisig'), 'sig\n');
  await writeFile(join(dir, 'empty'), '');
}

async function sameTree(a: string, b: string): Promise<void> {
  const fa = await listFiles(a);
  assert.deepEqual(await listFiles(b), fa);
  for (const f of fa) {
    assert.deepEqual(await readFile(join(b, f)), await readFile(join(a, f)), f);
  }
}

describe('parseSize', () => {
  it('reads binary and decimal units', () => {
    assert.equal(parseSize('3900M'), 3900 * 1024 ** 2);
    assert.equal(parseSize('4G'), 4 * 1024 ** 3);
    assert.equal(parseSize('700K'), 700 * 1024);
    assert.equal(parseSize('4.7GB'), 4_700_000_000);
    assert.equal(parseSize('1048576'), 1048576);
    assert.equal(parseSize('2 MiB'), 2 * 1024 ** 2);
    for (const bad of ['', 'ten', '4X', '-1M', '100'])
      assert.throws(() => parseSize(bad), code('ERR_FERRY_BAD_SIZE'));
  });
});

describe('packBundle / readBundleArchive', () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ferry-pack-'));
    await makeBundle(join(work, 'a', 'bundle'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('is byte-identical for copies in other folders with other mtimes', async () => {
    await cp(join(work, 'a', 'bundle'), join(work, 'b', 'elsewhere', 'copy'), { recursive: true });
    await utimes(join(work, 'b', 'elsewhere', 'copy', 'manifest.json'), 1_000_000, 1_000_000);
    await utimes(join(work, 'b', 'elsewhere', 'copy', 'wheels'), 2_000_000, 2_000_000);
    const r1 = await packBundle(join(work, 'a', 'bundle'), join(work, 'one.ferry.tar'), {
      root: 'demo',
    });
    const r2 = await packBundle(join(work, 'b', 'elsewhere', 'copy'), join(work, 'two.ferry.tar'), {
      root: 'demo',
    });
    const a = await readFile(join(work, 'one.ferry.tar'));
    assert.deepEqual(await readFile(join(work, 'two.ferry.tar')), a);
    assert.equal(r1.sha256, sha(a));
    assert.equal(r2.sha256, r1.sha256);
    assert.equal(a.length % 10240, 0);
    const r3 = await packBundle(join(work, 'a', 'bundle'), join(work, 'three.ferry.tar'), {
      root: 'demo',
      mtime: 1_700_000_000,
    });
    assert.notEqual(r3.sha256, r1.sha256);
  });

  it('GNU tar lists it without warnings and extracts the same tree, modes included', {
    skip: skipUnlessTool('tar', 'tar'),
  }, async () => {
    const archive = join(work, 'demo.ferry.tar');
    await packBundle(join(work, 'a', 'bundle'), archive);
    const list = spawnSync('tar', ['-tvf', archive], { encoding: 'utf8' });
    assert.equal(list.status, 0);
    assert.equal(list.stderr, '');
    assert.match(list.stdout, /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 demo\/$/m);
    assert.match(list.stdout, /^-rwxr-xr-x 0\/0 .* demo\/install\.py$/m);
    assert.match(list.stdout, /^-rw-r--r-- 0\/0 .* demo\/manifest\.json$/m);
    assert.match(list.stdout, /demo\/wheels\/x{120}-1\.0-py3-none-any\.whl$/m);
    const out = join(work, 'gnu');
    await mkdir(out);
    const x = spawnSync('tar', ['-xf', archive, '-C', out], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    assert.equal(x.stderr, '');
    await sameTree(join(work, 'a', 'bundle'), join(out, 'demo'));
    assert.equal((await stat(join(out, 'demo', 'install.py'))).mode & 0o777, 0o755);
    // and ferry reads it back the same
    const mine = await readBundleArchive(archive, join(work, 'mine'));
    assert.equal(mine.root, 'demo');
    await sameTree(join(work, 'a', 'bundle'), join(work, 'mine'));
    assert.equal((await stat(join(work, 'mine', 'install.py'))).mode & 0o777, 0o755);
  });

  it('splits into volumes and joins them back (from .001, the base name, or volumes.json)', async () => {
    const out = join(work, 'split', 'demo.ferry.tar');
    await mkdir(join(work, 'split'));
    const whole = await packBundle(join(work, 'a', 'bundle'), join(work, 'whole.ferry.tar'), {
      root: 'demo',
    });
    const r = await packBundle(join(work, 'a', 'bundle'), out, { splitBytes: 20_000 });
    assert.equal(r.sha256, whole.sha256);
    const names = (await readdir(join(work, 'split'))).sort();
    assert.deepEqual(names.slice(0, 3), [
      'demo.ferry.tar.001',
      'demo.ferry.tar.002',
      'demo.ferry.tar.003',
    ]);
    assert.ok(names.includes('demo.ferry.tar.volumes.json'));
    assert.ok(!names.some((n) => n.endsWith('.partial')));
    const volumes = r.volumes!;
    assert.ok(volumes.every((v, i) => v.size === 20_000 || i === volumes.length - 1));
    const manifest = JSON.parse(await readFile(`${out}.volumes.json`, 'utf8'));
    assert.equal(manifest.sha256, whole.sha256);
    const joined = Buffer.concat(
      await Promise.all(volumes.map((v) => readFile(join(work, 'split', v.name)))),
    );
    assert.equal(sha(joined), whole.sha256);
    for (const [i, from] of [`${out}.001`, out, `${out}.volumes.json`].entries()) {
      const dest = join(work, `joined-${i}`);
      const res = await readBundleArchive(from, dest);
      assert.equal(res.sha256, whole.sha256);
      await sameTree(join(work, 'a', 'bundle'), dest);
    }
  });

  it('names a missing volume and a damaged one, and leaves nothing behind', async () => {
    const dir = join(work, 'broken');
    await mkdir(dir);
    const out = join(dir, 'demo.ferry.tar');
    await packBundle(join(work, 'a', 'bundle'), out, { splitBytes: 20_000 });
    const v3 = await readFile(`${out}.003`);
    await rm(`${out}.003`);
    await assert.rejects(readBundleArchive(`${out}.001`, join(work, 'x1')), (e: unknown) => {
      const err = e as { code: string; message: string };
      return (
        err.code === 'ERR_FERRY_VOLUME_MISSING' &&
        err.message.includes('demo.ferry.tar.003 is missing')
      );
    });
    const bad = Buffer.from(v3);
    bad[100] = bad[100]! ^ 0xff;
    await writeFile(`${out}.003`, bad);
    await assert.rejects(readBundleArchive(`${out}.001`, join(work, 'x2')), (e: unknown) => {
      const err = e as { code: string; message: string };
      return err.code === 'ERR_FERRY_VOLUME_DAMAGED' && err.message.includes('demo.ferry.tar.003');
    });
    // damage in the first volume's headers is also attributed to the volume
    await writeFile(`${out}.003`, v3);
    const v1 = await readFile(`${out}.001`);
    const bad1 = Buffer.from(v1);
    bad1[600] = bad1[600]! ^ 0xff;
    await writeFile(`${out}.001`, bad1);
    await assert.rejects(readBundleArchive(`${out}.001`, join(work, 'x3')), (e: unknown) => {
      const err = e as { code: string; message: string };
      return err.code === 'ERR_FERRY_VOLUME_DAMAGED' && err.message.includes('demo.ferry.tar.001');
    });
    const left = (await readdir(work)).filter(
      (n) => n.startsWith('x') || n.includes('ferry-partial'),
    );
    assert.deepEqual(left, []);
  });

  it('refuses links when packing, and an existing destination when reading', async () => {
    const dir = join(work, 'links');
    await makeBundle(dir);
    await symlink('/etc/passwd', join(dir, 'wheels', 'evil.whl'));
    await assert.rejects(
      packBundle(dir, join(work, 'links.ferry.tar')),
      code('ERR_FERRY_UNSUPPORTED_FILE'),
    );
    await assert.rejects(
      readBundleArchive(join(work, 'one.ferry.tar'), join(work, 'a')),
      code('ERR_FERRY_DEST_EXISTS'),
    );
  });

  it('refuses unsafe entries when reading: links, .. and absolute paths made by GNU tar', {
    skip: skipUnlessTool('tar', 'tar'),
  }, async () => {
    const src = join(work, 'evil-src');
    await mkdir(join(src, 'demo'), { recursive: true });
    await writeFile(join(src, 'demo', 'a'), 'a');
    await symlink('/etc/passwd', join(src, 'demo', 'link'));
    const cases: [string, string[]][] = [
      ['link', ['-cf', join(work, 'evil1.tar'), '--format=ustar', '-C', src, 'demo']],
      [
        'dotdot',
        [
          '-cf',
          join(work, 'evil2.tar'),
          '--format=ustar',
          '-C',
          src,
          '--transform=s,^demo/a,demo/../../a,',
          '-P',
          'demo/a',
        ],
      ],
      [
        'absolute',
        ['-cf', join(work, 'evil3.tar'), '--format=ustar', '-P', join(src, 'demo', 'a')],
      ],
    ];
    for (const [label, args] of cases) {
      const r = spawnSync('tar', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `${label}: ${r.stderr}`);
      const archive = args[1]!;
      await assert.rejects(
        readBundleArchive(archive, join(work, `evil-out-${label}`)),
        code('ERR_FERRY_ARCHIVE_UNSAFE'),
        label,
      );
    }
  });
});
