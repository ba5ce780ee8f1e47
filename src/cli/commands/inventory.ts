import { takeInventory, writeInventory } from '../../ops/inventory.js';
import { loadSecretKey } from '../../trust/keys.js';
import { type Command, str, usageError } from '../command.js';
import { openBundleForCommand } from '../open-for-command.js';

export const inventoryCommand: Command = {
  name: 'inventory',
  options: {
    output: { type: 'string', short: 'o' },
    key: { type: 'string' },
    index: { type: 'string' },
  },
  help: `Usage: ferry inventory (STORE | VENV | BUNDLE...) -o inventory.json [--key KEY] [--index NAME]

Writes what a place already has, for "ferry bundle --since inventory.json" on the online side
(a delta bundle carries only the files the place lacks; docs/deltas.md):
  STORE      an intranet index store (store.json): every file of one index with its SHA-256
             and the bundle that brought it, and the bundles published there
  VENV       a venv (pyvenv.cfg): each installed distribution's name, version, wheel tags,
             RECORD digest and installer; a file name and SHA-256 only where direct_url.json
             records them (a venv does not keep the wheels it was installed from)
  BUNDLE...  bundles (folders or archives): their files and digests

The file is small and deterministic (the same place gives the same bytes).

Options:
  -o, --output FILE    where to write the inventory (required)
      --key KEY        sign it: FILE.minisig (minisign) or FILE.sm2.sig (SM2) beside it
      --index NAME     the store's index (default: store.json's "approved")
      --json           print the result as JSON`,
  async run(args, out) {
    const output = str(args.values.output);
    if (output === undefined) throw usageError('inventory', 'missing -o FILE.');
    if (args.positionals.length === 0)
      throw usageError('inventory', 'give a STORE, a VENV or BUNDLE... to take stock of.');
    const keyPath = str(args.values.key);
    // The key first: a typo in its path costs nothing.
    const key = keyPath === undefined ? undefined : await loadSecretKey(keyPath);
    const index = str(args.values.index);
    const inventory = await takeInventory({
      places: args.positionals,
      ...(index === undefined ? {} : { index }),
      open: openBundleForCommand,
    });
    const written = await writeInventory(output, inventory, key);
    out.result(
      { ...written, source: inventory.source },
      `inventory of ${inventory.source === 'bundles' ? `${args.positionals.length} bundle(s)` : `the ${inventory.source} ${args.positionals[0]}`} written to ${written.path}: ` +
        `${written.files} file(s), ${written.bundles} bundle(s)` +
        (inventory.installed === undefined ? '' : `, ${inventory.installed.length} installed`) +
        `; sha256 ${written.digest}` +
        (written.signature === undefined ? '' : `; signed: ${written.signature}`),
    );
    return 0;
  },
};
