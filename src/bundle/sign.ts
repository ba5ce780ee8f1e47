/**
 * `ferry sign`: adds a detached signature over a bundle folder's SHA256SUMS to signatures/.
 * The bundle is checked first (every file against SHA256SUMS and the manifest), so nobody signs
 * a damaged bundle; the other files, earlier signatures included, are never rewritten, so a
 * reviewer countersigns without rebuilding. An archive (.ferry.tar) is not signed in place:
 * the signature must go inside it, so sign the folder and pack again.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { FerryError } from '../core/errors.js';
import { writeFileAtomic } from '../store/index.js';
import type { SecretKey } from '../trust/keys.js';
import { createSignature } from '../trust/verify-signatures.js';
import { verifyBundle } from './verify.js';
import { BUNDLE_FILES } from './write-folder.js';

export interface SignOptions {
  /** minisign's trusted comment (signed); default names SHA256SUMS and its SHA-256. */
  readonly trustedComment?: string;
  /** Replace an existing signature by the same key. */
  readonly force?: boolean;
}

export interface SignResult {
  readonly dir: string;
  readonly file: string;
  readonly keyId: string;
  readonly algorithm: SecretKey['algorithm'];
}

export async function signBundle(
  dir: string,
  key: SecretKey,
  options: SignOptions = {},
): Promise<SignResult> {
  const root = resolvePath(dir);
  const info = await stat(root).catch(() => undefined);
  if (info === undefined)
    throw new FerryError('ERR_FERRY_NOT_A_BUNDLE', `"${dir}" does not exist`, {
      hint: 'Give ferry sign the bundle folder that ferry bundle -o wrote.',
    });
  if (!info.isDirectory()) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `"${dir}" is not a bundle folder; an archive cannot be signed in place`,
      {
        hint: 'The signature goes inside the archive: extract it (tar -xf NAME.ferry.tar), run "ferry sign FOLDER --key KEY", then "ferry pack FOLDER -o NAME.ferry.tar" again.',
      },
    );
  }
  await verifyBundle(root, { allowUnsigned: true });
  const sums = await readFile(join(root, BUNDLE_FILES.sums));
  const trustedComment =
    options.trustedComment ??
    `file:${BUNDLE_FILES.sums} sha256:${createHash('sha256').update(sums).digest('hex')}`;
  const signature = createSignature(sums, key, { trustedComment });
  const sigDir = join(root, BUNDLE_FILES.signatures);
  await mkdir(sigDir, { recursive: true });
  const target = join(sigDir, signature.name);
  if (options.force !== true && (await stat(target).catch(() => undefined)) !== undefined) {
    throw new FerryError(
      'ERR_FERRY_SIGNATURE_EXISTS',
      `${BUNDLE_FILES.signatures}/${signature.name} already exists (key ${key.keyId} has signed this bundle)`,
      {
        hint: 'Pass --force to replace it.',
      },
    );
  }
  await writeFileAtomic(target, signature.bytes, { mode: 0o644 });
  return {
    dir: root,
    file: `${BUNDLE_FILES.signatures}/${signature.name}`,
    keyId: key.keyId,
    algorithm: key.algorithm,
  };
}
