import { approveBundle } from '../../ops/approve.js';
import { type Command, list, onePositional, str, usageError } from '../command.js';

export const approveCommand: Command = {
  name: 'approve',
  options: {
    store: { type: 'string' },
    key: { type: 'string', short: 'k' },
    'trusted-key': { type: 'string', multiple: true },
    'trust-file': { type: 'string', multiple: true },
    actor: { type: 'string' },
  },
  help: `Usage: ferry approve BUNDLE_DIGEST|NAME --store DIR --key REVIEWER.key [--trusted-key FILE...]

Countersigns a bundle waiting in the store's "incoming" index: a signature over its SHA256SUMS
in the format "ferry sign" writes, kept in the store beside the bundle. The trusted signers are
counted again; once there are as many as store.json requires for "approved", the bundle's files
move from "incoming" to "approved" in one new generation. Logged in audit.log either way.

BUNDLE is the SHA-256 of the bundle's SHA256SUMS (8 or more leading hex digits do), or its
name as "ferry import" printed it.

Options:
      --store DIR            the index store
  -k, --key FILE             the reviewer's secret key
      --trusted-key FILE     a public key or trust file to trust besides store.json's
                             "trustedKeys" (the reviewer's key must be trusted) (repeatable)
      --trust-file FILE      a trust file, lines "NAME ALGORITHM KEY" (repeatable)
      --actor NAME           who approves, for the audit log (default: the OS user)
      --json                 print the result as JSON

Exit status: 0 signed (promoted or still waiting), 2 no such bundle, 7 the reviewer's key is
not trusted.`,
  async run(args, out) {
    const bundle = onePositional(args, 'approve', 'BUNDLE (digest or name)');
    const store = str(args.values.store);
    if (store === undefined) throw usageError('approve', 'missing --store DIR.');
    const keyPath = str(args.values.key);
    if (keyPath === undefined)
      throw usageError('approve', "missing --key FILE (the reviewer's secret key).");
    const actor = str(args.values.actor);
    const result = await approveBundle({
      store,
      bundle,
      keyPath,
      keyFiles: [...list(args.values['trusted-key']), ...list(args.values['trust-file'])],
      ...(actor === undefined ? {} : { actor }),
    });
    const who = `${result.signers.length} of ${result.required} required signers (${[...result.signerNames].sort().join(', ')})`;
    const name = `${result.bundle.name} (${result.bundle.digest.slice(0, 12)})`;
    const text = !result.changed
      ? `${name} is already approved, signed by ${who}; nothing changed`
      : result.promoted
        ? `approved ${name}: ${who}; moved to ${result.index} (generation ${result.generation})`
        : `signed ${name} as ${result.reviewer}: ${who}; still waiting in ${result.index} (generation ${result.generation})`;
    out.result(result, text);
    return 0;
  },
};
