import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
  /** The FerryError a promise rejects with (the assertion fails when it resolves). */
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (error) {
      return error as { code: string; message: string; hint?: string };
    }
    assert.fail('expected an error');
  };

  it('a key ferry cannot use is named with its file and its kind, and the hint says what works', async () => {
    const pem = (pair: { publicKey: unknown; privateKey: unknown }) =>
      pair as { publicKey: string; privateKey: string };
    const rsa = pem(
      generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      }),
    );
    const ec = pem(
      generateKeyPairSync('ec', {
        namedCurve: 'prime256v1',
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      }),
    );
    const ed = pem(
      generateKeyPairSync('ed25519', {
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      }),
    );
    const mini = generateKeyPair('ed25519');
    const sm2 = generateKeyPair('sm2');
    const cases: [string, string, 'trusted' | 'secret', RegExp, RegExp][] = [
      [
        'rsa.pub',
        rsa.publicKey,
        'trusted',
        /holds an RSA public key \(2048 bits\)/,
        /minisign's format.*SM2 keys as PEM/,
      ],
      [
        'p256.pub',
        ec.publicKey,
        'trusted',
        /holds an EC public key on the curve prime256v1, not on the SM2 curve/,
        /SM2 keys as PEM/,
      ],
      [
        'ed-pem.pub',
        ed.publicKey,
        'trusted',
        /holds an Ed25519 public key in PEM form/,
        /minisign's format/,
      ],
      [
        'rsa.key',
        rsa.privateKey,
        'trusted',
        /holds an RSA private key/,
        /public half \(NAME\.pub\), never the secret key/,
      ],
      ['mini.key', mini.secretKeyText, 'trusted', /holds a minisign secret key/, /public half/],
      [
        'sm2-as-secret.pub',
        sm2.publicKeyText,
        'secret',
        /holds an SM2 public key, which ferry cannot use as a secret key/,
        /secret key \(NAME\.key\)/,
      ],
      [
        'rsa-as-secret.key',
        rsa.privateKey,
        'secret',
        /holds an RSA private key/,
        /SM2 keys as PEM/,
      ],
    ];
    for (const [name, text, role, message, hint] of cases) {
      const path = join(dir, name);
      await writeFile(path, text);
      const error = await failure(
        role === 'trusted' ? loadTrustedKeys([path]) : loadSecretKey(path),
      );
      assert.equal(error.code, 'ERR_FERRY_BAD_KEY', `${name}: ${error.message}`);
      assert.ok(
        error.message.includes(`"${path}"`),
        `${name}: the file is named: ${error.message}`,
      );
      assert.match(error.message, message, name);
      assert.match(error.hint ?? '', hint, `${name}: ${error.hint}`);
    }
    // The same for a trust-file line whose sm2 KEY is another kind of key.
    const der = Buffer.from(rsa.publicKey.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    await writeFile(join(dir, 'trust.txt'), `ops sm2 ${der.toString('base64')}\n`);
    const line = await failure(loadTrustedKeys([join(dir, 'trust.txt')]));
    assert.equal(line.code, 'ERR_FERRY_BAD_TRUST_FILE');
    assert.match(
      line.message,
      /trust\.txt:1: the sm2 key of "ops" cannot be read: it is an RSA public key/,
    );
  });

  it('a missing key file or a folder is ERR_FERRY_KEY_* naming it, with a hint, not a raw ENOENT', async () => {
    for (const load of [
      () => loadTrustedKeys([join(dir, 'nope.pub')]),
      () => loadSecretKey(join(dir, 'nope.key')),
      () => loadPublicKey(join(dir, 'nope.pub')),
    ]) {
      const error = await failure(load());
      assert.equal(error.code, 'ERR_FERRY_KEY_NOT_FOUND');
      assert.match(error.message, /"[^"]*nope\.(pub|key)": there is no such file$/);
      assert.ok((error.hint ?? '').length > 0);
    }
    const folder = await failure(loadTrustedKeys([dir]));
    assert.equal(folder.code, 'ERR_FERRY_KEY_UNREADABLE');
    assert.match(folder.message, /it is a folder/);
  });

  it('writeKeyPairFiles: a missing folder or a folder in the way is a clear error, and nothing is written', async () => {
    const pair = generateKeyPair('ed25519');
    const missing = await failure(writeKeyPairFiles(join(dir, 'no-such-dir', 'k'), pair));
    assert.equal(missing.code, 'ERR_FERRY_KEY_PATH');
    assert.match(missing.message, /the folder "[^"]*no-such-dir" does not exist/);
    assert.ok(!existsSync(join(dir, 'no-such-dir')));

    const out = join(dir, 'out');
    await mkdir(out);
    await mkdir(join(out, 'clash.key'));
    for (const force of [false, true]) {
      const error = await failure(writeKeyPairFiles(join(out, 'clash'), pair, { force }));
      assert.equal(error.code, 'ERR_FERRY_KEY_PATH');
      assert.match(error.message, /clash\.key": it is a folder/);
    }
    await mkdir(join(out, 'other.pub'));
    const pub = await failure(writeKeyPairFiles(join(out, 'other'), pair));
    assert.equal(pub.code, 'ERR_FERRY_KEY_PATH');
    assert.deepEqual(
      (await readdir(out)).sort(),
      ['clash.key', 'other.pub'],
      'no key, no temporary file',
    );
    await writeFile(join(dir, 'a-file'), 'x');
    const notDir = await failure(writeKeyPairFiles(join(dir, 'a-file', 'k'), pair));
    assert.equal(notDir.code, 'ERR_FERRY_KEY_PATH');
    assert.match(notDir.message, /is not a folder/);
  });
});
