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
import { lstat, readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { caretLine, FerryError, isFerryError } from '../core/errors.js';
import { AtomicFile, commitAll } from '../store/index.js';
import { ACCEPTED_KEYS, describeKeyText, describePublicKeyDer } from './describe-key.js';
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
        const der = Buffer.from(body, 'base64');
        let point: Sm2Point;
        try {
          point = parseSm2PublicKey(der);
        } catch (error) {
          const kind = describePublicKeyDer(der);
          if (kind === undefined || kind.startsWith('an SM2')) throw error;
          throw new Error(`it is ${kind}`);
        }
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
        hint: 'Each line is "NAME ALGORITHM KEY"; `ferry keygen NAME` prints the line for its key.',
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
  const text = await readKeyFile(pathOrText, 'public key');
  return parseKeyFile(pathOrText, 'public key', text, parsePublicKey);
}

export async function loadSecretKey(path: string): Promise<SecretKey> {
  const text = await readKeyFile(path, 'secret key');
  return parseKeyFile(path, 'secret key', text, parseSecretKey);
}

type KeyFileRole = 'public key' | 'secret key' | 'trusted keys';

/**
 * Parses a key file's text; a key ferry cannot read is named with its file and, when Node's
 * crypto can tell, what kind of key it is instead (RSA, P-256, a certificate, a secret key
 * where a public one belongs), with a hint on what ferry accepts.
 */
function parseKeyFile<T>(
  path: string,
  role: KeyFileRole,
  text: string,
  parse: (t: string) => T,
): T {
  try {
    return parse(text);
  } catch (error) {
    if (!isFerryError(error) || error.code !== 'ERR_FERRY_BAD_KEY') throw error;
    const kind = describeKeyText(text);
    const wantsPublic = role !== 'secret key';
    const isSecret = kind !== undefined && /private|secret/.test(kind);
    const hint =
      wantsPublic && isSecret
        ? `Give the public half (NAME.pub), never the secret key; ${ACCEPTED_KEYS}.`
        : !wantsPublic && kind !== undefined && !isSecret
          ? `Give the secret key (NAME.key) to sign with; ${ACCEPTED_KEYS}.`
          : role === 'secret key'
            ? `${ACCEPTED_KEYS}.`
            : `${ACCEPTED_KEYS}; a trust file lists "NAME ALGORITHM KEY" lines.`;
    const what = role === 'trusted keys' ? 'trusted key' : role;
    const message =
      kind === undefined ||
      (/^(an SM2|a minisign) /.test(kind) && (wantsPublic ? /public/ : /private|secret/).test(kind))
        ? `The ${what} file "${path}" cannot be read: ${error.message}`
        : `The ${what} file "${path}" holds ${kind}, which ferry cannot use as ${what === 'secret key' ? 'a secret key' : 'a public key'}`;
    throw new FerryError('ERR_FERRY_BAD_KEY', message, {
      hint,
      cause: error,
      details: { path, ...(kind === undefined ? {} : { kind }) },
    });
  }
}

