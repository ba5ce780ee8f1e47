/**
 * Ed25519 signatures in minisign's formats (https://jedisct1.github.io/minisign/), so a
 * security department can check a ferry bundle with the stock `minisign -V` and ferry can
 * check what `minisign -S` made.
 *
 * Layouts (all base64 of the concatenation, one line under an "untrusted comment: " line):
 *   public key:  "Ed" ‖ keynum(8) ‖ pk(32)
 *   secret key:  "Ed" ‖ kdf "\0\0" (unencrypted) ‖ "B2" ‖ salt(32) ‖ opslimit(8 LE) ‖
 *                memlimit(8 LE) ‖ keynum(8) ‖ sk(64 = seed ‖ pk) ‖ chk(32)
 *                chk = BLAKE2b-256("Ed" ‖ keynum ‖ sk)
 *   signature:   "ED" ‖ keynum(8) ‖ Ed25519(BLAKE2b-512(file))(64), then a
 *                "trusted comment: " line and base64(Ed25519(sig ‖ trusted comment)).
 * The key id minisign prints is the keynum read as a little-endian 64-bit integer, in
 * upper-case hex; ferry uses the same spelling.
 */

import type { KeyObject } from 'node:crypto';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { FerryError } from '../core/errors.js';
import { blake2b } from './blake2b.js';

const UNTRUSTED_PREFIX = 'untrusted comment: ';
const TRUSTED_PREFIX = 'trusted comment: ';
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SECRET_KEY_LENGTH = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;

export interface MinisignPublicKey {
  /** minisign's key id: the 8-byte keynum as little-endian uint64, upper-case hex. */
  keyId: string;
  keyNum: Buffer;
  publicKey: Buffer;
}

export interface MinisignSecretKey {
  keyId: string;
  keyNum: Buffer;
  /** The 32-byte Ed25519 seed. */
  seed: Buffer;
  publicKey: Buffer;
}

export interface MinisignKeyPair {
  publicKeyText: string;
  secretKeyText: string;
  keyId: string;
}

export interface MinisignVerified {
  keyId: string;
  trustedComment: string;
}

/** The key id the way minisign prints it. */
export const minisignKeyId = (keyNum: Buffer): string =>
  Buffer.from(keyNum).reverse().toString('hex').toUpperCase();

const badSignature = (message: string, hint: string): FerryError =>
  new FerryError('ERR_FERRY_BAD_SIGNATURE', message, { hint });

const badKey = (message: string, hint: string): FerryError =>
  new FerryError('ERR_FERRY_BAD_KEY', message, { hint });

const PUBLIC_KEY_HINT = 'Give the NAME.pub file that "ferry keygen" or "minisign -G" wrote.';
const SECRET_KEY_HINT =
  'Give the NAME.key file that "ferry keygen" wrote, or a minisign key made with "minisign -G -W".';
const DAMAGED_KEY_HINT =
  'Restore the key file from its backup, or make a new key with "ferry keygen" and hand out its NAME.pub.';
const DAMAGED_SIGNATURE_HINT =
  'Copy the signature file again from where it came from, or sign the bundle again with "ferry sign".';

function checkCommentLine(comment: string, what: string): void {
  if (/[\r\n]/.test(comment)) {
    throw new FerryError(
      'ERR_FERRY_BAD_COMMENT',
      `The ${what} must be one line, got ${JSON.stringify(comment)}`,
      {
        hint: 'Write the comment (ferry keygen --comment, ferry sign --trusted-comment) without line breaks.',
      },
    );
  }
}

function decodeBase64Exact(text: string, length: number): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== length || bytes.toString('base64') !== trimmed) return undefined;
  return bytes;
}

/** Non-empty lines, with CRLF tolerated (files that went through Windows). */
const linesOf = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');

function edPrivateKey(seed: Buffer): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

function edPublicKey(publicKey: Buffer): KeyObject {
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
}

