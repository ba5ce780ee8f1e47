/**
 * Settles pip's configuration in one place: where packages come from (command-line flags over
 * requirements-file options over ferry.toml over pip's configuration files and PIP_* variables,
 * the way pip and uv order them), what may be chosen (constraints, pre-releases, wheels or
 * sdists) and how the network is reached. See docs/indexes.md.
 */
import { parseSize } from '../archive/size.js';
import { FERRY_ENV, readEnv } from '../core/env.js';
import { FerryError } from '../core/errors.js';
import { loadFrameworkIndexes } from '../frameworks/table.js';
import { type IndexConfig, settleIndexes, type TableIndex } from '../index/index-config.js';
import {
  indexSettingsFrom,
  networkSettingsFrom,
  type PipConfiguration,
  type ResolutionSettings,
  readPipConfiguration,
  resolutionSettingsFrom,
} from '../index/pip-config.js';
import type { NetSettings } from '../net/settings.js';
import type { ExtraIndexPin } from '../ops/framework-fallback.js';
import type { RequirementsFileResult } from '../resolver/requirements-file.js';
import { list, type ParsedArgs, str } from './command.js';

export const INDEX_OPTIONS = {
  'index-url': { type: 'string', short: 'i' },
  'extra-index-url': { type: 'string', multiple: true },
  'find-links': { type: 'string', short: 'f', multiple: true },
  'no-index': { type: 'boolean' },
  isolated: { type: 'boolean' },
  config: { type: 'string' },
  index: { type: 'string', multiple: true },
  'explicit-index': { type: 'string', multiple: true },
  'index-for': { type: 'string', multiple: true },
  'index-strategy': { type: 'string' },
  mirror: { type: 'string' },
  'exclude-newer': { type: 'string' },
  'trusted-host': { type: 'string', multiple: true },
  cert: { type: 'string' },
  'client-cert': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  proxy: { type: 'string' },
  'max-page-size': { type: 'string' },
} as const;

export const INDEX_HELP = `Where packages come from (pip's configuration is honoured by default):
  -i, --index-url URL        the main index (PEP 503/691), instead of pip's
      --extra-index-url URL  another index to search (repeatable)
  -f, --find-links PATH|URL  a folder or HTML page of files, like Paddle's stable.html (repeatable)
      --no-index             use only --find-links
      --isolated             ignore pip's user configuration files and PIP_* variables
                             (as pip's --isolated: global and site files still count)
      --index NAME=URL       a named index, searched before pip's (repeatable)
      --explicit-index NAME=URL  a named index used only for projects pinned to it
      --index-for PROJECT=NAME   take PROJECT only from index NAME (repeatable)
      --index-strategy S     first-index (default: a name found on an earlier index is never
                             taken from a later one), unsafe-first-match, unsafe-best-match
      --mirror NAME[,NAME]   tuna, ustc, bfsu, aliyun, huawei, tencent or pypi as the main
                             index, falling back to the next one when a mirror fails
      --exclude-newer DATE   ignore files uploaded after DATE (PEP 700 upload-time)
      --max-page-size SIZE   refuse index pages larger than this (default 64M; also
                             $FERRY_MAX_PAGE_SIZE): a page is held in memory while read
      --config FILE          named indexes and [sources] pins (default ./ferry.toml)

How the network is reached (pip's trusted-host, cert, client-cert, timeout, retries and proxy
from pip's configuration count too; HTTP(S)_PROXY, ALL_PROXY and NO_PROXY are honoured):
      --trusted-host HOST[:PORT]  allow plain HTTP and unverified TLS there (repeatable)
      --cert FILE            CA bundle (PEM) to verify servers with, instead of the built-in one
      --client-cert FILE     PEM file with the private key and certificate to present
      --timeout SECONDS      fail a request when no data arrives for this long (default 30)
      --retries N            attempts after the first for a failing request (default 4)
      --proxy URL            proxy for every request: http://[user:password@]host:port`;

/**
 * pip's configuration files and PIP_* variables, read once per command (`--isolated` skips the
 * user files and the variables, as pip's does).
 */
export function settlePipConfiguration(args: ParsedArgs): Promise<PipConfiguration> {
  return readPipConfiguration(args.values.isolated === true ? { isolated: true } : {});
}

/**
 * What may be chosen: pip's `constraint`, `pre`, `no-binary`, `only-binary`, `prefer-binary`,
 * with `-c`, `--pre` and `--prefer-binary` over them (constraint files add to the configured
 * ones, as pip's optparse `append` adds to its configured default).
 */
export function settleResolution(args: ParsedArgs, pip: PipConfiguration): ResolutionSettings {
  const v = args.values;
  return resolutionSettingsFrom(pip, {
    constraintFiles: list(v.constraint),
    pre: v.pre === true,
    preferBinary: v['prefer-binary'] === true,
  });
}

