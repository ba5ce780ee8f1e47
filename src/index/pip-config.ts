/**
 * pip's configuration, read the way pip reads it, so that ferry on a jump host sees the same
 * mirrors, constraints, pre-release and wheel/sdist settings, certificates and proxies that
 * `pip install` there would.
 *
 * Followed from pip's own source (pip/_internal/configuration.py and cli/parser.py, pip 23.2):
 * - files, lowest priority first: global (every `$XDG_CONFIG_DIRS` entry + `/pip/pip.conf`,
 *   default `/etc/xdg`, then `/etc/pip.conf`), user (`~/.pip/pip.conf`, then
 *   `$XDG_CONFIG_HOME/pip/pip.conf`), site (`sys.prefix/pip.conf`), then `PIP_CONFIG_FILE`;
 *   then the `PIP_*` environment variables above all files.
 * - `PIP_CONFIG_FILE=/dev/null` loads no file at all; when `PIP_CONFIG_FILE` names an existing
 *   file the user files are skipped; `--isolated` skips user files and environment variables.
 * - sections are applied in the order `[global]`, `[<command>]`, environment; we use the
 *   `[install]` section because ferry stands in for the `pip install` that the target would run
 *   (`pip download` would read `[download]`; mirrors are in practice configured under `[global]`
 *   or `[install]`, and the bundle's install step is what must agree with this config).
 * - keys are compared with `_` → `-` and looked up as `--KEY` among pip's long options; empty
 *   values are ignored; `store_true` options take distutils' strtobool; `append` options
 *   (`find-links`, `extra-index-url`, `constraint`, `trusted-host`) are split on whitespace and
 *   a later source *replaces* an earlier list, while on the command line they *append* to the
 *   configured ones (optparse `append`); `callback` options (`no-binary`, `only-binary`) run
 *   once per configured value, in order.
 */
import { execFile } from 'node:child_process';
import { readFile as fsReadFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FERRY_ENV, readEnv } from '../core/env.js';
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { proxyVariables } from '../net/proxy.js';
import type { NetSettings } from '../net/settings.js';
import { defaultCacheDir as storeCacheDir } from '../store/cache-dir.js';
import { FactCache, interpreterKey } from '../store/fact-cache.js';
import {
  applyFormatValue,
  DEFAULT_FORMAT_POLICY,
  type FormatControl,
  type FormatPolicy,
} from './format-control.js';

export interface IndexSettings {
  readonly indexUrl: string;
  readonly extraIndexUrls: readonly string[];
  readonly findLinks: readonly string[];
  readonly noIndex: boolean;
  /** Which config files / environment variables gave each value, for --verbose (redacted). */
  readonly sources: readonly string[];
}

export interface IndexOverrides {
  indexUrl?: string;
  extraIndexUrls?: string[];
  findLinks?: string[];
  noIndex?: boolean;
  /** Like `pip --isolated`: ignore user config files and PIP_* environment variables. */
  isolated?: boolean;
}

/** The outside world pip-config needs; tests pass their own. */
export interface PipConfigIo {
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** pip's default index (`PyPI.simple_url`), asked of pip itself at run time. */
  pythonDefaultIndex(): Promise<string>;
  /** `sys.prefix` of the python in use (for the site config file); undefined if unknown. */
  pythonPrefix?(): Promise<string | undefined>;
  /** For relative find-links paths; default process.cwd(). */
  cwd?: string;
}

/**
 * pip's options that change what is resolved or fetched, by every long option string pip
 * accepts for them in a config file (pip looks a key up as `--KEY`, so short names like `i`
 * or `c` name no option and are ignored, as pip ignores them).
 */
const OPTION_OF_KEY = {
  'index-url': 'index-url',
  'pypi-url': 'index-url',
  'extra-index-url': 'extra-index-url',
  'find-links': 'find-links',
  'no-index': 'no-index',
  constraint: 'constraint',
  pre: 'pre',
  'no-binary': 'no-binary',
  'only-binary': 'only-binary',
  'prefer-binary': 'prefer-binary',
  'trusted-host': 'trusted-host',
  cert: 'cert',
  'client-cert': 'client-cert',
  timeout: 'timeout',
  'default-timeout': 'timeout',
  retries: 'retries',
  proxy: 'proxy',
} as const;

/** A pip option ferry honours, by pip's first long option string. */
export type PipOption = (typeof OPTION_OF_KEY)[keyof typeof OPTION_OF_KEY];

