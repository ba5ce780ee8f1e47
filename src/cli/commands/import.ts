import { readPolicyFile } from '../../audit/policy-file.js';
import { importBundle } from '../../ops/import.js';
import { type Command, list, onePositional, str, usageError } from '../command.js';
import { openBundleForCommand } from '../open-for-command.js';

export const importCommand: Command = {
  name: 'import',
  options: {
    store: { type: 'string' },
    'trusted-key': { type: 'string', multiple: true },
    'trust-file': { type: 'string', multiple: true },
    index: { type: 'string' },
    actor: { type: 'string' },
    policy: { type: 'string' },
  },
  help: `Usage: ferry import BUNDLE --store DIR --trusted-key FILE... [--index NAME] [--actor NAME]
                    [--policy ferry-policy.toml]

Verifies BUNDLE (a folder, a NAME.ferry.tar, its first volume or its volumes.json) exactly as
"ferry verify" does, failing closed, then publishes its files into the intranet index store DIR
as one new generation (a store is made in an empty or missing DIR). With as many distinct
trusted signers as the index requires (store.json) the bundle lands there; with fewer it
waits in the "incoming" index for "ferry approve". Importing the same bundle again changes
nothing. A killed import leaves the store without the bundle or with all of it; run it again.

Options:
      --store DIR            the index store
      --trusted-key FILE     a public key (.pub) or trust file whose signatures count (repeatable);
                             store.json's "trustedKeys" count too
      --trust-file FILE      a trust file, lines "NAME ALGORITHM KEY" (repeatable)
      --index NAME           publish into this index (default: store.json's "approved")
      --actor NAME           who imports, for the audit log (default: the OS user)
      --policy FILE          refuse what ferry-policy.toml does not accept (projects, licences,
                             sdists, release age), before anything is published; its
                             required-signers raises what "approved" needs (docs/audit.md)
      --json                 print the result as JSON

Exit status: 0 imported (or already there), 5 tampered, 6 incomplete, 7 untrusted (no key
given, a bad signature, or no trusted signer), 10 refused by --policy (nothing published).`,
  async run(args, out) {
    const bundle = onePositional(args, 'import', 'BUNDLE (folder or .ferry.tar)');
    const store = str(args.values.store);
    if (store === undefined) throw usageError('import', 'missing --store DIR.');
    const index = str(args.values.index);
    const actor = str(args.values.actor);
    const policyPath = str(args.values.policy);
    const policy = policyPath === undefined ? undefined : await readPolicyFile(policyPath);
    const result = await importBundle({
      bundle,
      store,
      keyFiles: [...list(args.values['trusted-key']), ...list(args.values['trust-file'])],
      ...(index === undefined ? {} : { index }),
      ...(actor === undefined ? {} : { actor }),
      ...(policy === undefined ? {} : { policy }),
      open: openBundleForCommand,
      events: out.events,
    });
    const who = `signed by ${result.signerNames.join(', ')} (${result.signers.length} of ${result.required} required)`;
    const text = !result.changed
      ? `${result.bundle.name} (${result.bundle.digest.slice(0, 12)}) is already in ${result.index}; nothing changed (generation ${result.generation})`
      : result.state === 'incoming'
        ? `imported ${result.bundle.name} into ${result.index}, NOT approved: ${who}; run "ferry approve ${result.bundle.digest.slice(0, 12)} --store ${store} --key REVIEWER.key" (generation ${result.generation})`
        : `imported ${result.bundle.name} into ${result.index}: ${result.added} new of ${result.files} files, ${who} (generation ${result.generation})`;
    out.result(result, text);
    return 0;
  },
};
