/**
 * Digests for the store: SHA-256 (what indexes publish, PEP 503/691) and, where a bundle asks
 * for it, SM3 (GM/T 0004-2012, OpenSSL's `sm3`). Files are hashed as a stream: wheels and
 * bundles may be several GB.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { FerryError } from '../core/errors.js';
import { HASH_READ_CHUNK } from '../core/hash-file.js';

export type DigestAlgorithm = 'sha256' | 'sm3';

const HEX64 = /^[0-9a-f]{64}$/;

/** Digest (hex) and length of a file, streamed. */
export async function hashFileWithSize(
  path: string,
  algorithm: DigestAlgorithm = 'sha256',
): Promise<{ digest: string; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: HASH_READ_CHUNK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: hash.digest('hex'), size };
}

export const hashBytes = (bytes: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256') =>
  createHash(algorithm).update(bytes).digest('hex');

/**
 * Checks and lower-cases a hex digest (both algorithms give 256 bits). A digest becomes part of
 * a path, so anything that is not exactly 64 hex digits is refused here, before it can name a
 * file.
 */
export function normalizeDigest(digest: string, algorithm: DigestAlgorithm = 'sha256'): string {
  const lower = digest.toLowerCase();
  if (!HEX64.test(lower)) {
    throw new FerryError(
      'ERR_FERRY_INVALID_SHA256',
      `"${digest}" is not a${algorithm === 'sha256' ? ' SHA-256' : 'n SM3'} hex digest`,
      {
        hint: 'a SHA-256 digest is 64 hexadecimal characters; check the hash in the index or lock file',
      },
    );
  }
  return lower;
}

/** The digest, or undefined when it is not 64 hex digits (for lookups that may simply miss). */
export function tryNormalizeDigest(digest: string): string | undefined {
  const lower = digest.toLowerCase();
  return HEX64.test(lower) ? lower : undefined;
}
