import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  generateKeyPair,
  parsePublicKey,
  parseSecretKey,
  type TrustedKey,
} from '../../src/trust/keys.js';
import {
  checkSignatures,
  createSignature,
  verifySignatures,
} from '../../src/trust/verify-signatures.js';

const data = Buffer.from('0123  wheels/a.whl\n');
const make = (algorithm: 'ed25519' | 'sm2', name: string) => {
  const pair = generateKeyPair(algorithm);
  const secret = parseSecretKey(pair.secretKeyText);
  const trusted: TrustedKey = { ...parsePublicKey(pair.publicKeyText), name, source: 'test' };
  return { secret, trusted };
};
const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

describe('verifySignatures', () => {
  const alice = make('ed25519', 'alice');
  const bob = make('sm2', 'bob');
  const mallory = make('ed25519', 'mallory');
  const carol = make('sm2', 'carol');
  const trusted = [alice.trusted, bob.trusted];

  it('names signature files by key id and counts distinct trusted signers', () => {
    const a = createSignature(data, alice.secret, { trustedComment: 'reviewed' });
    const b = createSignature(data, bob.secret);
    assert.equal(a.name, `${alice.secret.keyId}.minisig`);
    assert.equal(b.name, `${bob.secret.keyId}.sm2.sig`);
    const report = verifySignatures(
      data,
      [a, b, createSignature(data, mallory.secret)],
      trusted,
      2,
    );
    assert.deepEqual(report.signers, ['alice', 'bob']);
    assert.equal(report.valid.find((v) => v.signer === 'alice')?.trustedComment, 'reviewed');
    assert.deepEqual(
      report.unknown.map((u) => u.keyId),
      [mallory.secret.keyId],
    );
  });

  it('never counts a key the user did not name', () => {
    const files = [createSignature(data, mallory.secret), createSignature(data, carol.secret)];
    assert.throws(() => verifySignatures(data, files, trusted, 1), code('ERR_FERRY_UNTRUSTED'));
    assert.throws(() => verifySignatures(data, [], trusted, 1), code('ERR_FERRY_UNTRUSTED'));
    const one = [createSignature(data, alice.secret)];
    assert.throws(() => verifySignatures(data, one, trusted, 2), code('ERR_FERRY_UNTRUSTED'));
    // the same key twice is one signer
    const twice = [one[0]!, { name: `copy-${one[0]!.name}`, bytes: one[0]!.bytes }];
    assert.throws(() => verifySignatures(data, twice, trusted, 2), code('ERR_FERRY_UNTRUSTED'));
  });

  it('fails closed on tampered data and damaged files', () => {
    const files = [createSignature(data, alice.secret), createSignature(data, bob.secret)];
    const tampered = Buffer.from('0124  wheels/a.whl\n');
    const report = checkSignatures(tampered, files, trusted);
    assert.equal(report.invalid.length, 2);
    assert.throws(
      () => verifySignatures(tampered, files, trusted, 1),
      code('ERR_FERRY_BAD_SIGNATURE'),
    );
    const corrupt = [...files, { name: 'x.minisig', bytes: Buffer.from('junk') }];
    assert.throws(
      () => verifySignatures(data, corrupt, trusted, 1),
      code('ERR_FERRY_BAD_SIGNATURE'),
    );
    const stray = [...files, { name: 'notes.txt', bytes: Buffer.from('hi') }];
    assert.throws(() => verifySignatures(data, stray, trusted, 1), code('ERR_FERRY_BAD_SIGNATURE'));
    assert.throws(() => verifySignatures(data, files, trusted, 0), code('ERR_FERRY_USAGE'));
  });

  it('finds a renamed SM2 signature by trying the trusted SM2 keys', () => {
    const b = createSignature(data, bob.secret);
    const report = verifySignatures(
      data,
      [{ name: 'countersign.sm2.sig', bytes: b.bytes }],
      trusted,
      1,
    );
    assert.deepEqual(report.signers, ['bob']);
  });
});