/** One configured value, in the order pip applies them: [global], [<command>], environment. */
export interface PipConfigItem {
  readonly option: PipOption;
  readonly value: string;
  /** "/etc/pip.conf [global]" or "PIP_CONSTRAINT". */
  readonly source: string;
}

/**
 * pip's configuration as its option parser sees it before the command line: files and PIP_*
 * variables merged (configuration.py), then ordered by section (cli/parser.py
 * `_get_ordered_configuration_items`). Read once per run; each consumer takes its options.
 */
export interface PipConfiguration {
  readonly items: readonly PipConfigItem[];
  readonly io: PipConfigIo;
  /** Relative paths in values resolve against this (pip opens them from its working directory). */
  readonly cwd: string;
  readonly home: string;
}

export interface ReadPipConfigOptions {
  /** Like `pip --isolated`: ignore user config files and PIP_* environment variables. */
  readonly isolated?: boolean;
  /**
   * The command whose section is read after [global]. ferry resolves for the `pip install`
   * that runs on the target, so the default is `install` (pip download would read
   * [download], pip only the section of the command that runs).
   */
  readonly command?: string;
}

export async function readPipConfiguration(
  options: ReadPipConfigOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  io: PipConfigIo = defaultPipConfigIo(env),
): Promise<PipConfiguration> {
  const isolated = options.isolated === true;
  const sectionOrder = ['global', options.command ?? 'install', ':env:'];
  // Python dict semantics: a Map keeps a key's first position when it is overwritten.
  const merged = new Map<string, { value: string; source: string }>();

  for (const { path } of await configFiles(env, isolated, io)) {
    const text = await io.readFile(path);
    if (text === undefined) continue;
    for (const [section, key, value] of parseIni(text, path)) {
      merged.set(`${section}.${normalizeKey(key)}`, { value, source: `${path} [${section}]` });
    }
  }
  if (!isolated) {
    for (const [name, value] of Object.entries(env)) {
      if (!name.startsWith('PIP_') || value === undefined) continue;
      const key = name.slice(4).toLowerCase();
      if (key === 'version' || key === 'help') continue;
      merged.set(`:env:.${normalizeKey(key)}`, { value, source: name });
    }
  }
  const items: PipConfigItem[] = [];
  for (const section of sectionOrder) {
    for (const [sectionKey, { value, source }] of merged) {
      const dot = sectionKey.indexOf('.');
      if (sectionKey.slice(0, dot) !== section || value === '') continue;
      const option = OPTION_OF_KEY[sectionKey.slice(dot + 1) as keyof typeof OPTION_OF_KEY];
      if (option === undefined) continue;
      items.push({ option, value, source });
    }
  }
  return { items, io, cwd: io.cwd ?? process.cwd(), home: env.HOME ?? homedir() };
}

/**
 * The last configured value of a scalar option (pip: each source replaces the value; for
 * `append` options the whitespace-split list replaces the list).
 */
export function lastItem(config: PipConfiguration, option: PipOption): PipConfigItem | undefined {
  let found: PipConfigItem | undefined;
  for (const item of config.items) if (item.option === option) found = item;
  return found;
}

/** pip's `store_true` options in a config file: distutils' strtobool. */
export function configFlag(config: PipConfiguration, option: PipOption): boolean | undefined {
  const item = lastItem(config, option);
  return item === undefined ? undefined : strtobool(item.value, option, item.source);
}

/** pip's `append` options in a config file: `val.split()`. */
export function configList(config: PipConfiguration, option: PipOption): string[] | undefined {
  const item = lastItem(config, option);
  return item === undefined ? undefined : splitList(item.value);
}

const splitList = (value: string): string[] => value.split(/\s+/).filter((v) => v !== '');

export async function loadIndexSettings(
  overrides: IndexOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  io: PipConfigIo = defaultPipConfigIo(env),
): Promise<IndexSettings> {
  const config = await readPipConfiguration(
    overrides.isolated === true ? { isolated: true } : {},
    env,
    io,
  );
  return indexSettingsFrom(config, overrides);
}

