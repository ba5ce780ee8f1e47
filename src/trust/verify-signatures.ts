/**
 * Signing and checking a bundle's detached signatures.
 *
 * What is signed: the bundle's SHA256SUMS file, byte for byte. It lists the SHA-256 of every
 * other file in the bundle (manifest, lock, SBOM, wheels, install.py, ...), so one signature
 * covers all of them, and a reviewer can check a bundle with stock tools alone:
 *   minisign -Vm SHA256SUMS -x signatures/KEYID.minisig -p signer.pub && sha256sum -c SHA256SUMS
 *   openssl dgst -sm3 -verify signer.pem -sigopt distid:1234567812345678 \
 *     -signature signatures/KEYID.sm2.sig SHA256SUMS
 *
 * Signature files live in `signatures/`:
 *   KEYID.minisig   Ed25519, minisign's prehashed format (text)
 *   KEYID.sm2.sig   SM2 with SM3 and ID 1234567812345678 (DER, as openssl writes)
 * Countersigning adds a file; it never rewrites the others.
 *
 * Verification fails closed: a damaged signature file, or a signature by a trusted key that
 * does not match, is ERR_FERRY_BAD_SIGNATURE; fewer distinct trusted signers than required is
 * ERR_FERRY_UNTRUSTED. Signatures by keys the user did not name are reported, never counted.
 */
import { FerryError } from '../core/errors.js';
import { parseMinisignSignature, signMinisign, verifyMinisign } from './ed25519-minisign.js';
import type { KeyAlgorithm, SecretKey, TrustedKey } from './keys.js';
import { parseSm2Signature, signSm2, verifySm2 } from './sm2.js';

/** The bundle file the signatures cover. */
export const SIGNED_FILE = 'SHA256SUMS';
export const SIGNATURES_DIR = 'signatures';

export interface SignatureFile {
  /** The file name inside signatures/ (e.g. "3F9A379E949A64CB.minisig"). */
  name: string;
  bytes: Uint8Array;
}

export interface ValidSignature {
  file: string;
  signer: string;
  keyId: string;
  algorithm: KeyAlgorithm;
  trustedComment?: string;
}

export interface UnknownSignature {
  file: string;
  algorithm: KeyAlgorithm;
  /** The key id named by the signature (minisign) or by its file name (SM2). */
  keyId: string;
}

export interface InvalidSignature {
  file: string;
  signer: string;
  keyId: string;
  algorithm: KeyAlgorithm;
  reason: string;
}

export interface CorruptSignature {
  file: string;
  reason: string;
}

export interface SignatureReport {
  valid: ValidSignature[];
  unknown: UnknownSignature[];
  invalid: InvalidSignature[];
  corrupt: CorruptSignature[];
  /** Names of the distinct trusted keys with a valid signature, sorted. */
  signers: string[];
}

/** The signatures/ file name for a key. */
export const signatureFileName = (algorithm: KeyAlgorithm, keyId: string): string =>
  algorithm === 'ed25519' ? `${keyId}.minisig` : `${keyId}.sm2.sig`;

/** Signs `data` (the SHA256SUMS bytes) and returns the signature file to write. */
export function createSignature(
  data: Uint8Array,
  key: SecretKey,
  opts: { trustedComment?: string } = {},
): SignatureFile {
  if (key.algorithm === 'ed25519') {
    const text = signMinisign(
      data,
      key.minisign,
      opts.trustedComment === undefined ? {} : { trustedComment: opts.trustedComment },
    );
    return { name: signatureFileName('ed25519', key.keyId), bytes: Buffer.from(text, 'utf8') };
  }
  return { name: signatureFileName('sm2', key.keyId), bytes: signSm2(data, key.sm2) };
}

const SM2_NAME = /^([0-9A-F]{16})\.sm2\.sig$/i;

