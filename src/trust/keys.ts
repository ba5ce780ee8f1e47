/**
 * Ferry's key files and trust list.
 *
 * `ferry keygen NAME` writes two files:
 *   NAME.key (mode 0600)  Ed25519: an unencrypted minisign secret key (`minisign -S -s NAME.key`
 *                         signs with it too). SM2: a PKCS#8 "PRIVATE KEY" PEM (openssl reads it).
 *   NAME.pub              Ed25519: a minisign public key file. SM2: a "PUBLIC KEY" PEM.
 *
 * Key ids: Ed25519 keys keep minisign's id (16 upper-case hex digits, as `minisign` prints it);
 * SM2 keys use the first 8 bytes of SM3 over the SubjectPublicKeyInfo DER, in the same spelling.
 *
 * The trust file (e.g. `trusted-keys.txt`) lists the keys a user trusts, one per line:
 *   # comment
 *   NAME  ALGORITHM  KEY
 * ALGORITHM is `ed25519` (KEY is the minisign public key line, "RW...") or `sm2` (KEY is the
 * base64 SubjectPublicKeyInfo DER, i.e. the PEM body on one line). Trust comes only from the
 * files a user names; keys that travel inside a bundle are never trusted.
 */
import { constants } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { caretLine, FerryError } from '../core/errors.js';
import {
  formatMinisignPublicKey,
  generateMinisignKeyPair,
  type MinisignPublicKey,
  type MinisignSecretKey,
  parseMinisignPublicKey,
  parseMinisignSecretKey,
} from './ed25519-minisign.js';
import {
  generateSm2KeyPair,
  parseSm2PrivateKey,
  parseSm2PublicKey,
  type Sm2Point,
  type Sm2PrivateKey,
  sm2PublicKeyDer,
  sm2PublicKeyPem,
  sm3,
} from './sm2.js';

