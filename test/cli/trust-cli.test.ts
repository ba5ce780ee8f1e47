/**
 * ferry keygen / sign / verify / pack through the real CLI (node bin/ferry.js), and interop
 * with Debian's minisign and the openssl command in both directions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPublicKey } from '../../src/trust/keys.js';
import { writeFixtureBundle } from '../bundle/fixture.js';
import { skipUnlessTool } from '../helpers/ensure-tool.js';

const BIN = join(process.cwd(), 'bin', 'ferry.js');

describe('trust commands through the CLI', () => {
  let work = '';
  let bundle = '';
  const ferry = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8' });
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ferry-trust-cli-'));
    bundle = join(work, 'bundle');
    await writeFixtureBundle(bundle, join(work, 'cache'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('keygen writes NAME.key (0600) and NAME.pub, and refuses to overwrite', async () => {
    const ed = ferry('keygen', 'alice', '--json');
    assert.equal(ed.status, 0, ed.stderr);
    const result = JSON.parse(ed.stdout.trim().split('\n').at(-1)!);
    assert.equal(result.algorithm, 'ed25519');
    assert.match(result.trustFileLine, /^alice ed25519 RW/);
    assert.equal((await stat(join(work, 'alice.key'))).mode & 0o777, 0o600);
    const sm2 = ferry('keygen', 'bob', '--sm2');
    assert.equal(sm2.status, 0, sm2.stderr);
    assert.match(await readFile(join(work, 'bob.pub'), 'utf8'), /BEGIN PUBLIC KEY/);
    assert.equal(ferry('keygen', 'alice').status, 2, 'an existing key is a usage error');
    assert.equal(ferry('keygen', 'mallory').status, 0);
  });

  it('keygen into a missing folder or onto a folder, and a missing or foreign key: ERR_FERRY_* naming the file, no stack trace', async () => {
    const noDir = ferry('keygen', 'no-such-dir/alice');
    assert.notEqual(noDir.status, 0);
    assert.match(noDir.stderr, /ERR_FERRY_KEY_PATH.*the folder "no-such-dir" does not exist/);
    const { mkdir, readdir } = await import('node:fs/promises');
    await mkdir(join(work, 'dirkey.key'));
    const onDir = ferry('keygen', 'dirkey');
    assert.match(onDir.stderr, /ERR_FERRY_KEY_PATH.*"dirkey\.key": it is a folder/);
    assert.ok(!(await readdir(work)).some((n) => n.startsWith('dirkey.pub') || n.endsWith('.tmp')));
    const missing = ferry('verify', bundle, '--trusted-key', 'missing.pub');
    assert.match(missing.stderr, /ERR_FERRY_KEY_NOT_FOUND.*"missing\.pub": there is no such file/);
    assert.match(missing.stderr, /^hint: /m);
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(work, 'rsa.pub'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    const foreign = ferry('verify', bundle, '--trusted-key', 'rsa.pub');
    assert.match(foreign.stderr, /ERR_FERRY_BAD_KEY.*"rsa\.pub" holds an RSA public key/);
    for (const r of [noDir, onDir, missing, foreign])
      assert.doesNotMatch(r.stderr, /internal error|\n {4}at /);
  });

  it('sign + verify: exit 0 with trusted keys, 7 without or with the wrong key, JSON report', async () => {
    assert.equal(
      ferry('sign', bundle, '--key', 'alice.key', '--trusted-comment', 'reviewed by alice').status,
      0,
    );
    const s2 = ferry('sign', bundle, '--key', 'bob.key');
    assert.equal(s2.status, 0, s2.stderr);
    const ok = ferry(
      'verify',
      bundle,
      '--trusted-key',
      'alice.pub',
      '--trusted-key',
      'bob.pub',
      '--require-signers',
      '2',
      '--json',
    );
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    const report = JSON.parse(ok.stdout.trim().split('\n').at(-1)!);
    assert.deepEqual(report.signatures.signers, ['alice', 'bob']);
    assert.equal(
      report.signatures.valid.find((v: { signer: string }) => v.signer === 'alice').trustedComment,
      'reviewed by alice',
    );
    assert.equal(ferry('verify', bundle).status, 7);
    const unsigned = ferry('verify', bundle, '--allow-unsigned');
    assert.equal(unsigned.status, 0);
    assert.match(unsigned.stderr, /NOT checked/);
    const wrong = ferry('verify', bundle, '--trusted-key', 'mallory.pub', '--json');
    assert.equal(wrong.status, 7);
    assert.equal(JSON.parse(wrong.stdout.trim().split('\n').at(-1)!).code, 'ERR_FERRY_UNTRUSTED');
    // a trust file works too
    const line = JSON.parse(
      ferry('keygen', 'carol', '--json').stdout.trim().split('\n').at(-1)!,
    ).trustFileLine;
    const alicePub = await loadPublicKey(join(work, 'alice.pub'));
    assert.equal(alicePub.algorithm, 'ed25519');
    await writeFile(
      join(work, 'trusted.txt'),
      `# reviewers\n${line}\nalice ed25519 ${(await readFile(join(work, 'alice.pub'), 'utf8')).split('\n')[1]}\n`,
    );
    assert.equal(ferry('verify', bundle, '--trust-file', 'trusted.txt').status, 0);
  });

  it('exit 5 for a changed file and 6 for a missing one, naming the file', async () => {
    const copy = join(work, 'copy');
    await cp(bundle, copy, { recursive: true });
    await rm(join(copy, 'README.txt'));
    const missing = ferry('verify', copy, '--trusted-key', 'alice.pub');
    assert.equal(missing.status, 6);
    assert.match(missing.stderr, /README\.txt: missing/);
    await writeFile(join(copy, 'README.txt'), 'hello');
    const changed = ferry('verify', copy, '--trusted-key', 'alice.pub');
    assert.equal(changed.status, 5);
    assert.match(changed.stderr, /README\.txt: SHA-256 is/);
  });

  it('pack, then verify the archive and its volumes directly; sign refuses an archive', async () => {
    const packed = ferry('pack', bundle, '-o', 'b.ferry.tar');
    assert.equal(packed.status, 0, packed.stderr);
    assert.equal(ferry('verify', 'b.ferry.tar', '--trusted-key', 'alice.pub').status, 0);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(work, 'again'));
    const again = ferry('pack', bundle, '-o', 'again/b.ferry.tar');
    assert.equal(again.status, 0);
    assert.ok(
      (await readFile(join(work, 'b.ferry.tar'))).equals(
        await readFile(join(work, 'again', 'b.ferry.tar')),
      ),
    );
    assert.equal(ferry('pack', bundle, '-o', 'v.ferry.tar', '--split', '20K').status, 0);
    assert.equal(ferry('verify', 'v.ferry.tar.001', '--trusted-key', 'alice.pub').status, 0);
    assert.equal(
      ferry('verify', 'v.ferry.tar.volumes.json', '--trusted-key', 'alice.pub').status,
      0,
    );
    await rm(join(work, 'v.ferry.tar.002'));
    const gone = ferry('verify', 'v.ferry.tar.001', '--trusted-key', 'alice.pub');
    assert.equal(gone.status, 6);
    assert.match(gone.stderr, /v\.ferry\.tar\.002 is missing/);
    const tar = await readFile(join(work, 'b.ferry.tar'));
    tar[3000] = tar[3000]! ^ 0x40;
    await writeFile(join(work, 'b.ferry.tar'), tar);
    assert.equal(ferry('verify', 'b.ferry.tar', '--trusted-key', 'alice.pub').status, 5);
    const sign = ferry('sign', 'again/b.ferry.tar', '--key', 'alice.key');
    assert.equal(sign.status, 2);
    assert.match(sign.stderr, /tar -xf/);
  });

  it("Debian minisign verifies ferry's signature, and ferry verifies minisign's", {
    skip: skipUnlessTool('minisign', 'minisign'),
  }, async () => {
    const id = (await loadPublicKey(join(work, 'alice.pub'))).keyId;
    const check = spawnSync(
      'minisign',
      ['-Vm', 'SHA256SUMS', '-x', `signatures/${id}.minisig`, '-p', join(work, 'alice.pub')],
      { cwd: bundle, encoding: 'utf8' },
    );
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /Trusted comment: reviewed by alice/);
    const gen = spawnSync('minisign', ['-G', '-W', '-f', '-p', 'm.pub', '-s', 'm.key'], {
      cwd: work,
      encoding: 'utf8',
      input: '',
    });
    assert.equal(gen.status, 0, gen.stderr);
    const mid = (await loadPublicKey(join(work, 'm.pub'))).keyId;
    const sign = spawnSync(
      'minisign',
      [
        '-S',
        '-s',
        join(work, 'm.key'),
        '-m',
        'SHA256SUMS',
        '-x',
        `signatures/${mid}.minisig`,
        '-t',
        'minisign reviewer',
      ],
      { cwd: bundle, encoding: 'utf8', input: '' },
    );
    assert.equal(sign.status, 0, sign.stderr);
    const ok = ferry('verify', bundle, '--trusted-key', 'm.pub', '--json');
    assert.equal(ok.status, 0, ok.stdout);
    assert.equal(
      JSON.parse(ok.stdout.trim().split('\n').at(-1)!).signatures.valid[0].trustedComment,
      'minisign reviewer',
    );
    const py = spawnSync(
      'python3',
      [join(bundle, 'install.py'), '--check-only', '--trusted-key', join(work, 'm.pub')],
      { encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
  });

  it("openssl verifies ferry's SM2 signature, and ferry and install.py verify openssl's", {
    skip: skipUnlessTool('openssl', 'openssl'),
  }, async () => {
    const id = (await loadPublicKey(join(work, 'bob.pub'))).keyId;
    const openssl = (...args: string[]) =>
      spawnSync('openssl', args, { cwd: bundle, encoding: 'utf8' });
    const check = openssl(
      'dgst',
      '-sm3',
      '-verify',
      join(work, 'bob.pub'),
      '-sigopt',
      'distid:1234567812345678',
      '-signature',
      `signatures/${id}.sm2.sig`,
      'SHA256SUMS',
    );
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /Verified OK/);
    assert.equal(openssl('genpkey', '-algorithm', 'SM2', '-out', join(work, 'o.key')).status, 0);
    assert.equal(
      openssl('pkey', '-in', join(work, 'o.key'), '-pubout', '-out', join(work, 'o.pub')).status,
      0,
    );
    const oid = (await loadPublicKey(join(work, 'o.pub'))).keyId;
    const sign = openssl(
      'dgst',
      '-sm3',
      '-sign',
      join(work, 'o.key'),
      '-sigopt',
      'distid:1234567812345678',
      '-out',
      `signatures/${oid}.sm2.sig`,
      'SHA256SUMS',
    );
    assert.equal(sign.status, 0, sign.stderr);
    const ok = ferry(
      'verify',
      bundle,
      '--trusted-key',
      'o.pub',
      '--trusted-key',
      'bob.pub',
      '--require-signers',
      '2',
    );
    assert.equal(ok.status, 0, ok.stderr);
    const py = spawnSync(
      'python3',
      [
        join(bundle, 'install.py'),
        '--check-only',
        '--trusted-key',
        join(work, 'o.pub'),
        '--trusted-key',
        join(work, 'bob.pub'),
        '--require-signers',
        '2',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
  });
});
