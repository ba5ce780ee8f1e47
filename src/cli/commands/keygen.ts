import { basename } from 'node:path';
import {
  formatTrustedKeyLine,
  generateKeyPair,
  parsePublicKey,
  writeKeyPairFiles,
} from '../../trust/keys.js';
import { type Command, onePositional, str } from '../command.js';

export const keygenCommand: Command = {
  name: 'keygen',
  options: {
    sm2: { type: 'boolean' },
    force: { type: 'boolean' },
    comment: { type: 'string' },
  },
  help: `Usage: ferry keygen NAME [--sm2] [--force] [--comment TEXT]

Writes NAME.key (secret, mode 0600, unencrypted: keep it on the signing host) and NAME.pub.
  Ed25519 (default): minisign's key formats; "minisign -S -s NAME.key" signs with it too.
  --sm2:             SM2 (GM/T 0003) PEM keys the openssl command reads.
Give NAME.pub to whoever verifies bundles, by a channel they trust.

Options:
      --sm2            make an SM2 key instead of Ed25519
      --force          replace an existing NAME.key / NAME.pub
      --comment TEXT   minisign's untrusted comment in the key files
      --json           print the result as JSON`,
  async run(args, out) {
    const name = onePositional(args, 'keygen', 'NAME (the key files are NAME.key and NAME.pub)');
    const comment = str(args.values.comment);
    const pair = generateKeyPair(
      args.values.sm2 === true ? 'sm2' : 'ed25519',
      comment === undefined ? {} : { comment },
    );
    const paths = await writeKeyPairFiles(name, pair, { force: args.values.force === true });
    const trustLine = formatTrustedKeyLine(
      basename(name)
        .replace(/[^A-Za-z0-9._@+-]/g, '_')
        .replace(/^[^A-Za-z0-9]/, 'k'),
      parsePublicKey(pair.publicKeyText),
    );
    out.result(
      {
        algorithm: pair.algorithm,
        keyId: pair.keyId,
        ...paths,
        trustFileLine: trustLine.trimEnd(),
      },
      `${pair.algorithm} key ${pair.keyId}\n  secret key: ${paths.secretKeyPath} (mode 0600; keep it private)\n  public key: ${paths.publicKeyPath}\n  trust-file line: ${trustLine.trimEnd()}`,
    );
    return 0;
  },
};