export const KEY_ALGORITHMS = ['ed25519', 'sm2'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export type PublicKey =
  | { algorithm: 'ed25519'; keyId: string; minisign: MinisignPublicKey }
  | { algorithm: 'sm2'; keyId: string; point: Sm2Point };

export type SecretKey =
  | { algorithm: 'ed25519'; keyId: string; minisign: MinisignSecretKey }
  | { algorithm: 'sm2'; keyId: string; sm2: Sm2PrivateKey };

export type TrustedKey = PublicKey & {
  /** The name the user gave the key in the trust file (or the .pub file's base name). */
  name: string;
  /** Where the key came from, "FILE:LINE", for messages. */
  source: string;
};

export interface GeneratedKeyPair {
  algorithm: KeyAlgorithm;
  keyId: string;
  publicKeyText: string;
  secretKeyText: string;
}

/** ferry's SM2 key id: SM3 of the SubjectPublicKeyInfo DER, first 8 bytes, upper-case hex. */
export const sm2KeyId = (point: Sm2Point): string =>
  sm3(sm2PublicKeyDer(point)).subarray(0, 8).toString('hex').toUpperCase();

export function generateKeyPair(
  algorithm: KeyAlgorithm,
  opts: { comment?: string } = {},
): GeneratedKeyPair {
  if (algorithm === 'ed25519') {
    const pair = generateMinisignKeyPair(
      opts.comment === undefined ? {} : { comment: opts.comment },
    );
    return { algorithm, ...pair };
  }
  const pair = generateSm2KeyPair();
  return {
    algorithm,
    keyId: sm2KeyId(parseSm2PublicKey(pair.publicKeyPem)),
    publicKeyText: pair.publicKeyPem,
    secretKeyText: pair.privateKeyPem,
  };
}

const looksLikePem = (text: string): boolean => text.includes('-----BEGIN ');

/** Parses a public key file's text: a minisign public key (or its bare line), or an SM2 PEM. */
export function parsePublicKey(text: string): PublicKey {
  if (looksLikePem(text)) {
    const point = parseSm2PublicKey(text);
    return { algorithm: 'sm2', keyId: sm2KeyId(point), point };
  }
  const minisign = parseMinisignPublicKey(text);
  return { algorithm: 'ed25519', keyId: minisign.keyId, minisign };
}

/** Parses a secret key file's text (unencrypted minisign secret key, or SM2 PKCS#8/SEC1 PEM). */
export function parseSecretKey(text: string): SecretKey {
  if (looksLikePem(text)) {
    const sm2 = parseSm2PrivateKey(text);
    return { algorithm: 'sm2', keyId: sm2KeyId(sm2.publicKey), sm2 };
  }
  const minisign = parseMinisignSecretKey(text);
  return { algorithm: 'ed25519', keyId: minisign.keyId, minisign };
}

/** The .pub file text for a public key (minisign format or PEM). */
export function formatPublicKey(key: PublicKey): string {
  return key.algorithm === 'ed25519'
    ? formatMinisignPublicKey(key.minisign)
    : sm2PublicKeyPem(key.point);
}

export function publicKeyOf(key: SecretKey): PublicKey {
  if (key.algorithm === 'ed25519') {
    const { keyId, keyNum, publicKey } = key.minisign;
    return { algorithm: 'ed25519', keyId: key.keyId, minisign: { keyId, keyNum, publicKey } };
  }
  return { algorithm: 'sm2', keyId: key.keyId, point: key.sm2.publicKey };
}

/** The one-line KEY field of a trust file entry. */
export function publicKeyLine(key: PublicKey): string {
  if (key.algorithm === 'ed25519') {
    return formatMinisignPublicKey(key.minisign).split('\n')[1]!;
  }
  return sm2PublicKeyDer(key.point).toString('base64');
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/;

/** One trust-file line for `key` under `name`. */
export function formatTrustedKeyLine(name: string, key: PublicKey): string {
  if (!NAME_RE.test(name)) {
    throw new FerryError('ERR_FERRY_BAD_TRUST_FILE', `The key name "${name}" is not allowed`, {
      hint: 'Use letters, digits and . _ @ + - (no spaces), starting with a letter or digit.',
    });
  }
  return `${name} ${key.algorithm} ${publicKeyLine(key)}\n`;
}

/** Parses a trust file; every problem is collected and reported together. */
export function parseTrustFile(text: string, source = 'trusted keys'): TrustedKey[] {
  const keys: TrustedKey[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = `${source}:${index + 1}`;
    const fields = trimmed.split(/\s+/);
    const [name, algorithm, body, ...rest] = fields;
    if (name === undefined || algorithm === undefined || body === undefined || rest.length > 0) {
      problems.push(`${where}: expected "NAME ALGORITHM KEY"\n${caretLine(line, 0, line.length)}`);
      return;
    }
    if (!NAME_RE.test(name)) {
      problems.push(
        `${where}: the key name "${name}" is not allowed\n${caretLine(line, line.indexOf(name), name.length)}`,
      );
      return;
    }
    try {
      let key: PublicKey;
      if (algorithm === 'ed25519') {
        key = parsePublicKey(body);
        if (key.algorithm !== 'ed25519') throw new Error('not an Ed25519 key');
      } else if (algorithm === 'sm2') {
        const point = parseSm2PublicKey(Buffer.from(body, 'base64'));
        key = { algorithm: 'sm2', keyId: sm2KeyId(point), point };
      } else {
        problems.push(
          `${where}: unknown algorithm "${algorithm}" (expected ed25519 or sm2)\n${caretLine(line, line.indexOf(algorithm, name.length), algorithm.length)}`,
        );
        return;
      }
      const clash = keys.find((k) => k.name === name || k.keyId === key.keyId);
      if (clash !== undefined) {
        problems.push(
          `${where}: ${clash.name === name ? `the name "${name}"` : `key ${key.keyId}`} is already listed at ${clash.source}`,
        );
        return;
      }
      keys.push({ ...key, name, source: where });
    } catch (error) {
      problems.push(
        `${where}: the ${algorithm} key of "${name}" cannot be read: ${(error as Error).message}`,
      );
    }
  });
  if (problems.length > 0) {
    throw new FerryError(
      'ERR_FERRY_BAD_TRUST_FILE',
      `The trust file ${source} has ${problems.length} problem(s):\n${problems.join('\n')}`,
      {
        hint: 'Each line is "NAME ALGORITHM KEY"; `ferry trust add` writes correct lines.',
        details: { source, problems },
      },
    );
  }
  return keys;
}

/** Reads a public key from a file path, or from the key text itself. */
export async function loadPublicKey(pathOrText: string): Promise<PublicKey> {
  const isText =
    pathOrText.includes('\n') ||
    looksLikePem(pathOrText) ||
    /^RW[A-Za-z0-9+/]{54}$/.test(pathOrText.trim());
  if (isText) return parsePublicKey(pathOrText);
  return parsePublicKey(await readKeyFile(pathOrText, 'public key'));
}

export async function loadSecretKey(path: string): Promise<SecretKey> {
  return parseSecretKey(await readKeyFile(path, 'secret key'));
}

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_KEY_NOT_FOUND',
      `Cannot read the ${what} file "${path}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Loads the keys a user trusts from trust files and/or single .pub files (named after their
 * base name). Two entries with the same name or key id are an error.
 */
export async function loadTrustedKeys(paths: readonly string[]): Promise<TrustedKey[]> {
  const all: TrustedKey[] = [];
  for (const path of paths) {
    const text = await readKeyFile(path, 'trusted keys');
    let keys: TrustedKey[];
    const first = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
    if (looksLikePem(text) || first.startsWith('untrusted comment: ')) {
      const name = basename(path).replace(/\.pub$/, '');
      keys = [{ ...parsePublicKey(text), name, source: path }];
    } else {
      keys = parseTrustFile(text, path);
    }
    for (const key of keys) {
      const clash = all.find((k) => k.name === key.name || k.keyId === key.keyId);
      if (clash !== undefined) {
        throw new FerryError(
          'ERR_FERRY_BAD_TRUST_FILE',
          `Trusted key "${key.name}" (${key.keyId}) from ${key.source} clashes with "${clash.name}" (${clash.keyId}) from ${clash.source}`,
          {
            hint: 'Give every trusted key one entry with a unique name.',
          },
        );
      }
      all.push(key);
    }
  }
  return all;
}

/**
 * Writes BASE.key (0600, created exclusively) and BASE.pub. Nothing is overwritten unless
 * `force`; the secret key is written to a temporary name and renamed, so a failure leaves
 * no half-written key.
 */
export async function writeKeyPairFiles(
  basePath: string,
  pair: GeneratedKeyPair,
  opts: { force?: boolean } = {},
): Promise<{ secretKeyPath: string; publicKeyPath: string }> {
  const secretKeyPath = `${basePath}.key`;
  const publicKeyPath = `${basePath}.pub`;
  if (!opts.force) {
    for (const path of [secretKeyPath, publicKeyPath]) {
      const exists = await readFile(path).then(
        () => true,
        () => false,
      );
      if (exists) {
        throw new FerryError('ERR_FERRY_KEY_EXISTS', `"${path}" already exists`, {
          hint: 'Choose another name, or pass --force to replace the key pair.',
        });
      }
    }
  }
  const writeNew = async (path: string, text: string, mode: number): Promise<void> => {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  };
  await writeNew(secretKeyPath, pair.secretKeyText, 0o600);
  await writeNew(publicKeyPath, pair.publicKeyText, 0o644);
  return { secretKeyPath, publicKeyPath };
}
