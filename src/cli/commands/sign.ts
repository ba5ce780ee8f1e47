import { signBundle } from '../../bundle/sign.js';
import { loadSecretKey } from '../../trust/keys.js';
import { type Command, onePositional, str, usageError } from '../command.js';

export const signCommand: Command = {
  name: 'sign',
  options: {
    key: { type: 'string', short: 'k' },
    'trusted-comment': { type: 'string', short: 't' },
    force: { type: 'boolean' },
  },
  help: `Usage: ferry sign BUNDLE --key NAME.key [--trusted-comment TEXT] [--force]

Checks BUNDLE (a folder) against its SHA256SUMS and manifest, then writes
signatures/KEYID.minisig (Ed25519, minisign format) or signatures/KEYID.sm2.sig (SM2/SM3,
DER, ID 1234567812345678) over SHA256SUMS. Nothing else changes, so a reviewer can countersign
a bundle without rebuilding it. An archive cannot be signed in place: extract it
(tar -xf NAME.ferry.tar), sign the folder, and "ferry pack" it again.

Options:
  -k, --key FILE               the secret key (from "ferry keygen", or a minisign/openssl key)
  -t, --trusted-comment TEXT   minisign's signed comment (default: SHA256SUMS and its SHA-256)
      --force                  replace this key's earlier signature
      --json                   print the result as JSON`,
  async run(args, out) {
    const dir = onePositional(args, 'sign', 'BUNDLE folder');
    const keyPath = str(args.values.key);
    if (keyPath === undefined)
      throw usageError('sign', 'missing --key FILE (the secret key to sign with).');
    const key = await loadSecretKey(keyPath);
    const comment = str(args.values['trusted-comment']);
    const result = await signBundle(dir, key, {
      ...(comment === undefined ? {} : { trustedComment: comment }),
      force: args.values.force === true,
    });
    out.result(
      result,
      `signed ${result.dir}: ${result.file} (${result.algorithm} key ${result.keyId})`,
    );
    return 0;
  },
};
