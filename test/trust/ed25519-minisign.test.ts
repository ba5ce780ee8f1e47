import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blake2b } from '../../src/trust/blake2b.js';
import {
  generateMinisignKeyPair,
  minisignPublicKeyFromSecret,
  parseMinisignPublicKey,
  parseMinisignSecretKey,
  signMinisign,
  verifyMinisign,
} from '../../src/trust/ed25519-minisign.js';
import { skipUnlessTool } from '../helpers/ensure-tool.js';

const rejects = (fn: () => unknown, code = 'ERR_FERRY_BAD_SIGNATURE'): void => {
  assert.throws(fn, (e: unknown) => (e as { code?: string }).code === code);
};

describe('blake2b', () => {
  it('matches node for 64-byte digests at block boundaries', () => {
    for (const n of [0, 1, 127, 128, 129, 256, 1000]) {
      const data = Buffer.alloc(n, n & 0xff);
      assert.deepEqual(blake2b(data), createHash('blake2b512').update(data).digest());
    }
  });
  it('computes BLAKE2b-256 (RFC 7693 parameter block), not a truncation', () => {
    // Python: hashlib.blake2b(b'abc', digest_size=32).hexdigest()
    assert.equal(
      blake2b(Buffer.from('abc'), 32).toString('hex'),
      'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
    );
    assert.notDeepEqual(
      blake2b(Buffer.from('abc'), 32),
      blake2b(Buffer.from('abc')).subarray(0, 32),
    );
  });
});

describe('minisign format in ferry', () => {
  const data = Buffer.from('SHA256SUMS contents\n');
  const pair = generateMinisignKeyPair({ comment: 'ferry test key' });

  it('writes a public key file minisign can read and a matching key id', () => {
    const lines = pair.publicKeyText.split('\n');
    assert.equal(lines[0], 'untrusted comment: ferry test key');
    assert.match(lines[1]!, /^RW[A-Za-z0-9+/]{54}$/);
    assert.match(pair.keyId, /^[0-9A-F]{16}$/);
    assert.equal(parseMinisignPublicKey(pair.publicKeyText).keyId, pair.keyId);
    assert.equal(parseMinisignSecretKey(pair.secretKeyText).keyId, pair.keyId);
    assert.equal(
      minisignPublicKeyFromSecret(pair.secretKeyText, 'ferry test key'),
      pair.publicKeyText,
    );
  });

  it('signs and verifies, returning the trusted comment', () => {
    const sig = signMinisign(data, pair.secretKeyText, { trustedComment: 'bundle demo 1' });
    assert.match(sig.split('\n')[1]!, /^RU[Q-T]/); // "ED" prehashed
    assert.deepEqual(verifyMinisign(data, sig, pair.publicKeyText), {
      keyId: pair.keyId,
      trustedComment: 'bundle demo 1',
    });
  });

  it('signing is deterministic (Ed25519, no timestamp by default)', () => {
    assert.equal(signMinisign(data, pair.secretKeyText), signMinisign(data, pair.secretKeyText));
  });

  it('refuses changed data, a changed trusted comment, another key and garbage', () => {
    const sig = signMinisign(data, pair.secretKeyText, { trustedComment: 'ok' });
    rejects(() => verifyMinisign(Buffer.from('SHA256SUMS contents!\n'), sig, pair.publicKeyText));
    rejects(() =>
      verifyMinisign(
        data,
        sig.replace('trusted comment: ok', 'trusted comment: ok2'),
        pair.publicKeyText,
      ),
    );
    const other = generateMinisignKeyPair();
    rejects(() => verifyMinisign(data, sig, other.publicKeyText));
    rejects(() => verifyMinisign(data, 'not a signature', pair.publicKeyText));
    const lines = sig.split('\n');
    const sigBytes = Buffer.from(lines[1]!, 'base64');
    sigBytes[20] = sigBytes[20]! ^ 1;
    lines[1] = sigBytes.toString('base64');
    rejects(() => verifyMinisign(data, lines.join('\n'), pair.publicKeyText));
  });

  it('rejects multi-line comments and damaged secret keys', () => {
    assert.throws(() => signMinisign(data, pair.secretKeyText, { trustedComment: 'a\nb' }));
    const lines = pair.secretKeyText.split('\n');
    const sk = Buffer.from(lines[1]!, 'base64');
    sk[100] = sk[100]! ^ 1;
    lines[1] = sk.toString('base64');
    rejects(() => parseMinisignSecretKey(lines.join('\n')), 'ERR_FERRY_BAD_KEY');
  });
});