/** Where packages come from: pip's configured index options with the command line over them. */
export async function indexSettingsFrom(
  config: PipConfiguration,
  overrides: IndexOverrides = {},
): Promise<IndexSettings> {
  const values: {
    indexUrl?: string;
    extraIndexUrls: string[];
    findLinks: string[];
    noIndex: boolean;
  } = {
    extraIndexUrls: [],
    findLinks: [],
    noIndex: false,
  };
  const sourceOf = new Map<Field, string>();
  for (const { option, value, source } of config.items) {
    const field = FIELD_OF_OPTION[option as keyof typeof FIELD_OF_OPTION];
    if (field === undefined) continue;
    if (field === 'indexUrl') values.indexUrl = value.trim();
    else if (field === 'noIndex') values.noIndex = strtobool(value, option, source);
    else values[field] = splitList(value);
    sourceOf.set(field, `${option} from ${source}`);
  }

  // Command line: scalars replace, list options append (optparse's append onto the defaults
  // that pip filled from its configuration).
  if (overrides.indexUrl !== undefined) {
    values.indexUrl = overrides.indexUrl;
    sourceOf.set('indexUrl', 'index-url from the command line');
  }
  if (overrides.extraIndexUrls !== undefined && overrides.extraIndexUrls.length > 0) {
    values.extraIndexUrls = [...values.extraIndexUrls, ...overrides.extraIndexUrls];
    sourceOf.set(
      'extraIndexUrls',
      `${sourceOf.get('extraIndexUrls') ?? 'extra-index-url'} + command line`,
    );
  }
  if (overrides.findLinks !== undefined && overrides.findLinks.length > 0) {
    values.findLinks = [...values.findLinks, ...overrides.findLinks];
    sourceOf.set('findLinks', `${sourceOf.get('findLinks') ?? 'find-links'} + command line`);
  }
  if (overrides.noIndex !== undefined) {
    values.noIndex = overrides.noIndex;
    sourceOf.set('noIndex', 'no-index from the command line');
  }

  const { cwd, home } = config;
  let indexUrl = values.indexUrl;
  if (indexUrl === undefined) {
    if (values.noIndex) {
      // No index will be asked, so pip's default is not needed (and python may be absent).
      indexUrl = '';
    } else {
      indexUrl = await defaultIndex(config.io);
      sourceOf.set('indexUrl', "index-url: pip's default");
    }
  }
  return {
    indexUrl: indexUrl === '' ? '' : toLocationUrl(indexUrl, cwd, home),
    extraIndexUrls: values.extraIndexUrls.map((u) => toLocationUrl(u, cwd, home)),
    findLinks: values.findLinks.map((u) => toLocationUrl(u, cwd, home)),
    noIndex: values.noIndex,
    sources: [...sourceOf.values()],
  };
}

type Field = 'indexUrl' | 'extraIndexUrls' | 'findLinks' | 'noIndex';

const FIELD_OF_OPTION = {
  'index-url': 'indexUrl',
  'extra-index-url': 'extraIndexUrls',
  'find-links': 'findLinks',
  'no-index': 'noIndex',
} as const satisfies Partial<Record<PipOption, Field>>;

/** What pip's configuration says about what may be chosen (not where it comes from). */
export interface ResolutionSettings {
  /** `constraint`: constraint files, absolute paths, configured ones before the command line's. */
  readonly constraintFiles: readonly string[];
  /** `pre`: pre-releases are candidates like any release. */
  readonly pre: boolean;
  /** `no-binary`, `only-binary`, `prefer-binary`. */
  readonly formats: FormatPolicy;
  /** Which setting gave each value, for messages. */
  readonly sources: readonly string[];
}

export interface ResolutionOverrides {
  /** `-c FILE` on the command line: appended to the configured ones (optparse append). */
  readonly constraintFiles?: readonly string[];
  /** `--pre`. */
  readonly pre?: boolean;
  /** `--prefer-binary`. */
  readonly preferBinary?: boolean;
}

export function resolutionSettingsFrom(
  config: PipConfiguration,
  overrides: ResolutionOverrides = {},
): ResolutionSettings {
  const sources: string[] = [];
  const constraintItem = lastItem(config, 'constraint');
  const configured = (configList(config, 'constraint') ?? []).map((file) =>
    constraintPath(file, config.cwd, constraintItem?.source ?? ''),
  );
  if (constraintItem !== undefined) sources.push(`constraint from ${constraintItem.source}`);
  const pre = configFlag(config, 'pre');
  if (pre !== undefined) sources.push(`pre from ${lastItem(config, 'pre')!.source}`);
  let control: FormatControl = DEFAULT_FORMAT_POLICY.control;
  const formatSources: string[] = [];
  // pip runs the option's callback once per configured value, in order.
  for (const item of config.items) {
    if (item.option !== 'no-binary' && item.option !== 'only-binary') continue;
    control = applyFormatValue(control, item.option, item.value, item.source);
    formatSources.push(`${item.option} from ${item.source}`);
  }
  const preferBinary = configFlag(config, 'prefer-binary');
  if (preferBinary !== undefined)
    formatSources.push(`prefer-binary from ${lastItem(config, 'prefer-binary')!.source}`);
  return {
    constraintFiles: [
      ...configured,
      ...(overrides.constraintFiles ?? []).map((f) =>
        constraintPath(f, config.cwd, 'the command line'),
      ),
    ],
    pre: overrides.pre === true || pre === true,
    formats: {
      control,
      preferBinary: overrides.preferBinary === true || preferBinary === true,
      sources: formatSources,
    },
    sources: [...sources, ...formatSources],
  };
}