/**
 * How the network is reached: pip's transport options with the command line's over them
 * (`--trusted-host` adds to the configured hosts), and the proxy and CA variables of the
 * environment (docs/indexes.md).
 */
export function settleNetwork(args: ParsedArgs, pip: PipConfiguration): NetSettings {
  const v = args.values;
  const cert = str(v.cert);
  const clientCert = str(v['client-cert']);
  const timeout = str(v.timeout);
  const retries = str(v.retries);
  const proxy = str(v.proxy);
  return networkSettingsFrom(pip, {
    trustedHosts: list(v['trusted-host']),
    ...(cert === undefined ? {} : { cert }),
    ...(clientCert === undefined ? {} : { clientCert }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(retries === undefined ? {} : { retries }),
    ...(proxy === undefined ? {} : { proxy }),
  });
}

/**
 * The largest index page to read: --max-page-size, else FERRY_MAX_PAGE_SIZE, else the
 * client's default (64 MiB). Sizes as `pack --split` takes them: 256M, 1G, 100000000.
 */
export function settleMaxPageBytes(
  args: ParsedArgs,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const flag = str(args.values['max-page-size']);
  const fromEnv = readEnv(FERRY_ENV.maxPageSize, env);
  const text = flag ?? fromEnv;
  if (text === undefined) return undefined;
  const setting = flag === undefined ? FERRY_ENV.maxPageSize : '--max-page-size';
  try {
    return parseSize(text);
  } catch {
    throw new FerryError('ERR_FERRY_USAGE', `${setting} "${text}" is not a size`, {
      hint: 'Write a number of bytes, or one with K, M or G, such as 256M or 1G.',
    });
  }
}

export async function settleIndexSettings(
  args: ParsedArgs,
  fromFiles?: RequirementsFileResult,
  extraPins: readonly ExtraIndexPin[] = [],
  configuration?: PipConfiguration,
): Promise<IndexConfig> {
  const v = args.values;
  const indexUrl = str(v['index-url']) ?? fromFiles?.indexUrl;
  const extra = [...(fromFiles?.extraIndexUrls ?? []), ...list(v['extra-index-url'])];
  const findLinks = [...(fromFiles?.findLinks ?? []), ...list(v['find-links'])];
  const noIndex = v['no-index'] === true || fromFiles?.noIndex === true;
  const pip = await indexSettingsFrom(configuration ?? (await settlePipConfiguration(args)), {
    ...(indexUrl === undefined ? {} : { indexUrl }),
    ...(extra.length > 0 ? { extraIndexUrls: extra } : {}),
    ...(findLinks.length > 0 ? { findLinks } : {}),
    ...(noIndex ? { noIndex } : {}),
  });
  const config = str(v.config);
  const strategy = str(v['index-strategy']);
  const mirror = str(v.mirror);
  const excludeNewer = str(v['exclude-newer']);
  const tableIndexes = frameworkTableIndexes(extraPins);
  return settleIndexes({
    pip,
    cliIndexes: list(v.index),
    cliExplicitIndexes: list(v['explicit-index']),
    cliPins: [...list(v['index-for']), ...extraPins.map((p) => `${p.project}=${tableName(p)}`)],
    tableIndexes,
    ...(config === undefined ? {} : { config }),
    ...(strategy === undefined ? {} : { strategy }),
    ...(mirror === undefined ? {} : { mirror }),
    ...(excludeNewer === undefined ? {} : { excludeNewer }),
  });
}

/**
 * The framework table's indexes for settleIndexes: the ones --framework pins a project to this
 * run, under the table's names (what `ferry frameworks` shows), and the others by name, so that
 * `--index pytorch-cu118=URL` replaces the table's URL with a mirror (docs/indexes.md).
 */
function frameworkTableIndexes(extraPins: readonly ExtraIndexPin[]): TableIndex[] {
  let table: Readonly<Record<string, string>> = {};
  try {
    table = loadFrameworkIndexes();
  } catch (error) {
    // A broken FERRY_FRAMEWORKS matters only to --framework, which reports it itself.
    if (extraPins.length > 0) throw error;
  }
  const entries = new Map<string, TableIndex>(
    Object.entries(table).map(([name, url]) => [name, { name, url, pinned: false }]),
  );
  for (const pin of extraPins) {
    const name = tableName(pin);
    const aliases = name === pin.name ? [] : [pin.name];
    entries.set(name, { name, url: pin.url, aliases, pinned: true });
  }
  return [...entries.values()];
}

/** The table's name for the index a --framework pin points at (its URL), else the pin's own. */
function tableName(pin: ExtraIndexPin): string {
  let table: Readonly<Record<string, string>> = {};
  try {
    table = loadFrameworkIndexes();
  } catch {
    return pin.name;
  }
  const same = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
  return Object.entries(table).find(([, url]) => same(url, pin.url))?.[0] ?? pin.name;
}
