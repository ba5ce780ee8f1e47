import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  formatTrustedKeyLine,
  generateKeyPair,
  loadPublicKey,
  loadSecretKey,
  loadTrustedKeys,
  parsePublicKey,
  parseTrustFile,
  publicKeyOf,
  writeKeyPairFiles,
} from '../../src/trust/keys.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

describe('keys', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-keys-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const algorithm of ['ed25519', 'sm2'] as const) {
    it(`${algorithm}: writes NAME.key (0600) and NAME.pub, loads them back with the same key id`, async () => {
      const pair = generateKeyPair(algorithm);
      const { secretKeyPath, publicKeyPath } = await writeKeyPairFiles(join(dir, algorithm), pair);
      assert.equal((await stat(secretKeyPath)).mode & 0o777, 0o600);
      const pub = await loadPublicKey(publicKeyPath);
      const sec = await loadSecretKey(secretKeyPath);
      assert.equal(pub.algorithm, algorithm);
      assert.equal(pub.keyId, pair.keyId);
      assert.equal(sec.keyId, pair.keyId);
      assert.deepEqual(publicKeyOf(sec).keyId, pub.keyId);
      assert.equal((await loadPublicKey(await readFile(publicKeyPath, 'utf8'))).keyId, pair.keyId);
      await assert.rejects(
        writeKeyPairFiles(join(dir, algorithm), pair),
        code('ERR_FERRY_KEY_EXISTS'),
      );
      await writeKeyPairFiles(join(dir, algorithm), generateKeyPair(algorithm), { force: true });
    });
  }

  it('parses a trust file and reports every bad line with its position', () => {
    const ed = parsePublicKey(generateKeyPair('ed25519').publicKeyText);
    const sm = parsePublicKey(generateKeyPair('sm2').publicKeyText);
    const text = `# trusted\n${formatTrustedKeyLine('security-dept', ed)}\n${formatTrustedKeyLine('audit', sm)}`;
    const keys = parseTrustFile(text, 'trusted-keys.txt');
    assert.deepEqual(
      keys.map((k) => [k.name, k.algorithm, k.keyId, k.source]),
      [
        ['security-dept', 'ed25519', ed.keyId, 'trusted-keys.txt:2'],
        ['audit', 'sm2', sm.keyId, 'trusted-keys.txt:4'],
      ],
    );
    assert.throws(
      () =>
        parseTrustFile(
          `${text}bad line\nx rsa AAAA\naudit ed25519 ${formatTrustedKeyLine('y', ed).split(' ')[2]}`,
          't.txt',
        ),
      (e: unknown) => {
        const problems = (e as { details: { problems: string[] } }).details.problems;
        return (
          problems.length === 3 &&
          problems[0]!.startsWith('t.txt:5') &&
          /unknown algorithm "rsa"/.test(problems[1]!) &&
          /already listed/.test(problems[2]!)
        );
      },
    );
    assert.throws(() => formatTrustedKeyLine('has space', ed), code('ERR_FERRY_BAD_TRUST_FILE'));
  });

  it('loads trust from trust files and single .pub files, refusing duplicates', async () => {
    const a = generateKeyPair('ed25519');
    const b = generateKeyPair('sm2');
    await writeFile(join(dir, 'alice.pub'), a.publicKeyText);
    await writeFile(
      join(dir, 'trusted-keys.txt'),
      formatTrustedKeyLine('bob', parsePublicKey(b.publicKeyText)),
    );
    const keys = await loadTrustedKeys([join(dir, 'alice.pub'), join(dir, 'trusted-keys.txt')]);
    assert.deepEqual(
      keys.map((k) => k.name),
      ['alice', 'bob'],
    );
    await writeFile(join(dir, 'bob2.pub'), b.publicKeyText);
    await assert.rejects(
      loadTrustedKeys([join(dir, 'trusted-keys.txt'), join(dir, 'bob2.pub')]),
      code('ERR_FERRY_BAD_TRUST_FILE'),
    );
    await assert.rejects(loadTrustedKeys([join(dir, 'nope.txt')]), code('ERR_FERRY_KEY_NOT_FOUND'));
  });
});
