import { readFile } from 'node:fs/promises';
import { readPolicyFile } from '../../audit/policy-file.js';
import { defaultLedgerDir } from '../../bundle/ledger.js';
import { FERRY_ENV, readEnv } from '../../core/env.js';
import { ContentCache, defaultCacheDir } from '../../fetch/cache.js';
import { IndexClient } from '../../index/client.js';
import { useNetSettings } from '../../net/settings.js';
import { bundle, lockedFromLockText } from '../../ops/bundle.js';
import { loadBase } from '../../ops/delta.js';
import type { LockOutcome } from '../../ops/lock.js';
import { describeTarget } from '../../standards/target.js';
import { loadTrustedKeys } from '../../trust/keys.js';
import { type Command, list, str, usageError } from '../command.js';
import { openBundleForCommand } from '../open-for-command.js';
import { RESOLVE_HELP, RESOLVE_OPTIONS, resolveFromArgs } from '../resolve-args.js';
import { settleIndexSettings, settleNetwork, settlePipConfiguration } from '../settings.js';
import { settleCliTargets } from '../target-options.js';
import { VERSION } from '../version.js';
export const bundleCommand: Command = {
  name: 'bundle',
  options: {
    ...RESOLVE_OPTIONS,
    output: { type: 'string', short: 'o' },
    lock: { type: 'string' },
    sm3: { type: 'boolean' },
    force: { type: 'boolean' },
    concurrency: { type: 'string' },
    policy: { type: 'string' },
    since: { type: 'string', multiple: true },
    'since-key': { type: 'string', multiple: true },
    ledger: { type: 'string' },
    installer: { type: 'string' },
  },
  help: `Usage: ferry bundle REQUIREMENT... [-r FILE] [-c FILE] [--target T ...] -o DIR [options]

Resolves the requirements for the target(s), downloads every file of the closure in
parallel with its SHA-256 checked (cached, resumable), and writes DIR:
  wheels/            every wheel of the closure
  requirements.txt   pinned, with --hash=sha256: lines (pip's hash-checking mode)
  manifest.json      targets, indexes, and each file's size, sha256 and source URL
  pylock.toml        the lock (PEP 751), with paths relative to the bundle

Options:
  -o, --output DIR         where to write the bundle (required)
      --lock FILE          download exactly what a pylock.toml names (no resolution); the
                           bundle is then byte-for-byte reproducible from the lock alone
      --sm3                also record each file's SM3 digest (GM/T 0004) in manifest.json
      --force              replace DIR even if it is not a ferry bundle
      --concurrency N      parallel downloads (default 4)
      --policy FILE        refuse what ferry-policy.toml does not accept (docs/audit.md; exit 10)
      --since BASE         a delta: carry only the files BASE lacks, list the rest as its base
                           (BASE: an inventory.json from "ferry inventory", a ledger folder, or
                           earlier bundles; repeatable; docs/deltas.md)
      --since-key FILE     the inventory must be signed by this key (repeatable)
      --ledger DIR         record the bundle in this ledger (default $FERRY_LEDGER_DIR, else
                           $XDG_DATA_HOME/ferry/ledger or ~/.local/share/ferry/ledger)
      --installer uv|pip   uv (default): carry uv's own wheel in tools/ for Linux x86_64 and
                           aarch64 targets, so the target installs with uv (falling back to
                           pip where it cannot run); pip: leave it out (docs/bundle-format.md)
      --json               print JSON events and the result on stdout

What was trimmed (--exclude, --override, ferry.toml [trim]) is recorded in manifest.json's
"exclusions" and "overrides", with the reasons; with --lock they are read from the lock.

${RESOLVE_HELP}

Examples:
  ferry bundle paddlepaddle -o paddle-bundle
  ferry bundle --framework paddle --cuda cpu --target kylin-v10-aarch64 -o kylin-paddle`,
  async run(args, out) {
    const outDir = str(args.values.output);
    if (outDir === undefined)
      throw usageError('bundle', 'missing -o DIR (where to write the bundle).');
    const concurrency = str(args.values.concurrency);
    if (concurrency !== undefined && !/^[1-9]\d*$/.test(concurrency))
      throw usageError('bundle', `--concurrency "${concurrency}" is not a positive number.`);
    const installer = str(args.values.installer) ?? 'uv';
    if (installer !== 'uv' && installer !== 'pip')
      throw usageError('bundle', `--installer "${installer}" is not uv or pip.`);
    const fromLock = str(args.values.lock);
    let resolved: LockOutcome;
    if (fromLock !== undefined) {
      if (
        args.positionals.length > 0 ||
        args.values.requirement !== undefined ||
        args.values.framework !== undefined
      ) {
        throw usageError(
          'bundle',
          '--lock takes the place of requirements; give one or the other.',
        );
      }
      if (args.values.exclude !== undefined || args.values.override !== undefined)
        throw usageError(
          'bundle',
          '--exclude and --override change a resolution; a lock carries its own (give them to ferry lock).',
        );
      const locked = await lockedFromLockText(
        await readFile(fromLock, 'utf8').catch((error: Error) => {
          throw usageError('bundle', `cannot read the lock "${fromLock}": ${error.message}`);
        }),
        fromLock,
        async () => (await settleCliTargets(args)).map((s) => s.target),
      );
      const cache = new ContentCache(str(args.values['cache-dir']) ?? defaultCacheDir());
      const pip = await settlePipConfiguration(args);
      const net = settleNetwork(args, pip);
      useNetSettings(net);
      resolved = {
        locked,
        cache,
        client: new IndexClient({
          settings: await settleIndexSettings(args, undefined, [], pip),
          cacheDir: cache.dir,
          events: out.events,
          net,
        }),
      };
    } else {
      resolved = await resolveFromArgs('bundle', args, out);
    }
    const { locked, client, cache } = resolved;
    const policyPath = str(args.values.policy);
    const policy = policyPath === undefined ? undefined : await readPolicyFile(policyPath);
    const createdAt = sourceDateEpoch();
    const sinceList = list(args.values.since);
    const since =
      sinceList.length === 0
        ? undefined
        : await loadBase(sinceList, {
            inventoryKeys: await loadTrustedKeys(list(args.values['since-key'])),
            open: openBundleForCommand,
          });
    const result = await bundle({
      ...(since === undefined ? {} : { since }),
      ledger: str(args.values.ledger) ?? defaultLedgerDir(),
      locked,
      client,
      cache,
      outDir,
      toolVersion: VERSION,
      fromLockFile: fromLock !== undefined,
      ...(createdAt === undefined ? {} : { createdAt }),
      force: args.values.force === true,
      ...(concurrency === undefined ? {} : { concurrency: Number.parseInt(concurrency, 10) }),
      sm3: args.values.sm3 === true,
      events: out.events,
      ...(policy === undefined ? {} : { policy }),
      installer,
    });
    const targets = locked.targets.map(describeTarget);
    out.result(
      {
        outDir: result.outDir,
        targets,
        packages: locked.packages.map((p) => ({
          name: p.name,
          version: p.version,
          targets: p.targets,
        })),
        downloaded: result.downloaded,
        fromCache: result.fromCache,
        bytes: result.bytes,
        ...(result.baseFiles === undefined ? {} : { baseFiles: result.baseFiles.length }),
        ...(result.digest === undefined ? {} : { digest: result.digest }),
      },
      `bundle written to ${result.outDir}: ${locked.packages.length} packages, ${result.files.length} files, ` +
        `${(result.bytes / 1_048_576).toFixed(1)} MB (${result.downloaded} downloaded, ${result.fromCache} from cache)\n` +
        (result.baseFiles === undefined
          ? ''
          : `  a delta: ${result.baseFiles.length} file(s) of the closure are in its base and not carried\n`) +
        targets.map((t) => `  for ${t}`).join('\n'),
    );
    return 0;
  },
};

/** SOURCE_DATE_EPOCH as the manifest's creation time (reproducible builds), when set. */
function sourceDateEpoch(): Date | undefined {
  const epoch = readEnv(FERRY_ENV.sourceDateEpoch);
  if (epoch === undefined) return undefined;
  if (!/^\d+$/.test(epoch))
    throw usageError(
      'bundle',
      `SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${epoch}".`,
    );
  return new Date(Number(epoch) * 1000);
}
