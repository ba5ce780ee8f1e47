import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateSm2KeyPair,
  parseSm2PrivateKey,
  parseSm2PublicKey,
  SM2_DEFAULT_ID,
  signSm2,
  sm2PublicKeyFromPrivate,
  sm3,
  verifySm2,
} from '../../src/trust/sm2.js';
import { skipUnlessTool } from '../helpers/ensure-tool.js';

describe('sm3', () => {
  it('matches the GM/T 0004 test vector for "abc"', () => {
    assert.equal(
      sm3(Buffer.from('abc')).toString('hex'),
      '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0',
    );
    assert.deepEqual(sm3(Buffer.from('x')), createHash('sm3').update('x').digest());
  });
});

describe('sm2 in ferry', () => {
  const data = Buffer.from('SHA256SUMS\n');
  const pair = generateSm2KeyPair();

  it('signs and verifies with the default ID', () => {
    const sig = signSm2(data, pair.privateKeyPem);
    assert.equal(sig[0], 0x30);
    assert.equal(verifySm2(data, sig, pair.publicKeyPem), true);
  });

  it('refuses changed data, another key, another ID and a damaged signature', () => {
    const sig = signSm2(data, pair.privateKeyPem);
    assert.equal(verifySm2(Buffer.from('SHA256SUMS!\n'), sig, pair.publicKeyPem), false);
    assert.equal(verifySm2(data, sig, generateSm2KeyPair().publicKeyPem), false);
    assert.equal(verifySm2(data, sig, pair.publicKeyPem, { id: '' }), false);
    assert.equal(verifySm2(data, sig, pair.publicKeyPem, { id: '1234567812345679' }), false);
    const bad = Buffer.from(sig);
    bad[10] = bad[10]! ^ 1;
    assert.equal(verifySm2(data, bad, pair.publicKeyPem), false);
    assert.equal(verifySm2(data, Buffer.from('garbage'), pair.publicKeyPem), false);
    assert.equal(
      verifySm2(data, signSm2(data, pair.privateKeyPem, { id: 'alice' }), pair.publicKeyPem),
      false,
    );
  });

  it('derives the public key and rejects keys that are not SM2', () => {
    assert.equal(sm2PublicKeyFromPrivate(pair.privateKeyPem), pair.publicKeyPem);
    const p256 = execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      { encoding: 'utf8' },
    );
    assert.throws(
      () => parseSm2PrivateKey(p256),
      (e: unknown) => (e as { code?: string }).code === 'ERR_FERRY_BAD_KEY',
    );
    assert.throws(
      () => parseSm2PublicKey('nothing'),
      (e: unknown) => (e as { code?: string }).code === 'ERR_FERRY_BAD_KEY',
    );
  });
});

describe('sm2 interop with the openssl CLI', { skip: skipUnlessTool('openssl', 'openssl') }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-sm2-'));
    await writeFile(join(dir, 'data'), 'paddlepaddle-2.6.2-cp310-cp310-manylinux1_x86_64.whl\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const openssl = (...args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  const distid = `distid:${SM2_DEFAULT_ID}`;

  it('openssl verifies what ferry signs (dgst and pkeyutl), and refuses a wrong ID', async () => {
    const pair = generateSm2KeyPair();
    await writeFile(join(dir, 'f.key'), pair.privateKeyPem);
    await writeFile(join(dir, 'f.pub'), pair.publicKeyPem);
    await writeFile(
      join(dir, 'f.sig'),
      signSm2(await readFile(join(dir, 'data')), pair.privateKeyPem),
    );
    const ok = openssl(
      'dgst',
      '-sm3',
      '-verify',
      'f.pub',
      '-sigopt',
      distid,
      '-signature',
      'f.sig',
      'data',
    );
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /Verified OK/);
    const ok2 = openssl(
      'pkeyutl',
      '-verify',
      '-rawin',
      '-digest',
      'sm3',
      '-pubin',
      '-inkey',
      'f.pub',
      '-pkeyopt',
      distid,
      '-in',
      'data',
      '-sigfile',
      'f.sig',
    );
    assert.equal(ok2.status, 0, ok2.stdout + ok2.stderr);
    const wrong = openssl(
      'dgst',
      '-sm3',
      '-verify',
      'f.pub',
      '-sigopt',
      'distid:1234567812345679',
      '-signature',
      'f.sig',
      'data',
    );
    assert.notEqual(wrong.status, 0);
    // openssl reads ferry's private key and checks it
    const check = openssl('pkey', '-in', 'f.key', '-check', '-noout');
    assert.equal(check.status, 0, check.stderr);
  });

  it('ferry verifies what openssl signs with its own key, and refuses a wrong ID', async () => {
    assert.equal(openssl('genpkey', '-algorithm', 'SM2', '-out', 'o.key').status, 0);
    assert.equal(openssl('pkey', '-in', 'o.key', '-pubout', '-out', 'o.pub').status, 0);
    const data = await readFile(join(dir, 'data'));
    const pub = await readFile(join(dir, 'o.pub'), 'utf8');
    const priv = await readFile(join(dir, 'o.key'), 'utf8');
    assert.equal(sm2PublicKeyFromPrivate(priv), pub);
    const dgst = openssl(
      'dgst',
      '-sm3',
      '-sign',
      'o.key',
      '-sigopt',
      distid,
      '-out',
      'o1.sig',
      'data',
    );
    assert.equal(dgst.status, 0, dgst.stderr);
    const pk = openssl(
      'pkeyutl',
      '-sign',
      '-rawin',
      '-digest',
      'sm3',
      '-inkey',
      'o.key',
      '-pkeyopt',
      distid,
      '-in',
      'data',
      '-out',
      'o2.sig',
    );
    assert.equal(pk.status, 0, pk.stderr);
    for (const name of ['o1.sig', 'o2.sig']) {
      const sig = await readFile(join(dir, name));
      assert.equal(verifySm2(data, sig, pub), true, name);
      assert.equal(verifySm2(data, sig, pub, { id: '' }), false, name);
    }
    const other = openssl(
      'dgst',
      '-sm3',
      '-sign',
      'o.key',
      '-sigopt',
      'distid:alice',
      '-out',
      'o3.sig',
      'data',
    );
    assert.equal(other.status, 0, other.stderr);
    assert.equal(verifySm2(data, await readFile(join(dir, 'o3.sig')), pub), false);
    // and ferry signs with openssl's key
    await writeFile(join(dir, 'o4.sig'), signSm2(data, priv));
    assert.equal(
      openssl('dgst', '-sm3', '-verify', 'o.pub', '-sigopt', distid, '-signature', 'o4.sig', 'data')
        .status,
      0,
    );
  });

  it('reads SEC1 "EC/SM2 PRIVATE KEY" PEM from openssl too', async () => {
    const sec1 = openssl('ec', '-in', 'o.key');
    assert.equal(sec1.status, 0, sec1.stderr);
    assert.match(sec1.stdout, /BEGIN (EC|SM2) PRIVATE KEY/);
    const key = parseSm2PrivateKey(sec1.stdout);
    assert.equal(key.d, parseSm2PrivateKey(await readFile(join(dir, 'o.key'), 'utf8')).d);
  });
});
