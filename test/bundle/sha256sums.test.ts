import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  checkSha256Sums,
  computeSha256Sums,
  formatSha256Sums,
  parseSha256Sums,
  verifySha256Sums,
} from '../../src/bundle/sha256sums.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
const H = (c: string) => c.repeat(64);

describe('SHA256SUMS', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-sums-'));
    await mkdir(join(dir, 'wheels'));
    await mkdir(join(dir, 'signatures'));
    await writeFile(join(dir, 'wheels', 'numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.whl'), 'n');
    await writeFile(join(dir, 'wheels', 'Paddle-2.6.2.whl'), 'p');
    await writeFile(join(dir, 'manifest.json'), '{}\n');
    await writeFile(join(dir, 'install.py'), 'print(1)\n');
    await writeFile(join(dir, 'signatures', 'X.minisig'), 'sig');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('formats sorted in byte order with two spaces and LF, and parses back', () => {
    const text = formatSha256Sums([
      { path: 'wheels/b.whl', sha256: H('b') },
      { path: 'README.txt', sha256: H('a') },
      { path: 'install.py', sha256: H('c') },
    ]);
    assert.equal(text, `${H('a')}  README.txt\n${H('c')}  install.py\n${H('b')}  wheels/b.whl\n`);
    assert.deepEqual(
      parseSha256Sums(text).map((e) => e.path),
      ['README.txt', 'install.py', 'wheels/b.whl'],
    );
    assert.deepEqual(parseSha256Sums(`${H('A')} *x\r\n`), [{ path: 'x', sha256: H('a') }]);
  });

  it('rejects unsafe paths, duplicates and malformed lines, all at once', () => {
    assert.throws(
      () => formatSha256Sums([{ path: '../x', sha256: H('a') }]),
      code('ERR_FERRY_BAD_PATH'),
    );
    assert.throws(
      () => parseSha256Sums(`${H('a')}  /etc/passwd\n${H('a')}  ok\n${H('a')}  ok\nnonsense\n`),
      (e: unknown) => (e as { details: { problems: string[] } }).details.problems.length === 3,
    );
  });

  it('is accepted by sha256sum -c and catches changed, missing and extra files', async () => {
    const text = formatSha256Sums(await computeSha256Sums(dir));
    assert.doesNotMatch(text, /signatures|SHA256SUMS/);
    await writeFile(join(dir, 'SHA256SUMS'), text);
    const r = spawnSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal((await verifySha256Sums(dir, text)).ok.length, 4);
    await writeFile(join(dir, 'manifest.json'), '{"x":1}\n');
    await writeFile(join(dir, 'wheels', 'evil-1.0-py3-none-any.whl'), 'e');
    await rm(join(dir, 'install.py'));
    const check = await checkSha256Sums(dir, text);
    assert.deepEqual(
      check.mismatched.map((m) => m.path),
      ['manifest.json'],
    );
    assert.deepEqual(check.missing, ['install.py']);
    assert.deepEqual(check.extra, ['wheels/evil-1.0-py3-none-any.whl']);
    await assert.rejects(verifySha256Sums(dir, text), code('ERR_FERRY_INTEGRITY'));
  });
});