/**
 * pip opens a constraint file with `open(path)` from its working directory (req_file.py
 * get_file_content): no `~` expansion; `file:` URLs are read as files. Remote constraint files
 * are not fetched by ferry.
 */
function constraintPath(file: string, cwd: string, source: string): string {
  if (/^file:/i.test(file)) return fileURLToPath(file);
  if (/^https?:/i.test(file)) {
    throw new FerryError(
      'ERR_FERRY_PIP_CONFIG',
      `the constraint file "${redactUrl(file)}" (${source}) is a remote URL`,
      {
        hint: 'ferry reads constraint files from disk: download it and name the local path in `constraint` or with -c.',
      },
    );
  }
  return isAbsolute(file) ? file : resolve(cwd, file);
}

export interface NetworkOverrides {
  /** `--trusted-host`, appended to the configured ones. */
  readonly trustedHosts?: readonly string[];
  readonly cert?: string;
  readonly clientCert?: string;
  /** `--timeout` in seconds, as pip takes it. */
  readonly timeout?: string;
  readonly retries?: string;
  readonly proxy?: string;
}

/**
 * How to reach the network, from pip's `trusted-host`, `cert`, `client-cert`, `timeout`
 * (alias `default-timeout`), `retries` and `proxy`, the command line over them, plus what pip's
 * requests reads from the environment whatever pip's configuration says (so also under
 * --isolated): REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE over `cert`, and the proxy variables.
 */
export function networkSettingsFrom(
  config: PipConfiguration,
  overrides: NetworkOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): NetSettings {
  const sources: Record<string, string> = {};
  const pick = (
    option: PipOption,
    cli: string | undefined,
    key: string,
  ): { value: string; source: string } | undefined => {
    if (cli !== undefined && cli !== '') {
      sources[key] = `--${option} on the command line`;
      return { value: cli, source: sources[key] };
    }
    const item = lastItem(config, option);
    if (item === undefined) return undefined;
    sources[key] = `${option} from ${item.source}`;
    return { value: item.value.trim(), source: sources[key] };
  };
  const path = (value: string) => {
    // pip's "path" option type: ~ expanded; opened from the working directory.
    const expanded = expandHome(value, config.home);
    return isAbsolute(expanded) ? expanded : resolve(config.cwd, expanded);
  };

  const trustedItem = lastItem(config, 'trusted-host');
  const trustedHosts = [
    ...(configList(config, 'trusted-host') ?? []),
    ...(overrides.trustedHosts ?? []),
  ];
  if (trustedItem !== undefined) sources.trustedHosts = `trusted-host from ${trustedItem.source}`;

  const cert = pick('cert', overrides.cert, 'cert');
  const bundleVariable = ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'].find(
    (n) => (env[n] ?? '') !== '',
  );
  let caFile = cert === undefined ? undefined : path(cert.value);
  if (bundleVariable !== undefined) {
    // requests: `verify = REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE or verify` for each request,
    // which then outranks the session's verify that pip set from `cert`.
    caFile = path(env[bundleVariable]!);
    sources.cert = bundleVariable;
  }
  const clientCert = pick('client-cert', overrides.clientCert, 'clientCert');
  const timeout = pick('timeout', overrides.timeout, 'timeout');
  const retries = pick('retries', overrides.retries, 'retries');
  const proxy = pick('proxy', overrides.proxy, 'proxy');

  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    const seconds = Number(timeout.value);
    if (timeout.value === '' || !Number.isFinite(seconds) || seconds <= 0)
      throw badValue(
        'timeout',
        timeout.value,
        timeout.source,
        'a number of seconds, like 15 or 2.5',
      );
    timeoutMs = Math.round(seconds * 1000);
  }
  let retryCount: number | undefined;
  if (retries !== undefined) {
    if (!/^[+-]?\d+$/.test(retries.value) || Number(retries.value) < 0)
      throw badValue('retries', retries.value, retries.source, 'a whole number, like 5 or 0');
    retryCount = Number(retries.value);
  }
  return {
    trustedHosts,
    ...(caFile === undefined ? {} : { caFile }),
    ...(clientCert === undefined ? {} : { clientCertFile: path(clientCert.value) }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(retryCount === undefined ? {} : { retries: retryCount }),
    ...(proxy === undefined ? {} : { proxy: proxy.value }),
    env: proxyVariables(env),
    sources,
  };
}

