import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultLedgerDir } from '../../bundle/ledger.js';
import type { Locked } from '../../bundle/locked.js';
import { baseOfInventory, type DeltaBase, loadBase } from '../../ops/delta.js';
import { inventoryOfStore } from '../../ops/inventory.js';
import type { LockOutcome } from '../../ops/lock.js';
import { sync } from '../../ops/sync.js';
import { loadSecretKey, loadTrustedKeys } from '../../trust/keys.js';
import { type Command, list, str, usageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { openBundleForCommand } from '../open-for-command.js';
import { RESOLVE_HELP, RESOLVE_OPTIONS, resolveFromArgs } from '../resolve-args.js';
import { VERSION } from '../version.js';

const exists = async (path: string): Promise<boolean> =>
  (await stat(path).catch(() => undefined)) !== undefined;

export const syncCommand: Command = {
  name: 'sync',
  options: {
    ...RESOLVE_OPTIONS,
    requirements: { type: 'string', multiple: true },
    output: { type: 'string', short: 'o' },
    since: { type: 'string', multiple: true },
    'since-key': { type: 'string', multiple: true },
    ledger: { type: 'string' },
    into: { type: 'string' },
    key: { type: 'string' },
    'trusted-key': { type: 'string', multiple: true },
    concurrency: { type: 'string' },
  },
  help: `Usage: ferry sync --requirements FILE... --target T... -o OUTDIR [--since BASE...]
                  [--mirror M] [--into STORE --key KEY --trusted-key PUB] [options]

Locks each requirement set (a pip requirements file) for the targets, and writes one dated
delta bundle OUTDIR/ferry-YYYYMMDD-HHMMSS/ with only the files the base lacks; nothing when
nothing is new. The base: --since (an inventory.json, a ledger folder or earlier bundles),
else with --into the store itself, else the ledger of bundles written here (docs/deltas.md).

Options:
      --requirements FILE  a requirement set (repeatable; -r FILE too)
  -o, --output OUTDIR      where the dated bundle folder goes (required)
      --since BASE         what the other side has (repeatable)
      --since-key FILE     the inventory must be signed by this key (repeatable)
      --ledger DIR         the ledger to read and record into (default $FERRY_LEDGER_DIR,
                           else $XDG_DATA_HOME/ferry/ledger or ~/.local/share/ferry/ledger)
      --key KEY            sign the bundle (minisign or SM2 secret key)
      --into STORE         publish the bundle into this index store (ferry import), verified
                           with --trusted-key (and store.json's trustedKeys)
      --trusted-key FILE   a public key whose signature counts for --into (repeatable)
      --concurrency N      parallel downloads (default 4)
      --json               print JSON events and the result on stdout

Exit status: 0 a bundle was written; 11 nothing new (no bundle written); 3 resolution,
4 network, 5-7 a failed --into import, other non-zero statuses for other failures.

${RESOLVE_HELP}`,
  async run(args, out) {
    const outDir = str(args.values.output);
    if (outDir === undefined) throw usageError('sync', 'missing -o OUTDIR.');
    const sets = [...list(args.values.requirements), ...list(args.values.requirement)];
    if (sets.length === 0)
      throw usageError('sync', 'give at least one --requirements FILE (a requirement set).');
    if (args.positionals.length > 0)
      throw usageError('sync', 'requirements come in files: give --requirements FILE.');
    const concurrency = str(args.values.concurrency);
    if (concurrency !== undefined && !/^[1-9]\d*$/.test(concurrency))
      throw usageError('sync', `--concurrency "${concurrency}" is not a positive number.`);
    const keyPath = str(args.values.key);
    const key = keyPath === undefined ? undefined : await loadSecretKey(keyPath);
    const into = str(args.values.into);
    const keyFiles = list(args.values['trusted-key']);
    if (into !== undefined && key === undefined)
      throw usageError('sync', '--into publishes a signed bundle: give --key KEY too.');
    const ledger = str(args.values.ledger) ?? defaultLedgerDir();

    // One lock per set, each for every target; the same settings for all.
    const outcomes: LockOutcome[] = [];
    for (const file of sets)
      outcomes.push(
        await resolveFromArgs(
          'sync',
          { values: { ...args.values, requirement: [file] }, positionals: [] },
          out,
        ),
      );
    const locks: Locked[] = outcomes.map((o) => o.locked);
    const since = list(args.values.since);
    let base: DeltaBase;
    if (since.length > 0)
      base = await loadBase(since, {
        inventoryKeys: await loadTrustedKeys(list(args.values['since-key'])),
        open: openBundleForCommand,
      });
    else if (into !== undefined && (await exists(join(into, 'store.json'))))
      base = baseOfInventory(await inventoryOfStore(into));
    else if (into === undefined && (await exists(ledger))) base = await loadBase([ledger]);
    // Nothing written yet (no ledger, a new store): everything is new.
    else base = { bundles: [], files: new Map() };
    const first = outcomes[0]!;
    const result = await sync({
      locks,
      client: first.client,
      cache: first.cache,
      base,
      outDir,
      toolVersion: VERSION,
      ledger,
      ...(key === undefined ? {} : { key }),
      ...(into === undefined ? {} : { into: { store: into, keyFiles } }),
      ...(concurrency === undefined ? {} : { concurrency: Number.parseInt(concurrency, 10) }),
      events: out.events,
    });
    out.result(
      result,
      result.wrote
        ? `delta bundle written to ${result.bundle}: ${result.carried} new file(s), ${(result.bytes / 1_048_576).toFixed(1)} MB; ${result.inBase} file(s) of the ${result.packages}-package closure are in the base` +
            (result.imported === undefined
              ? ''
              : `\npublished into ${result.imported.store} (${result.imported.index}, generation ${result.imported.generation})`)
        : `nothing new: all ${result.inBase} file(s) of the ${result.packages}-package closure are in the base; no bundle written`,
    );
    return result.wrote ? EXIT.ok : EXIT.nothingNew;
  },
};
