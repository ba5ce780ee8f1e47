/**
 * Says what kind of key a file holds when it is not one ferry reads, so an error can tell an
 * RSA or P-256 key, a certificate, an OpenSSH key or a secret key given where a public key
 * belongs apart from a damaged SM2 key. Node's crypto (OpenSSL) reads the foreign PEM for
 * us; nothing here is trusted or used to verify anything.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parseSm2PrivateKey, parseSm2PublicKey } from './sm2.js';

/** What ferry accepts, for hints. */
export const ACCEPTED_KEYS =
  "ferry reads Ed25519 keys in minisign's format (`ferry keygen NAME` or `minisign -G`) and SM2 keys as PEM (`ferry keygen NAME --sm2` or `openssl genpkey -algorithm SM2`)";

const LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/g;

/** The PEM block labels in `text`, in order. */
export function pemLabels(text: string): string[] {
  return [...text.matchAll(LABEL)].map((m) => m[1] as string);
}

function describeKeyObject(key: KeyObject, half: 'public' | 'private'): string {
  const type: string = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  switch (type) {
    case 'rsa':
    case 'rsa-pss':
      return `an RSA ${half} key${details.modulusLength === undefined ? '' : ` (${details.modulusLength} bits)`}`;
    case 'ec':
      return `an EC ${half} key${details.namedCurve === undefined ? '' : ` on the curve ${details.namedCurve}`}, not on the SM2 curve`;
    case 'ed25519':
      return `an Ed25519 ${half} key in PEM form (ferry reads Ed25519 keys in minisign's format)`;
    case 'unknown':
      return `a ${half} key of a kind ferry does not know`;
    default:
      return `a ${type.toUpperCase()} ${half} key`;
  }
}

/**
 * A short phrase for the key in `text` ("an RSA public key (2048 bits)"), or undefined when it
 * cannot be told (then the parser's own message is the best there is).
 */
export function describeKeyText(text: string): string | undefined {
  const labels = pemLabels(text);
  if (labels.length === 0) {
    const first =
      text
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim() ?? '';
    if (/^untrusted comment: .*secret key/i.test(first)) return 'a minisign secret key';
    if (/^untrusted comment: .*public key/i.test(first)) return 'a minisign public key';
    if (/^ssh-(rsa|ed25519|dss)|^ecdsa-sha2-/.test(first)) return 'an OpenSSH public key';
    return undefined;
  }
  const label = labels[0] as string;
  if (label === 'CERTIFICATE') return 'an X.509 certificate, not a key';
  if (label === 'OPENSSH PRIVATE KEY') return 'an OpenSSH private key';
  if (label === 'ENCRYPTED PRIVATE KEY') return 'an encrypted private key';
  if (label === 'PGP PUBLIC KEY BLOCK' || label === 'PGP PRIVATE KEY BLOCK')
    return 'an OpenPGP key';
  const half = label.includes('PRIVATE') ? 'private' : 'public';
  // Node's crypto does not name SM2 (OpenSSL reports no type for it): ask ferry's own parser.
  try {
    if (half === 'private') parseSm2PrivateKey(text);
    else parseSm2PublicKey(text);
    return `an SM2 ${half} key`;
  } catch {
    // not a readable SM2 key: let OpenSSL say what it is
  }
  try {
    const key = half === 'private' ? createPrivateKey(text) : createPublicKey(text);
    return describeKeyObject(key, half);
  } catch {
    return `a PEM "${label}" block that is not a key ferry knows`;
  }
}

/** The same for a SubjectPublicKeyInfo DER (a trust-file line's KEY field). */
export function describePublicKeyDer(der: Buffer): string | undefined {
  try {
    return describeKeyObject(createPublicKey({ key: der, format: 'der', type: 'spki' }), 'public');
  } catch {
    return undefined;
  }
}