function badValue(option: string, value: string, source: string, wanted: string): FerryError {
  return new FerryError(
    'ERR_FERRY_PIP_CONFIG',
    `"${redactUrl(value)}" is not a valid value for ${option} (${source})`,
    { hint: `pip's ${option} takes ${wanted}.` },
  );
}

async function defaultIndex(io: PipConfigIo): Promise<string> {
  try {
    const url = (await io.pythonDefaultIndex()).trim();
    if (url !== '') return url;
  } catch {
    // fall through to the error below
  }
  throw new FerryError(
    'ERR_FERRY_NO_INDEX',
    'no package index is configured and pip could not be asked for its default',
    {
      hint: 'Pass --index-url URL (or set index-url in pip.conf / PIP_INDEX_URL), or set FERRY_PYTHON to a python that has pip.',
    },
  );
}

/** The config files pip would read, lowest priority first (configuration.py iter_config_files). */
async function configFiles(
  env: NodeJS.ProcessEnv,
  isolated: boolean,
  io: PipConfigIo,
): Promise<{ path: string; label: string }[]> {
  const configFile = env.PIP_CONFIG_FILE;
  if (configFile === '/dev/null') return [];
  const home = env.HOME ?? homedir();
  const files: { path: string; label: string }[] = [];

  const xdgDirs =
    (env.XDG_CONFIG_DIRS ?? '').trim() === '' ? '/etc/xdg' : (env.XDG_CONFIG_DIRS as string);
  for (const dir of xdgDirs.split(':')) {
    files.push({ path: join(expandHome(dir, home), 'pip', 'pip.conf'), label: 'global' });
  }
  files.push({ path: '/etc/pip.conf', label: 'global' });

  // pip skips the user files when PIP_CONFIG_FILE names a file that exists.
  const configFileExists =
    configFile !== undefined && configFile !== '' && (await io.readFile(configFile)) !== undefined;
  if (!isolated && !configFileExists) {
    files.push({ path: join(home, '.pip', 'pip.conf'), label: 'user' });
    const xdgHome =
      (env.XDG_CONFIG_HOME ?? '').trim() === ''
        ? join(home, '.config')
        : expandHome(env.XDG_CONFIG_HOME as string, home);
    files.push({ path: join(xdgHome, 'pip', 'pip.conf'), label: 'user' });
  }
  const prefix =
    io.pythonPrefix === undefined ? undefined : await io.pythonPrefix().catch(() => undefined);
  if (prefix !== undefined && prefix !== '')
    files.push({ path: join(prefix, 'pip.conf'), label: 'site' });
  if (configFile !== undefined && configFile !== '') files.push({ path: configFile, label: 'env' });
  return files;
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : path;
}

/** pip: `name.lower().replace("_", "-")`, and a leading `--` is dropped. */
function normalizeKey(key: string): string {
  const k = key.toLowerCase().replace(/_/g, '-');
  return k.startsWith('--') ? k.slice(2) : k;
}

/** distutils' strtobool, which pip uses for store_true options. */
export function strtobool(value: string, key: string, source: string): boolean {
  const v = value.trim().toLowerCase();
  if (['y', 'yes', 't', 'true', 'on', '1'].includes(v)) return true;
  if (['n', 'no', 'f', 'false', 'off', '0'].includes(v)) return false;
  throw new FerryError(
    'ERR_FERRY_PIP_CONFIG',
    `"${value}" is not a valid value for ${key} (${source})`,
    {
      hint: 'Use a boolean value like yes/no, true/false or 1/0, as pip requires.',
    },
  );
}

/**
 * A bare path (relative or absolute, `~` expanded) becomes a file:// URL; anything with a
 * scheme is kept as written. pip accepts paths for find-links and index URLs alike.
 */