function publicFromSeed(seed: Buffer): Buffer {
  const der = createPublicKey(edPrivateKey(seed)).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

function secretKeyChecksum(keyNum: Buffer, sk64: Buffer): Buffer {
  return blake2b(Buffer.concat([Buffer.from('Ed'), keyNum, sk64]), 32);
}

/** Formats a minisign public key file ("untrusted comment: ..." + base64 line). */
export function formatMinisignPublicKey(
  key: { keyNum: Buffer; publicKey: Buffer },
  comment?: string,
): string {
  const text = comment ?? `minisign public key ${minisignKeyId(key.keyNum)}`;
  checkCommentLine(text, 'comment');
  const body = Buffer.concat([Buffer.from('Ed'), key.keyNum, key.publicKey]).toString('base64');
  return `${UNTRUSTED_PREFIX}${text}\n${body}\n`;
}

/**
 * Formats an unencrypted minisign secret key (what `minisign -G -W` writes). The checksum
 * is filled in, which minisign 0.11's `-W` leaves as zeros; both load in minisign.
 */
export function formatMinisignSecretKey(key: MinisignSecretKey, comment?: string): string {
  const text = comment ?? 'minisign unencrypted secret key';
  checkCommentLine(text, 'comment');
  const sk64 = Buffer.concat([key.seed, key.publicKey]);
  const body = Buffer.concat([
    Buffer.from('Ed'),
    Buffer.from([0, 0]),
    Buffer.from('B2'),
    Buffer.alloc(32), // salt: unused without a KDF
    Buffer.alloc(8), // opslimit
    Buffer.alloc(8), // memlimit
    key.keyNum,
    sk64,
    secretKeyChecksum(key.keyNum, sk64),
  ]);
  return `${UNTRUSTED_PREFIX}${text}\n${body.toString('base64')}\n`;
}

/** Generates an Ed25519 key pair in minisign's file formats (the secret key unencrypted). */
export function generateMinisignKeyPair(opts: { comment?: string } = {}): MinisignKeyPair {
  const seed = randomBytes(32);
  const keyNum = randomBytes(8);
  const publicKey = publicFromSeed(seed);
  const keyId = minisignKeyId(keyNum);
  return {
    keyId,
    publicKeyText: formatMinisignPublicKey({ keyNum, publicKey }, opts.comment),
    secretKeyText: formatMinisignSecretKey(
      { keyId, keyNum, seed, publicKey },
      opts.comment === undefined ? undefined : `${opts.comment} (secret key)`,
    ),
  };
}

/** Parses a minisign public key: the file text, or the bare base64 line (`minisign -P`). */
export function parseMinisignPublicKey(text: string): MinisignPublicKey {
  const lines = linesOf(text);
  const line = lines.find((l) => !l.startsWith(UNTRUSTED_PREFIX));
  const bytes = line === undefined ? undefined : decodeBase64Exact(line, 42);
  if (bytes === undefined) {
    throw badKey(
      'This is not a minisign public key (expected a base64 line of 42 bytes starting with "Ed")',
      PUBLIC_KEY_HINT,
    );
  }
  if (bytes.subarray(0, 2).toString('latin1') !== 'Ed') {
    throw badKey(
      `Unsupported minisign public key algorithm "${bytes.subarray(0, 2).toString('latin1')}"`,
      PUBLIC_KEY_HINT,
    );
  }
  const keyNum = Buffer.from(bytes.subarray(2, 10));
  return { keyId: minisignKeyId(keyNum), keyNum, publicKey: Buffer.from(bytes.subarray(10, 42)) };
}

/** Parses an unencrypted minisign secret key (ferry's, or `minisign -G -W`'s). */
export function parseMinisignSecretKey(text: string): MinisignSecretKey {
  const lines = linesOf(text);
  const line = lines.find((l) => !l.startsWith(UNTRUSTED_PREFIX));
  const bytes = line === undefined ? undefined : decodeBase64Exact(line, SECRET_KEY_LENGTH);
  if (bytes === undefined) throw badKey('This is not a minisign secret key', SECRET_KEY_HINT);
  if (bytes.subarray(0, 2).toString('latin1') !== 'Ed') {
    throw badKey('Unsupported minisign secret key algorithm', SECRET_KEY_HINT);
  }
  const kdf = bytes.subarray(2, 4);
  if (kdf.toString('latin1') === 'Sc') {
    throw badKey(
      'This minisign secret key is encrypted with a password; ferry reads only unencrypted keys',
      'Remove the password with `minisign -C -s KEY` and an empty new password, or create a key with `ferry keygen`.',
    );
  }
  if (kdf[0] !== 0 || kdf[1] !== 0)
    throw badKey('Unsupported minisign key derivation function', SECRET_KEY_HINT);
  if (bytes.subarray(4, 6).toString('latin1') !== 'B2')
    throw badKey('Unsupported minisign checksum function', SECRET_KEY_HINT);
  const keyNum = Buffer.from(bytes.subarray(54, 62));
  const sk64 = Buffer.from(bytes.subarray(62, 126));
  const chk = bytes.subarray(126, 158);
  // minisign 0.11 writes unencrypted keys with an all-zero checksum; accept that, reject
  // anything else that does not match.
  if (!chk.equals(Buffer.alloc(32)) && !chk.equals(secretKeyChecksum(keyNum, sk64))) {
    throw badKey('The minisign secret key is damaged (checksum mismatch)', DAMAGED_KEY_HINT);
  }
  const seed = Buffer.from(sk64.subarray(0, 32));
  const publicKey = Buffer.from(sk64.subarray(32, 64));
  if (!publicFromSeed(seed).equals(publicKey)) {
    throw badKey(
      'The minisign secret key is damaged (its public half does not match)',
      DAMAGED_KEY_HINT,
    );
  }
  return { keyId: minisignKeyId(keyNum), keyNum, seed, publicKey };
}

/** The public key text for a secret key (what `minisign -R` does). */
export function minisignPublicKeyFromSecret(
  secretKey: string | MinisignSecretKey,
  comment?: string,
): string {
  const key = typeof secretKey === 'string' ? parseMinisignSecretKey(secretKey) : secretKey;
  return formatMinisignPublicKey(key, comment);
}

const prehash = (data: Uint8Array): Buffer => createHash('blake2b512').update(data).digest();

/**
 * Signs `data` in minisign's prehashed ("ED") format and returns the .minisig text.
 * The default trusted comment names no time (so signing is reproducible); pass one to add
 * a timestamp or the file name the way minisign does.
 */
export function signMinisign(
  data: Uint8Array,
  secretKey: string | MinisignSecretKey,
  opts: { trustedComment?: string; untrustedComment?: string } = {},
): string {
  const key = typeof secretKey === 'string' ? parseMinisignSecretKey(secretKey) : secretKey;
  const trusted = opts.trustedComment ?? `ferry signature, key ${key.keyId}`;
  const untrusted = opts.untrustedComment ?? `signature from ferry secret key ${key.keyId}`;
  checkCommentLine(trusted, 'trusted comment');
  checkCommentLine(untrusted, 'untrusted comment');
  const privateKey = edPrivateKey(key.seed);
  const signature = sign(null, prehash(data), privateKey);
  const globalSignature = sign(
    null,
    Buffer.concat([signature, Buffer.from(trusted, 'utf8')]),
    privateKey,
  );
  const sigLine = Buffer.concat([Buffer.from('ED'), key.keyNum, signature]).toString('base64');
  return `${UNTRUSTED_PREFIX}${untrusted}\n${sigLine}\n${TRUSTED_PREFIX}${trusted}\n${globalSignature.toString('base64')}\n`;
}

export interface ParsedMinisignSignature {
  algorithm: 'Ed' | 'ED';
  keyId: string;
  keyNum: Buffer;
  signature: Buffer;
  trustedComment: string;
  globalSignature: Buffer;
}

/** Parses a .minisig file; throws ERR_FERRY_BAD_SIGNATURE if it is not one. */
export function parseMinisignSignature(text: string): ParsedMinisignSignature {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const [untrusted, sigLine, trustedLine, globalLine] = lines;
  if (untrusted === undefined || !untrusted.startsWith(UNTRUSTED_PREFIX)) {
    throw badSignature(
      'The signature file does not start with "untrusted comment: "; it is not a minisign signature',
      'A signature file is the NAME.minisig that "ferry sign" or "minisign -S" wrote; remove anything else from signatures/.',
    );
  }
  const sig = sigLine === undefined ? undefined : decodeBase64Exact(sigLine, 74);
  if (sig === undefined)
    throw badSignature(
      'The minisign signature line is damaged (bad base64 or length)',
      DAMAGED_SIGNATURE_HINT,
    );
  const algorithm = sig.subarray(0, 2).toString('latin1');
  if (algorithm !== 'Ed' && algorithm !== 'ED') {
    throw badSignature(
      `Unsupported minisign signature algorithm "${algorithm}"`,
      'ferry checks Ed25519 minisign signatures ("Ed" or "ED"): sign again with "ferry sign" or minisign.',
    );
  }
  if (trustedLine === undefined || !trustedLine.startsWith(TRUSTED_PREFIX)) {
    throw badSignature(
      'The minisign signature has no "trusted comment: " line',
      DAMAGED_SIGNATURE_HINT,
    );
  }
  const globalSignature = globalLine === undefined ? undefined : decodeBase64Exact(globalLine, 64);
  if (globalSignature === undefined)
    throw badSignature('The minisign trusted-comment signature is damaged', DAMAGED_SIGNATURE_HINT);
  const keyNum = Buffer.from(sig.subarray(2, 10));
  return {
    algorithm,
    keyId: minisignKeyId(keyNum),
    keyNum,
    signature: Buffer.from(sig.subarray(10, 74)),
    // minisign trims trailing whitespace from the trusted comment before checking it.
    trustedComment: trustedLine.slice(TRUSTED_PREFIX.length).replace(/[\s]+$/, ''),
    globalSignature,
  };
}

/**
 * Verifies a .minisig over `data` against one public key: the key id, the signature (legacy
 * "Ed" or prehashed "ED"), and the global signature over the trusted comment.
 */
export function verifyMinisign(
  data: Uint8Array,
  sigText: string,
  publicKey: string | MinisignPublicKey,
): MinisignVerified {
  const key = typeof publicKey === 'string' ? parseMinisignPublicKey(publicKey) : publicKey;
  const sig = parseMinisignSignature(sigText);
  if (!sig.keyNum.equals(key.keyNum)) {
    throw badSignature(
      `The signature was made by key ${sig.keyId}, not by ${key.keyId}`,
      'Verify with the public key that made the signature, if you trust it.',
    );
  }
  const pk = edPublicKey(key.publicKey);
  const message = sig.algorithm === 'ED' ? prehash(data) : data;
  if (!verify(null, message, pk, sig.signature)) {
    throw badSignature(
      `The signature by key ${key.keyId} does not match the data`,
      'The signed file was changed after signing, or the signature belongs to another file.',
    );
  }
  const global = Buffer.concat([sig.signature, Buffer.from(sig.trustedComment, 'utf8')]);
  if (!verify(null, global, pk, sig.globalSignature)) {
    throw badSignature(
      `The trusted comment of the signature by key ${key.keyId} was altered`,
      'The signature file was edited after signing: do not trust it; get the original from the signer, or sign again.',
    );
  }
  return { keyId: key.keyId, trustedComment: sig.trustedComment };
}