describe('interop with the minisign CLI', { skip: skipUnlessTool('minisign', 'minisign') }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-minisign-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const minisign = (...args: string[]) =>
    spawnSync('minisign', args, { cwd: dir, encoding: 'utf8', input: '' });

  it('minisign -V accepts what ferry signs, and refuses tampering', async () => {
    const pair = generateMinisignKeyPair();
    await writeFile(join(dir, 'f.pub'), pair.publicKeyText);
    await writeFile(join(dir, 'data'), 'hello wheels\n');
    await writeFile(
      join(dir, 'data.minisig'),
      signMinisign(Buffer.from('hello wheels\n'), pair.secretKeyText, {
        trustedComment: 'from ferry',
      }),
    );
    const ok = minisign('-Vm', 'data', '-p', 'f.pub');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Trusted comment: from ferry/);
    await writeFile(join(dir, 'data'), 'hello wheelz\n');
    assert.notEqual(minisign('-Vm', 'data', '-p', 'f.pub').status, 0);
    await writeFile(join(dir, 'data'), 'hello wheels\n');
    const sig = await readFile(join(dir, 'data.minisig'), 'utf8');
    await writeFile(
      join(dir, 'data.minisig'),
      sig.replace('trusted comment: from ferry', 'trusted comment: from someone else'),
    );
    assert.notEqual(minisign('-Vm', 'data', '-p', 'f.pub').status, 0);
  });

  it('minisign signs with a ferry secret key (minisign reads ferry key files)', async () => {
    const pair = generateMinisignKeyPair();
    await writeFile(join(dir, 'g.key'), pair.secretKeyText);
    await writeFile(join(dir, 'g.pub'), pair.publicKeyText);
    await writeFile(join(dir, 'g-data'), 'abc');
    const signed = minisign('-S', '-W', '-s', 'g.key', '-m', 'g-data', '-t', 'by minisign');
    assert.equal(signed.status, 0, signed.stderr);
    const sig = await readFile(join(dir, 'g-data.minisig'), 'utf8');
    assert.equal(
      verifyMinisign(Buffer.from('abc'), sig, pair.publicKeyText).trustedComment,
      'by minisign',
    );
  });

  it('ferry verifies what minisign -S made with its own key, and reads its unencrypted secret key', async () => {
    execFileSync('minisign', ['-G', '-W', '-f', '-p', 'm.pub', '-s', 'm.key'], {
      cwd: dir,
      stdio: 'ignore',
    });
    await writeFile(join(dir, 'm-data'), Buffer.alloc(100_000, 7));
    const signed = minisign(
      '-S',
      '-W',
      '-s',
      'm.key',
      '-m',
      'm-data',
      '-t',
      'signed by the security department',
    );
    assert.equal(signed.status, 0, signed.stderr);
    const pub = await readFile(join(dir, 'm.pub'), 'utf8');
    const sig = await readFile(join(dir, 'm-data.minisig'), 'utf8');
    const data = await readFile(join(dir, 'm-data'));
    const result = verifyMinisign(data, sig, pub);
    assert.equal(result.trustedComment, 'signed by the security department');
    assert.equal(result.keyId, parseMinisignPublicKey(pub).keyId);
    // minisign prints the key id in its comment without leading zeros ("%" PRIX64).
    const commentId = /public key ([0-9A-F]+)/.exec(pub)?.[1];
    assert.equal(BigInt(`0x${commentId}`), BigInt(`0x${result.keyId}`));
    // tampered data / trusted comment are refused by both
    data[5] = 8;
    rejects(() => verifyMinisign(data, sig, pub));
    const badComment = sig.replace('security department', 'security departmen');
    rejects(() => verifyMinisign(Buffer.alloc(100_000, 7), badComment, pub));
    await writeFile(join(dir, 'm-data.minisig'), badComment);
    assert.notEqual(minisign('-Vm', 'm-data', '-p', 'm.pub').status, 0);
    // ferry can sign with minisign's unencrypted key, and minisign verifies it
    const sk = await readFile(join(dir, 'm.key'), 'utf8');
    await writeFile(join(dir, 'm-data.minisig'), signMinisign(Buffer.alloc(100_000, 7), sk));
    assert.equal(minisign('-Vm', 'm-data', '-p', 'm.pub').status, 0);
  });

  it('ferry verifies minisign legacy (-l, non-prehashed) signatures', async () => {
    execFileSync('minisign', ['-G', '-W', '-f', '-p', 'l.pub', '-s', 'l.key'], {
      cwd: dir,
      stdio: 'ignore',
    });
    await writeFile(join(dir, 'l-data'), 'legacy');
    const signed = minisign('-S', '-l', '-W', '-s', 'l.key', '-m', 'l-data');
    assert.equal(signed.status, 0, signed.stderr);
    const sig = await readFile(join(dir, 'l-data.minisig'), 'utf8');
    assert.match(sig.split('\n')[1]!, /^RW/);
    verifyMinisign(Buffer.from('legacy'), sig, await readFile(join(dir, 'l.pub'), 'utf8'));
  });
});