export function toLocationUrl(location: string, cwd: string, home: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(location)) return location;
  const expanded = expandHome(location, home);
  const abs = isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
  return pathToFileURL(abs).href;
}

/**
 * A subset of Python's configparser (RawConfigParser defaults): `[section]` headers, `key = value`
 * or `key: value`, `#`/`;` full-line comments, indented continuation lines joined with newlines
 * (which then split as whitespace for list options).
 */
export function parseIni(
  text: string,
  path: string,
): [section: string, key: string, value: string][] {
  const out: [string, string, string][] = [];
  let section: string | undefined;
  let last: [string, string, string] | undefined;
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '' || /^\s*[#;]/.test(raw)) {
      continue;
    }
    if (/^\s/.test(raw) && last !== undefined) {
      last[2] = `${last[2]}\n${raw.trim()}`;
      continue;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (header) {
      section = header[1]!;
      last = undefined;
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!m || section === undefined) {
      throw new FerryError(
        'ERR_FERRY_PIP_CONFIG',
        `cannot parse ${path} line ${i + 1}: "${redactUrl(raw.trim())}"`,
        {
          hint: 'pip.conf is an INI file: a [section] header, then "key = value" lines.',
        },
      );
    }
    last = [section, m[1]!.trim(), m[2]!.trim()];
    out.push(last);
  }
  return out;
}

/** What `python -c` tells about pip: its default index and the interpreter's `sys.prefix`. */
export interface PipFacts {
  readonly prefix: string;
  readonly index: string;
  /** pip's `__init__.py` (it holds `__version__`: an upgrade of pip rewrites it) and the real interpreter. */
  readonly pipFile?: string;
  readonly executable?: string;
}

const PIP_FACTS_CODE =
  'import sys, json\n' +
  'import pip\n' +
  'from pip._internal.models.index import PyPI\n' +
  'print(json.dumps({"prefix": sys.prefix, "index": PyPI.simple_url, "pipFile": pip.__file__, "executable": sys.executable}))';

function askPython(python: string, env: NodeJS.ProcessEnv): Promise<PipFacts> {
  return new Promise((resolvePromise, reject) => {
    execFile(python, ['-c', PIP_FACTS_CODE], { timeout: 30_000, env }, (error, stdout) => {
      if (error) reject(error);
      else {
        try {
          resolvePromise(JSON.parse(stdout) as PipFacts);
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

/**
 * pip's facts, kept in ferry's cache dir (src/store/fact-cache.ts) while the interpreter found
 * on PATH, the real executable behind it and pip's own `__init__.py` are unchanged: a warm run
 * starts no Python to learn that the default index is still the one pip was built with
 * (`PyPI.simple_url` is a constant of pip's source, pip/_internal/models/index.py). The config
 * files themselves are read on every run, so editing pip.conf needs no invalidation here.
 */
export async function cachedPipFacts(
  python: string,
  env: NodeJS.ProcessEnv,
  cache: FactCache | null,
  ask: (python: string, env: NodeJS.ProcessEnv) => Promise<PipFacts> = askPython,
  cwd?: string,
): Promise<PipFacts> {
  if (cache === null) return ask(python, env);
  const key = await interpreterKey(python, env, cache.io, cwd);
  if (key === undefined) return ask(python, env);
  const facts = await cache.get(
    'pip-facts',
    key,
    () => ask(python, env),
    (f) => [f.pipFile, f.executable].filter((x): x is string => typeof x === 'string'),
  );
  if (typeof facts?.index !== 'string' || typeof facts.prefix !== 'string') return ask(python, env);
  return facts;
}

/** Reads files from disk and asks the configured python (FERRY_PYTHON or python3) about pip. */
export function defaultPipConfigIo(
  env: NodeJS.ProcessEnv = process.env,
  cache: FactCache | null = new FactCache(storeCacheDir(env)),
): PipConfigIo {
  let info: Promise<PipFacts> | undefined;
  const ask = () => {
    info ??= cachedPipFacts(readEnv(FERRY_ENV.python, env) ?? 'python3', env, cache);
    return info;
  };
  return {
    async readFile(path) {
      try {
        if (!(await stat(path)).isFile()) return undefined;
        return await fsReadFile(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    pythonDefaultIndex: async () => (await ask()).index,
    pythonPrefix: async () => (await ask().catch(() => undefined))?.prefix,
  };
}