async function readKeyFile(path: string, role: KeyFileRole): Promise<string> {
  const what = role === 'trusted keys' ? 'trusted key' : role;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : (code ?? (error as Error).message);
    throw new FerryError(
      code === 'ENOENT' ? 'ERR_FERRY_KEY_NOT_FOUND' : 'ERR_FERRY_KEY_UNREADABLE',
      `Cannot read the ${what} file "${path}": ${why}`,
      {
        hint:
          role === 'secret key'
            ? 'Name the secret key file `ferry keygen NAME` wrote (NAME.key), with its path.'
            : "Name the signer's public key file (NAME.pub from `ferry keygen NAME`, obtained out of band) or a trust file, with its path.",
        cause: error,
        details: { path, ...(code === undefined ? {} : { errno: code }) },
      },
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const kind = bytes[0] === 0x30 ? 'binary DER, not text' : 'not UTF-8 text';
    throw new FerryError('ERR_FERRY_BAD_KEY', `The ${what} file "${path}" is ${kind}`, {
      hint: `${ACCEPTED_KEYS}; a DER key converts with \`openssl pkey -inform DER -in KEY -out KEY.pem\`.`,
      details: { path },
    });
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
      keys = [{ ...parseKeyFile(path, 'trusted keys', text, parsePublicKey), name, source: path }];
    } else if (describeKeyText(text) !== undefined) {
      // An OpenSSH key or the like: say what it is rather than "line 1 is not NAME ALGORITHM KEY".
      keys = [
        parseKeyFile(path, 'trusted keys', text, () => {
          throw new FerryError('ERR_FERRY_BAD_KEY', 'not a ferry key', {
            hint: 'Give a minisign or SM2 key that "ferry keygen" wrote.',
          });
        }),
      ];
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
 * Writes BASE.key (0600) and BASE.pub. Nothing is overwritten unless `force`. Every check that
 * can fail (the folder exists and is a folder, neither name is a folder or, without `force`,
 * an existing file) runs before anything is written; both files are then written under
 * temporary names and renamed, and a failure removes whatever this call wrote, so there is
 * never a secret key without its public half, nor a half-written file.
 */
export async function writeKeyPairFiles(
  basePath: string,
  pair: GeneratedKeyPair,
  opts: { force?: boolean } = {},
): Promise<{ secretKeyPath: string; publicKeyPath: string }> {
  const secretKeyPath = `${basePath}.key`;
  const publicKeyPath = `${basePath}.pub`;
  const folder = dirname(secretKeyPath);
  const where = await stat(folder).catch((error: NodeJS.ErrnoException) => error);
  if (where instanceof Error || !where.isDirectory()) {
    const why =
      where instanceof Error
        ? where.code === 'ENOENT'
          ? 'does not exist'
          : `cannot be read (${where.code ?? where.message})`
        : 'is not a folder';
    throw new FerryError(
      'ERR_FERRY_KEY_PATH',
      `Cannot write the key pair "${basePath}": the folder "${folder}" ${why}`,
      {
        hint: 'Create the folder first (mkdir -p), or give NAME in an existing folder; keygen writes NAME.key and NAME.pub.',
        details: { path: basePath },
      },
    );
  }
  for (const path of [secretKeyPath, publicKeyPath]) {
    const existing = await lstat(path).catch(() => undefined);
    if (existing === undefined) continue;
    if (!existing.isFile()) {
      throw new FerryError(
        'ERR_FERRY_KEY_PATH',
        `Cannot write "${path}": ${existing.isDirectory() ? 'it is a folder' : 'it is not a regular file'}`,
        {
          hint: 'Choose another NAME; keygen never replaces a folder, even with --force.',
          details: { path },
        },
      );
    }
    if (!opts.force) {
      throw new FerryError('ERR_FERRY_KEY_EXISTS', `"${path}" already exists`, {
        hint: 'Choose another name, or pass --force to replace the key pair.',
      });
    }
  }
  const files: AtomicFile[] = [];
  try {
    // Both halves are written and flushed under temporary names, then renamed together: a
    // failure leaves neither (commitAll), never a secret key without its public half.
    for (const [path, text, mode] of [
      [secretKeyPath, pair.secretKeyText, 0o600],
      [publicKeyPath, pair.publicKeyText, 0o644],
    ] as const) {
      const file = await AtomicFile.open(path, { mode });
      files.push(file);
      await file.write(text);
    }
    await commitAll(files);
  } catch (error) {
    await Promise.all(files.map((f) => f.abort()));
    const code = (error as NodeJS.ErrnoException).code;
    throw new FerryError(
      'ERR_FERRY_KEY_WRITE',
      `Cannot write the key pair "${basePath}": ${code ?? (error as Error).message}; nothing was written`,
      {
        hint: 'Check that the folder is writable and has room, then run keygen again.',
        cause: error,
        details: { path: basePath },
      },
    );
  }
  return { secretKeyPath, publicKeyPath };
}