/** Classifies every signature file; never throws for bad signatures. */
export function checkSignatures(
  signedBytes: Uint8Array,
  signatureFiles: readonly SignatureFile[],
  trusted: readonly TrustedKey[],
): SignatureReport {
  const report: SignatureReport = { valid: [], unknown: [], invalid: [], corrupt: [], signers: [] };
  const files = [...signatureFiles].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const file of files) {
    if (file.name.endsWith('.minisig')) {
      let parsed: ReturnType<typeof parseMinisignSignature>;
      try {
        parsed = parseMinisignSignature(Buffer.from(file.bytes).toString('utf8'));
      } catch (error) {
        report.corrupt.push({ file: file.name, reason: (error as Error).message });
        continue;
      }
      const key = trusted.find((k) => k.algorithm === 'ed25519' && k.keyId === parsed.keyId);
      if (key === undefined || key.algorithm !== 'ed25519') {
        report.unknown.push({ file: file.name, algorithm: 'ed25519', keyId: parsed.keyId });
        continue;
      }
      try {
        const ok = verifyMinisign(
          signedBytes,
          Buffer.from(file.bytes).toString('utf8'),
          key.minisign,
        );
        report.valid.push({
          file: file.name,
          signer: key.name,
          keyId: key.keyId,
          algorithm: 'ed25519',
          trustedComment: ok.trustedComment,
        });
      } catch (error) {
        report.invalid.push({
          file: file.name,
          signer: key.name,
          keyId: key.keyId,
          algorithm: 'ed25519',
          reason: (error as Error).message,
        });
      }
    } else if (file.name.endsWith('.sm2.sig')) {
      if (parseSm2Signature(file.bytes) === undefined) {
        report.corrupt.push({
          file: file.name,
          reason: 'not a DER SM2 signature (SEQUENCE of two INTEGERs)',
        });
        continue;
      }
      // An SM2 signature does not name its key: try every trusted SM2 key, so a renamed file
      // still counts; the file name only decides whether a failure is "invalid" or "unknown".
      const sm2Keys = trusted.filter((k) => k.algorithm === 'sm2');
      const match = sm2Keys.find(
        (k) => k.algorithm === 'sm2' && verifySm2(signedBytes, file.bytes, k.point),
      );
      const namedId = SM2_NAME.exec(file.name)?.[1]?.toUpperCase();
      if (match !== undefined) {
        report.valid.push({
          file: file.name,
          signer: match.name,
          keyId: match.keyId,
          algorithm: 'sm2',
        });
        continue;
      }
      const named = sm2Keys.find((k) => k.keyId === namedId);
      if (named !== undefined) {
        report.invalid.push({
          file: file.name,
          signer: named.name,
          keyId: named.keyId,
          algorithm: 'sm2',
          reason: `The SM2 signature by key ${named.keyId} does not match the data`,
        });
      } else {
        report.unknown.push({ file: file.name, algorithm: 'sm2', keyId: namedId ?? 'unknown' });
      }
    } else {
      report.corrupt.push({
        file: file.name,
        reason: 'not a signature file ferry knows (*.minisig or *.sm2.sig)',
      });
    }
  }
  report.signers = [...new Set(report.valid.map((v) => v.signer))].sort();
  return report;
}

/**
 * Checks the signatures over `signedBytes` and fails closed: throws ERR_FERRY_BAD_SIGNATURE
 * when any signature file is damaged or a trusted key's signature does not match, and
 * ERR_FERRY_UNTRUSTED when fewer than `requireSigners` distinct trusted keys signed.
 */
export function verifySignatures(
  signedBytes: Uint8Array,
  signatureFiles: readonly SignatureFile[],
  trusted: readonly TrustedKey[],
  requireSigners: number,
): SignatureReport {
  if (!Number.isInteger(requireSigners) || requireSigners < 1) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `The number of required signers must be 1 or more, got ${requireSigners}`,
      { hint: 'Give --require-signers a whole number of 1 or more.' },
    );
  }
  const report = checkSignatures(signedBytes, signatureFiles, trusted);
  const details = { ...report } as unknown as Record<string, unknown>;
  if (report.corrupt.length > 0 || report.invalid.length > 0) {
    const lines = [
      ...report.corrupt.map((c) => `  ${SIGNATURES_DIR}/${c.file}: damaged: ${c.reason}`),
      ...report.invalid.map(
        (i) =>
          `  ${SIGNATURES_DIR}/${i.file}: signed by trusted key "${i.signer}" (${i.keyId}) but does not verify: ${i.reason}`,
      ),
    ];
    throw new FerryError(
      'ERR_FERRY_BAD_SIGNATURE',
      `Bad signature(s) on ${SIGNED_FILE}:\n${lines.join('\n')}`,
      {
        hint: `${SIGNED_FILE} or a signature was changed after signing. Do not install this bundle; get a fresh copy from the signer.`,
        details,
      },
    );
  }
  if (report.signers.length < requireSigners) {
    const unknown = report.unknown.map((u) => `${u.keyId} (${u.algorithm})`);
    const message =
      `${report.signers.length} of ${requireSigners} required trusted signer(s) signed ${SIGNED_FILE}` +
      (report.signers.length > 0 ? ` (${report.signers.join(', ')})` : '') +
      (unknown.length > 0 ? `; signatures from keys you do not trust: ${unknown.join(', ')}` : '') +
      (signatureFiles.length === 0 ? '; the bundle has no signatures' : '');
    throw new FerryError('ERR_FERRY_UNTRUSTED', message, {
      hint: "Name the signers' public keys with --trusted-keys (a trust file or .pub files), after checking them out of band.",
      details,
    });
  }
  return report;
}
