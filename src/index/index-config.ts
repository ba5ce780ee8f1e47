/**
 * Which indexes to ask, for which projects, in which order: settled once from pip's settings,
 * `ferry.toml`, `--mirror` and the command line, the way uv settles `[[tool.uv.index]]`,
 * `[tool.uv.sources]` and `--index-strategy` (docs.astral.sh/uv, "Package indexes").
 *
 * Order of the indexes (highest priority first):
 *   1. `--index NAME=URL` / `--explicit-index NAME=URL`, in command-line order;
 *   2. `[[index]]` entries of ferry.toml, in file order (a command-line index of the same name
 *      replaces the file's);
 *   3. the default index: a ferry.toml index with `default = true`, else pip's `index-url`
 *      (pip.conf, PIP_INDEX_URL, or pip's own default), named "default"; `--mirror` replaces it;
 *   4. pip's `extra-index-url`s in order, named "extra-1", "extra-2", …
 * Named indexes come before pip's, as in uv: an index the user names is one they mean to use,
 * and under `first-index` an index placed after a full PyPI mirror would almost never be asked.
 * Find-links locations are no index: they are always merged into every project's files.
 */

import { existsSync, readFileSync } from 'node:fs';
import { readFile as fsReadFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { embeddedAsset } from '../core/assets.js';
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { isValidProjectName, normalizeName } from '../standards/name.js';
import { defaultPipConfigIo, type IndexSettings, toLocationUrl } from './pip-config.js';

export const INDEX_STRATEGIES = ['first-index', 'unsafe-first-match', 'unsafe-best-match'] as const;
/**
 * - `first-index` (default): a project is taken only from the first index (in priority order)
 *   that knows its name; later indexes are never asked about it (the dependency-confusion
 *   defence).
 * - `unsafe-first-match`: every index is asked; versions of the first index are exhausted
 *   before those of the next; a version seen on an earlier index is not taken from a later one.
 * - `unsafe-best-match`: every index is asked; the best version across all wins (pip's
 *   behaviour); for a version on several indexes only the first index's files count.
 */
export type IndexStrategy = (typeof INDEX_STRATEGIES)[number];

export interface NamedIndex {
  readonly name: string;
  /** As configured (may carry credentials; redact before showing). */
  readonly url: string;
  /** Tried in order when `url` is unreachable (`--mirror a,b,c`). */
  readonly fallbacks: readonly string[];
  /** Only used for projects pinned to it (`[sources]`, `--index-for`). */
  readonly explicit: boolean;
  /** Where it was defined, for --verbose. */
  readonly origin: string;
  /** The URL of ferry's framework-table index this user index replaces (a mirror of it). */
  readonly replaces?: string;
}

/**
 * The URL the lock reads for a framework-table index URL: the user's mirror when one replaces
 * it (`--index pytorch-cu118=URL`), else the table's own. Whatever reads a vendor index for
 * --framework (which releases exist) must read it here, as the resolution does.
 */
export function effectiveTableIndexUrl(config: IndexConfig, tableUrl: string): string {
  const trim = (u: string) => u.replace(/\/+$/, '');
  return (
    config.indexes.find((i) => i.replaces !== undefined && trim(i.replaces) === trim(tableUrl))
      ?.url ?? tableUrl
  );
}

export interface ExcludeNewer {
  /** As the user wrote it. */
  readonly input: string;
  /** Files uploaded at or after this instant (ms since the epoch) are dropped. */
  readonly cutoffMs: number;
}

/** Everything the index client needs to know about where packages come from. */
export interface IndexConfig {
  /** Priority order, explicit indexes included (they are skipped for unpinned projects). */
  readonly indexes: readonly NamedIndex[];
  /** file:// or http(s) find-links locations, merged into every project. */
  readonly findLinks: readonly string[];
  /** Normalized project name → index name: that project comes only from that index. */
  readonly pins: Readonly<Record<string, string>>;
  readonly strategy: IndexStrategy;
  readonly excludeNewer?: ExcludeNewer;
  /** What gave each setting (redacted), for --verbose. */
  readonly sources: readonly string[];
  /**
   * ferry.toml's [trim] table, as written (the lock use case parses the requirements and puts
   * the command line's --exclude/--override over it: src/ops/trim.ts). It rides here because
   * ferry.toml is read once, in this module.
   */
  readonly trim?: TrimSettings;
}

/** One `[trim] exclude` entry: a project left out of the closure. */
export interface TrimExcludeEntry {
  readonly name: string;
  readonly reason?: string;
  /** Where it was given (the file), for messages. */
  readonly origin: string;
}

/** One `[trim] override` entry: a PEP 508 requirement replacing every requirement on its project. */
export interface TrimOverrideEntry {
  readonly requirement: string;
  readonly reason?: string;
  readonly origin: string;
}

export interface TrimSettings {
  readonly exclude: readonly TrimExcludeEntry[];
  readonly override: readonly TrimOverrideEntry[];
}

export function isIndexConfig(value: IndexSettings | IndexConfig): value is IndexConfig {
  return Array.isArray((value as IndexConfig).indexes);
}

/** pip's settings alone, as an IndexConfig: index-url first, then extra-index-urls. */
export function indexConfigFromPip(
  pip: IndexSettings,
  strategy: IndexStrategy = 'first-index',
): IndexConfig {
  const indexes: NamedIndex[] = [];
  if (!pip.noIndex) {
    if (pip.indexUrl !== '') {
      indexes.push({
        name: 'default',
        url: pip.indexUrl,
        fallbacks: [],
        explicit: false,
        origin: 'pip',
      });
    }
    pip.extraIndexUrls.forEach((url, i) => {
      indexes.push({
        name: `extra-${i + 1}`,
        url,
        fallbacks: [],
        explicit: false,
        origin: 'pip',
      });
    });
  }
  return { indexes, findLinks: pip.findLinks, pins: {}, strategy, sources: pip.sources };
}

export interface MirrorPreset {
  readonly name: string;
  /** undefined for `pypi`: pip's own default index, asked of pip at run time. */
  readonly url: string | undefined;
  readonly title: string;
}

const mirrorFileSchema = z.object({
  mirrors: z.record(z.string(), z.object({ url: z.string().nullable(), title: z.string() })),
});

const MIRRORS_FILE = new URL('../../data/mirrors.json', import.meta.url);

export function loadMirrorPresets(): MirrorPreset[] {
  // Compiled code runs from dist/index/: data/ sits two or three levels up.
  const url = existsSync(MIRRORS_FILE)
    ? MIRRORS_FILE
    : new URL('../../../data/mirrors.json', import.meta.url);
  const text = embeddedAsset('data/mirrors.json') ?? readFileSync(url, 'utf8');
  const parsed = mirrorFileSchema.parse(JSON.parse(text));
  return Object.entries(parsed.mirrors).map(([name, m]) => ({
    name,
    url: m.url ?? undefined,
    title: m.title,
  }));
}

/** A mirror of a vendor index (PyTorch's wheel index...), from data/mirrors.json `vendorMirrors`. */
export interface VendorMirror {
  readonly name: string;
  /** The vendor URL prefix it mirrors; the rest of a vendor index URL (/cu118) is kept. */
  readonly upstream: string;
  readonly url: string;
  /** 'index': PEP 503, for --index NAME=URL; 'find-links': a folder of files, for --find-links. */
  readonly layout: 'index' | 'find-links';
  readonly title: string;
  /** The mirror's own documentation. */
  readonly source: string;
  readonly note?: string;
}

const vendorMirrorSchema = z.object({
  upstream: z.string().url(),
  url: z.string().url(),
  layout: z.enum(['index', 'find-links']),
  title: z.string(),
  source: z.string().url(),
  note: z.string().optional(),
});

export function loadVendorMirrors(): VendorMirror[] {
  const url = existsSync(MIRRORS_FILE)
    ? MIRRORS_FILE
    : new URL('../../../data/mirrors.json', import.meta.url);
  const text = embeddedAsset('data/mirrors.json') ?? readFileSync(url, 'utf8');
  const raw = z
    .object({ vendorMirrors: z.record(z.string(), vendorMirrorSchema).optional() })
    .parse(JSON.parse(text));
  return Object.entries(raw.vendorMirrors ?? {}).map(([name, m]) => ({
    name,
    upstream: m.upstream,
    url: m.url,
    layout: m.layout,
    title: m.title,
    source: m.source,
    ...(m.note === undefined ? {} : { note: m.note }),
  }));
}

/** The mirrors of one vendor index URL, each with the URL that stands for it there. */
export function vendorMirrorsOf(
  indexUrl: string,
  mirrors: readonly VendorMirror[] = loadVendorMirrors(),
): { mirror: VendorMirror; url: string }[] {
  const trim = (u: string) => u.replace(/\/+$/, '');
  const found: { mirror: VendorMirror; url: string }[] = [];
  for (const mirror of mirrors) {
    const upstream = trim(mirror.upstream);
    const index = trim(indexUrl);
    if (index === upstream || index.startsWith(`${upstream}/`))
      found.push({ mirror, url: `${trim(mirror.url)}${index.slice(upstream.length)}` });
  }
  return found;
}

export interface SettleIndexesOptions {
  /** From loadIndexSettings (pip.conf, PIP_*, --index-url/--extra-index-url/--find-links). */
  readonly pip: IndexSettings;
  /** `--config FILE`; without it `./ferry.toml` is read when it exists. */
  readonly config?: string;
  /** `--index NAME=URL`, repeatable. */
  readonly cliIndexes?: readonly string[];
  /** `--explicit-index NAME=URL`, repeatable: used only for projects pinned to it. */
  readonly cliExplicitIndexes?: readonly string[];
  /** `--index-for PROJECT=NAME`, repeatable. */
  readonly cliPins?: readonly string[];
  /** `--index-strategy`; default from ferry.toml, else first-index. */
  readonly strategy?: string;
  /** `--mirror NAME[,NAME...]` (preset names from data/mirrors.json, or URLs). */
  readonly mirror?: string;
  /** `--exclude-newer DATE`; default from ferry.toml. */
  readonly excludeNewer?: string;
  /**
   * The indexes of ferry's framework table (data/frameworks.json): each one this run pins a
   * project to (`pinned`), and the names of the others. A user's index of the same name
   * (`--index`, `--explicit-index` or ferry.toml) replaces the table's URL with its own (a
   * mirror of the vendor index) and, like the table's, serves only the projects pinned to it.
   */
  readonly tableIndexes?: readonly TableIndex[];
  readonly io?: SettleIo;
}

/** One index of ferry's framework table, as settleIndexes takes it. */
export interface TableIndex {
  /** The table's name for it, e.g. "pytorch-cu118" (what `ferry frameworks` shows). */
  readonly name: string;
  readonly url: string;
  /** Other names a user may give it (earlier ferry releases named the pin "torch-cu118"). */
  readonly aliases?: readonly string[];
  /** Whether this run pins a project to it (else it is only a name a user may replace). */
  readonly pinned: boolean;
}

export interface SettleIo {
  /** Text of a file, undefined when it does not exist. */
  readFile?(path: string): Promise<string | undefined>;
  /** pip's default index (for `--mirror pypi`). */
  pipDefaultIndex?(): Promise<string>;
  readonly cwd?: string;
  readonly home?: string;
  readonly mirrors?: readonly MirrorPreset[];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RESERVED = /^(default|extra-\d+)$/;

const tomlIndexSchema = z
  .object({
    name: z.string(),
    url: z.string().min(1),
    explicit: z.boolean().optional(),
    default: z.boolean().optional(),
  })
  .strict();

const tomlSourceSchema = z.union([z.string(), z.object({ index: z.string() }).strict()]);

/** `[trim]`: `exclude = ["name", { name, reason }]`, `override = ["req", { requirement, reason }]`. */
const tomlTrimSchema = z
  .object({
    exclude: z
      .array(
        z.union([
          z.string(),
          z.object({ name: z.string(), reason: z.string().optional() }).strict(),
        ]),
      )
      .optional(),
    override: z
      .array(
        z.union([
          z.string(),
          z.object({ requirement: z.string(), reason: z.string().optional() }).strict(),
        ]),
      )
      .optional(),
  })
  .strict();

const tomlSchema = z
  .object({
    'index-strategy': z.string().optional(),
    'exclude-newer': z.union([z.string(), z.date()]).optional(),
    index: z.array(tomlIndexSchema).optional(),
    sources: z.record(z.string(), tomlSourceSchema).optional(),
    trim: tomlTrimSchema.optional(),
  })
  .strict();

function configError(message: string, hint: string, details?: Record<string, unknown>) {
  return new FerryError('ERR_FERRY_INDEX_CONFIG', message, {
    hint,
    ...(details === undefined ? {} : { details }),
  });
}

/**
 * Settles every index-related setting into one IndexConfig (see the module comment for the
 * order). Throws ERR_FERRY_INDEX_CONFIG for a bad config file or flag, quoting it.
 */
export async function settleIndexes(options: SettleIndexesOptions): Promise<IndexConfig> {
  const io = options.io ?? {};
  const cwd = io.cwd ?? process.cwd();
  const home = io.home ?? process.env.HOME ?? homedir();
  const readFile = io.readFile ?? defaultReadFile;
  const sources: string[] = [...options.pip.sources];

  // ferry.toml
  let file: z.infer<typeof tomlSchema> = {};
  let fileLabel = 'ferry.toml';
  let fileDir = cwd;
  const configPath = resolve(cwd, options.config ?? 'ferry.toml');
  const text = await readFile(configPath);
  if (text === undefined && options.config !== undefined) {
    throw configError(
      `the config file "${options.config}" does not exist`,
      'Check the path given to --config.',
    );
  }
  if (text !== undefined) {
    fileLabel = configPath;
    fileDir = dirname(configPath);
    let raw: unknown;
    try {
      raw = parseToml(text);
    } catch (error) {
      throw configError(
        `cannot parse ${configPath}: ${(error as Error).message}`,
        'ferry.toml is TOML: [[index]] tables with name/url/explicit, and a [sources] table.',
      );
    }
    const parsed = tomlSchema.safeParse(raw);
    if (!parsed.success) {
      throw configError(
        `${configPath} is not a valid ferry config: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`,
        'Allowed: index-strategy, exclude-newer, [[index]] (name, url, explicit, default), [sources] (project = "index name"), [trim] (exclude = [{ name, reason }], override = [{ requirement, reason }]).',
      );
    }
    file = parsed.data;
    sources.push(`config from ${configPath}`);
  }

  // Named indexes: command line first, then the file.
  const named: NamedIndex[] = [];
  const seen = new Set<string>();
  let defaultIndex: NamedIndex | undefined;
  // A user index named after one of the table's indexes is a mirror of it: it takes the
  // table's name and, like the table's index, serves only the projects pinned to it.
  const tableByName = new Map<string, TableIndex>();
  for (const t of options.tableIndexes ?? [])
    for (const n of [t.name, ...(t.aliases ?? [])]) if (!tableByName.has(n)) tableByName.set(n, t);
  const replaced = new Set<string>();
  const asTableMirror = (index: NamedIndex): NamedIndex => {
    const table = tableByName.get(index.name);
    if (table === undefined) return index;
    if (!replaced.has(table.name))
      sources.push(
        `${index.origin}: ${index.name}=${redactUrl(index.url)} replaces ferry's framework index "${table.name}" (${redactUrl(table.url)})`,
      );
    replaced.add(table.name);
    return {
      ...index,
      name: table.name,
      explicit: true,
      replaces: table.url,
      origin: `${index.origin}, replacing ferry's framework index "${table.name}"`,
    };
  };
  const addNamed = (given: NamedIndex, isDefault: boolean) => {
    const index = isDefault ? given : asTableMirror(given);
    if (!NAME_RE.test(index.name)) {
      throw configError(
        `"${index.name}" (${index.origin}) is not a valid index name`,
        'Index names use letters, digits, ".", "_" and "-", and start with a letter or digit.',
      );
    }
    if (RESERVED.test(index.name)) {
      throw configError(
        `the index name "${index.name}" (${index.origin}) is reserved for pip's indexes`,
        'Pick another name; "default" and "extra-N" name pip\'s index-url and extra-index-urls.',
      );
    }
    if (seen.has(index.name)) {
      if (index.origin.startsWith('command line')) {
        throw configError(
          `the index "${index.name}" is given twice on the command line`,
          'Give each --index a distinct name.',
        );
      }
      return; // the command line replaces the file's index of the same name
    }
    seen.add(index.name);
    if (isDefault) {
      if (defaultIndex !== undefined) {
        throw configError(
          `both "${defaultIndex.name}" and "${index.name}" are marked default = true`,
          "Only one index can replace pip's index-url.",
        );
      }
      defaultIndex = index;
    } else named.push(index);
  };
  for (const [flags, explicit] of [
    [options.cliIndexes ?? [], false],
    [options.cliExplicitIndexes ?? [], true],
  ] as const) {
    for (const flag of flags) {
      const eq = flag.indexOf('=');
      const name = flag.slice(0, eq).trim();
      const url = flag.slice(eq + 1).trim();
      if (eq <= 0 || url === '') {
        throw configError(
          `"${redactUrl(flag)}" is not NAME=URL`,
          `Write ${explicit ? '--explicit-index' : '--index'} paddle-cu118=https://host/path/simple (a name, "=", the index URL or path).`,
        );
      }
      addNamed(
        {
          name,
          url: toLocationUrl(url, cwd, home),
          fallbacks: [],
          explicit,
          origin: explicit ? 'command line (--explicit-index)' : 'command line (--index)',
        },
        false,
      );
    }
  }
  for (const entry of file.index ?? []) {
    addNamed(
      {
        name: entry.name,
        url: toLocationUrl(entry.url, fileDir, home),
        fallbacks: [],
        explicit: entry.explicit ?? false,
        origin: fileLabel,
      },
      entry.default ?? false,
    );
  }
  // The table's indexes this run pins a project to, unless a user's index replaced them.
  for (const table of options.tableIndexes ?? []) {
    if (!table.pinned || replaced.has(table.name) || seen.has(table.name)) continue;
    seen.add(table.name);
    named.push({
      name: table.name,
      url: table.url,
      fallbacks: [],
      explicit: true,
      origin: "ferry's framework table",
    });
  }

  // The default index, perhaps replaced by --mirror.
  const pip = options.pip;
  let main: NamedIndex | undefined =
    defaultIndex ??
    (pip.indexUrl === ''
      ? undefined
      : { name: 'default', url: pip.indexUrl, fallbacks: [], explicit: false, origin: 'pip' });
  if (options.mirror !== undefined && options.mirror.trim() !== '') {
    const urls = await mirrorUrls(options.mirror, io, cwd, home);
    main = {
      name: main?.name ?? 'default',
      url: urls[0]!,
      fallbacks: urls.slice(1),
      explicit: false,
      origin: `--mirror ${options.mirror}`,
    };
    sources.push(`default index from --mirror ${options.mirror}`);
  }
  const extras: NamedIndex[] = pip.extraIndexUrls.map((url, i) => ({
    name: `extra-${i + 1}`,
    url,
    fallbacks: [],
    explicit: false,
    origin: 'pip',
  }));
  const indexes = pip.noIndex ? [] : [...named, ...(main ? [main] : []), ...extras];

  // Pins: the command line over the file.
  const pins: Record<string, string> = {};
  const pinFrom = (project: string, given: string, origin: string) => {
    // A table index's other name (the pin's older name) means the table's index.
    const index = tableByName.get(given)?.name ?? given;
    if (!isValidProjectName(project)) {
      throw configError(
        `"${project}" (${origin}) is not a valid project name`,
        'Pin a project by its name, e.g. paddlepaddle-gpu = "paddle-cu118".',
      );
    }
    const known = [...named, ...(main ? [main] : []), ...extras].map((i) => i.name);
    if (!known.includes(index)) {
      throw configError(
        `${project} is pinned to the index "${index}" (${origin}), which is not defined`,
        `Define it with [[index]] in ferry.toml or --index ${index}=URL; defined: ${known.join(', ') || 'none'}.`,
        { project, index, known },
      );
    }
    pins[normalizeName(project)] = index;
  };
  for (const [project, source] of Object.entries(file.sources ?? {})) {
    pinFrom(project, typeof source === 'string' ? source : source.index, fileLabel);
  }
  for (const flag of options.cliPins ?? []) {
    const eq = flag.indexOf('=');
    if (eq <= 0 || flag.slice(eq + 1).trim() === '') {
      throw configError(
        `"${flag}" is not PROJECT=INDEX`,
        'Write --index-for paddlepaddle-gpu=paddle-cu118 (a project, "=", an index name).',
      );
    }
    pinFrom(flag.slice(0, eq).trim(), flag.slice(eq + 1).trim(), 'command line (--index-for)');
  }

  const strategyText = options.strategy ?? file['index-strategy'] ?? 'first-index';
  if (!(INDEX_STRATEGIES as readonly string[]).includes(strategyText)) {
    throw configError(
      `"${strategyText}" is not an index strategy`,
      `Use one of: ${INDEX_STRATEGIES.join(', ')}.`,
    );
  }
  const excludeText =
    options.excludeNewer ??
    (file['exclude-newer'] instanceof Date
      ? file['exclude-newer'].toISOString()
      : file['exclude-newer']);
  const excludeNewer = excludeText === undefined ? undefined : parseExcludeNewer(excludeText);
  const trim = file.trim === undefined ? undefined : trimFromFile(file.trim, fileLabel);

  return {
    indexes,
    findLinks: pip.findLinks,
    pins: pip.noIndex ? {} : pins,
    strategy: strategyText as IndexStrategy,
    ...(excludeNewer === undefined ? {} : { excludeNewer }),
    sources,
    ...(trim === undefined ? {} : { trim }),
  };
}

/** ferry.toml's [trim], names checked here (requirements are parsed by the lock use case). */
function trimFromFile(trim: z.infer<typeof tomlTrimSchema>, origin: string): TrimSettings {
  const exclude = (trim.exclude ?? []).map((e): TrimExcludeEntry => {
    const entry = typeof e === 'string' ? { name: e } : e;
    if (!isValidProjectName(entry.name.trim())) {
      throw configError(
        `[trim] exclude: "${entry.name}" (${origin}) is not a valid project name`,
        'Exclude a project by its name: exclude = [{ name = "matplotlib", reason = "no plots on the target" }].',
      );
    }
    return {
      name: entry.name.trim(),
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      origin,
    };
  });
  const override = (trim.override ?? []).map((o): TrimOverrideEntry => {
    const entry = typeof o === 'string' ? { requirement: o } : o;
    if (entry.requirement.trim() === '') {
      throw configError(
        `[trim] override: an empty requirement (${origin})`,
        'Give a PEP 508 requirement: override = [{ requirement = "protobuf==3.20.2", reason = "paddle 2.x" }].',
      );
    }
    return {
      requirement: entry.requirement.trim(),
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      origin,
    };
  });
  return { exclude, override };
}

async function mirrorUrls(spec: string, io: SettleIo, cwd: string, home: string) {
  const presets = io.mirrors ?? loadMirrorPresets();
  const urls: string[] = [];
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (/^[a-z][a-z0-9+.-]*:/i.test(name) || name.includes('/')) {
      urls.push(toLocationUrl(name, cwd, home));
      continue;
    }
    const preset = presets.find((p) => p.name === name.toLowerCase());
    if (preset === undefined) {
      throw configError(
        `"${name}" is not a known mirror`,
        `Known mirrors: ${presets.map((p) => p.name).join(', ')}; or give a URL.`,
      );
    }
    if (preset.url !== undefined) {
      urls.push(preset.url);
      continue;
    }
    const ask = io.pipDefaultIndex ?? defaultPipConfigIo().pythonDefaultIndex;
    let url: string;
    try {
      url = (await ask()).trim();
    } catch (error) {
      throw new FerryError('ERR_FERRY_NO_INDEX', 'pip could not be asked for its default index', {
        hint: 'Set FERRY_PYTHON to a python that has pip, or name another mirror.',
        cause: error,
      });
    }
    urls.push(url);
  }
  if (urls.length === 0) {
    throw configError(
      `--mirror "${spec}" names no mirror`,
      'Write --mirror tuna or --mirror tuna,ustc.',
    );
  }
  return urls;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * `--exclude-newer`: an RFC 3339 timestamp (`2024-06-01T12:00:00Z`) or a plain date
 * (`2024-06-01`). A plain date includes that whole day in UTC: files uploaded before
 * the next day's 00:00 UTC are kept. (uv reads a plain date in the local time zone; ferry uses
 * UTC so that the same command gives the same lock on every jump host.)
 */
export function parseExcludeNewer(input: string): ExcludeNewer {
  const text = input.trim();
  const date = DATE_RE.exec(text);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const start = Date.UTC(y, m - 1, d);
    const check = new Date(start);
    if (check.getUTCFullYear() === y && check.getUTCMonth() === m - 1 && check.getUTCDate() === d) {
      return { input, cutoffMs: start + 24 * 3600 * 1000 };
    }
  } else if (RFC3339_RE.test(text)) {
    const ms = parseTimestamp(text);
    if (ms !== undefined) return { input, cutoffMs: ms + 1 };
  }
  throw configError(
    `"${input}" is not a date for --exclude-newer`,
    'Give an RFC 3339 timestamp (2024-06-01T12:00:00Z) or a date (2024-06-01, meaning the whole day in UTC).',
  );
}

/** An RFC 3339 / PEP 700 `upload-time` (microseconds allowed) → ms since the epoch. */
export function parseTimestamp(text: string): number | undefined {
  if (!RFC3339_RE.test(text)) return undefined;
  // Date.parse wants at most millisecond precision.
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1').replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}

async function defaultReadFile(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    return await fsReadFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
