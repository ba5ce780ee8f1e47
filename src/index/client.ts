/**
 * The index client: project pages from every configured index and find-links location
 * (PEP 503 HTML or PEP 691 JSON, chosen by the response's Content-Type), and core metadata
 * (PEP 658/714 `.metadata` files, else METADATA read out of the wheel). The resolver never sees
 * HTTP; it sees `ProjectPage`s and metadata text.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../core/errors.js';
import { type EventSink, ignoreEvents } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import { assertSafeFilename, parseDistFilename } from '../standards/filename.js';
import { type NormalizedName, normalizeName } from '../standards/name.js';
import { type FetchOptions, fetchBytes, fetchText, isNotFound, splitCredentials } from './http.js';
import type { IndexSettings } from './pip-config.js';
import { parseSimpleHtml, type RawLink } from './simple-html.js';
import { parseSimpleJson, parseSimpleJsonRoot } from './simple-json.js';
import { similarNames } from './suggest.js';
import { readWheelMetadata } from './wheel-metadata.js';

export interface DistFile {
  readonly filename: string;
  /** Absolute URL without credentials or fragment. */
  readonly url: string;
  /** Redacted URL of the index (or find-links location) it came from. */
  readonly index: string;
  /** Algorithm (lower case) → hex digest (lower case). */
  readonly hashes: Readonly<Record<string, string>>;
  readonly requiresPython?: string;
  /** PEP 592: false, or the reason ('' when none was given). */
  readonly yanked: false | string;
  readonly size?: number;
  readonly uploadTime?: string;
  /** PEP 658/714: false, or the hashes of the `.metadata` file ({} when offered without hashes). */
  readonly coreMetadata: false | Readonly<Record<string, string>>;
}

export interface ProjectPage {
  readonly name: NormalizedName;
  /** Indexes first (in configured order), then find-links, each in page order. */
  readonly files: readonly DistFile[];
  /** Redacted URLs of the pages that answered, comma-separated. */
  readonly source: string;
}

export interface IndexClientOptions {
  settings: IndexSettings;
  events?: EventSink;
  /** Content-addressed cache (`<dir>/sha256/ab/cdef…`, the layout of fetch/cache.ts). */
  cacheDir?: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Passed to every request (timeouts, retries); tests shorten them. */
  http?: Pick<FetchOptions, 'retries' | 'timeoutMs' | 'backoffMs'>;
}

export interface SuggestOptions {
  /**
   * Also fetch the root `/simple/` page of remote indexes. On a full PyPI mirror that page is
   * tens of megabytes, so this is off by default and bounded by time and size when on.
   */
  readonly remote?: boolean;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly limit?: number;
}

/** PEP 691 content negotiation: JSON preferred, HTML accepted. */
export const SIMPLE_ACCEPT =
  'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

interface Source {
  readonly kind: 'index' | 'find-links';
  /** As configured (may carry credentials). */
  readonly url: string;
  readonly shown: string;
}

interface Page {
  readonly links: readonly RawLink[];
  readonly url: string;
}

export class IndexClient {
  readonly #settings: IndexSettings;
  readonly #events: EventSink;
  readonly #cacheDir: string | undefined;
  readonly #http: Pick<FetchOptions, 'retries' | 'timeoutMs' | 'backoffMs'>;
  readonly #sources: readonly Source[];
  readonly #pages = new Map<string, Promise<Page | undefined>>();
  readonly #projects = new Map<string, Promise<ProjectPage | undefined>>();
  readonly #metadata = new Map<string, Promise<string>>();
  /** origin → credentials ("user:pass@"), so files on an index's host get its credentials. */
  readonly #credentials = new Map<string, string>();
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;

  constructor(options: IndexClientOptions) {
    this.#settings = options.settings;
    this.#events = options.events ?? ignoreEvents;
    this.#cacheDir = options.cacheDir;
    this.#http = options.http ?? {};
    this.#limit = limiter(options.concurrency ?? 8);
    const s = options.settings;
    const indexes = s.noIndex ? [] : [s.indexUrl, ...s.extraIndexUrls].filter((u) => u !== '');
    this.#sources = [
      ...indexes.map((url) => ({ kind: 'index' as const, url, shown: redactUrl(url) })),
      ...s.findLinks.map((url) => ({ kind: 'find-links' as const, url, shown: redactUrl(url) })),
    ];
    for (const source of this.#sources) {
      try {
        const u = new URL(source.url);
        if (u.username !== '' || u.password !== '') {
          this.#credentials.set(
            u.origin,
            `${u.username}${u.password === '' ? '' : `:${u.password}`}@`,
          );
        }
      } catch {
        // reported when the source is fetched
      }
    }
  }

  /** The locations searched, redacted, for "not found" messages. */
  searched(): string[] {
    return this.#sources.map((s) => (s.kind === 'index' ? s.shown : `${s.shown} (find-links)`));
  }

  /** `url` with the credentials of the index on the same origin, for fetching files. */
  withCredentials(url: string): string {
    try {
      const u = new URL(url);
      const userinfo = this.#credentials.get(u.origin);
      if (userinfo === undefined || u.username !== '') return url;
      return `${u.protocol}//${userinfo}${u.host}${u.pathname}${u.search}${u.hash}`;
    } catch {
      return url;
    }
  }

  getProject(name: string): Promise<ProjectPage | undefined> {
    const normalized = normalizeName(name);
    let page = this.#projects.get(normalized);
    if (page === undefined) {
      page = this.#loadProject(normalized);
      this.#projects.set(normalized, page);
      page.catch(() => this.#projects.delete(normalized));
    }
    return page;
  }

  async #loadProject(name: NormalizedName): Promise<ProjectPage | undefined> {
    const answers = await Promise.all(
      this.#sources.map(async (source) => {
        const pageUrl = source.kind === 'index' ? projectUrl(source.url, name) : source.url;
        const page = await this.#page(pageUrl, source.kind);
        if (page === undefined) return undefined;
        const files = this.#filesFor(name, page, source);
        // A find-links page lists every project; it "knows" this one only if it has its files.
        if (source.kind === 'find-links' && files.length === 0) return undefined;
        return { files, shown: redactUrl(page.url) };
      }),
    );
    const found = answers.filter((a) => a !== undefined);
    if (found.length === 0) return undefined;
    return {
      name,
      files: found.flatMap((a) => a.files),
      source: found.map((a) => a.shown).join(', '),
    };
  }

  #filesFor(name: NormalizedName, page: Page, source: Source): DistFile[] {
    const files: DistFile[] = [];
    const seen = new Set<string>();
    for (const link of page.links) {
      try {
        assertSafeFilename(link.filename);
      } catch {
        this.#events({
          type: 'warning',
          code: 'ERR_FERRY_UNSAFE_FILENAME',
          message: `skipped "${link.filename}" on ${redactUrl(page.url)}: not a safe file name`,
        });
        continue;
      }
      // Other projects' files (find-links pages list everything), non-distribution files and
      // names that do not parse are not this project's files.
      if (parsedName(link.filename, name) !== name) continue;
      if (seen.has(link.url)) continue;
      seen.add(link.url);
      files.push({
        filename: link.filename,
        url: link.url,
        index: source.shown,
        hashes: link.hashes,
        ...(link.requiresPython === undefined ? {} : { requiresPython: link.requiresPython }),
        yanked: link.yanked,
        ...(link.size === undefined ? {} : { size: link.size }),
        ...(link.uploadTime === undefined ? {} : { uploadTime: link.uploadTime }),
        coreMetadata: link.coreMetadata,
      });
    }
    return files;
  }

  /** One page, fetched once per run; undefined when it does not exist (404 / missing file). */
  #page(url: string, kind: Source['kind']): Promise<Page | undefined> {
    let page = this.#pages.get(url);
    if (page === undefined) {
      page = this.#limit(() => this.#fetchPage(url, kind));
      this.#pages.set(url, page);
      page.catch(() => this.#pages.delete(url));
    }
    return page;
  }

  async #fetchPage(url: string, kind: Source['kind']): Promise<Page | undefined> {
    let response: Awaited<ReturnType<typeof fetchText>>;
    try {
      response = await fetchText(url, {
        ...this.#http,
        headers: { accept: SIMPLE_ACCEPT },
        directory: kind === 'find-links' ? 'listing' : 'index',
        events: this.#events,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const type = response.contentType;
    if (type === JSON_TYPE) {
      const parsed = parseSimpleJson(response.body, response.url);
      for (const drop of parsed.dropped) {
        this.#events({
          type: 'warning',
          code: 'ERR_FERRY_MALFORMED_ENTRY',
          message: `dropped file entry #${drop.index} of ${redactUrl(response.url)}: ${drop.reason}`,
        });
      }
      return { links: parsed.links, url: response.url };
    }
    if (
      type.startsWith('application/vnd.pypi.simple.') &&
      type !== 'application/vnd.pypi.simple.v1+html'
    ) {
      throw new FerryError(
        'ERR_FERRY_MALFORMED_PAGE',
        `${redactUrl(response.url)} answered with unsupported type "${type}"`,
        {
          hint: 'ferry reads PEP 691 v1 JSON and PEP 503 HTML pages.',
          details: { url: redactUrl(response.url), contentType: type },
        },
      );
    }
    // HTML, or a server that sends no or a generic type (static file hosts, file://).
    if (type === '' && /^\s*\{/.test(response.body)) {
      const parsed = parseSimpleJson(response.body, response.url);
      return { links: parsed.links, url: response.url };
    }
    return { links: parseSimpleHtml(response.body, response.url), url: response.url };
  }

  /**
   * Names the configured locations know, for "did you mean" suggestions. Local sources
   * (file:// indexes, find-links) always take part; remote root pages only with `remote`,
   * within a time and size bound, and a failure there only means fewer suggestions.
   */
  async knownProjectNames(options: SuggestOptions = {}): Promise<string[]> {
    const names = new Set<string>();
    await Promise.all(
      this.#sources.map(async (source) => {
        try {
          if (source.kind === 'find-links') {
            const page = await this.#page(source.url, 'find-links');
            for (const link of page?.links ?? []) {
              const parsed = parsedName(link.filename);
              if (parsed !== undefined) names.add(parsed);
            }
            return;
          }
          const isLocal = source.url.startsWith('file:');
          if (!isLocal && options.remote !== true) return;
          for (const n of await this.#rootNames(source.url, isLocal, options)) names.add(n);
        } catch {
          // Suggestions are a courtesy: an unreachable or huge root page gives none.
        }
      }),
    );
    return [...names].sort();
  }

  async #rootNames(indexUrl: string, isLocal: boolean, options: SuggestOptions): Promise<string[]> {
    const rootUrl = indexUrl.endsWith('/') ? indexUrl : `${indexUrl}/`;
    try {
      const response = await fetchText(rootUrl, {
        headers: { accept: SIMPLE_ACCEPT },
        retries: 0,
        timeoutMs: options.timeoutMs ?? 10_000,
        maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
      });
      if (response.contentType === JSON_TYPE)
        return parseSimpleJsonRoot(response.body, response.url);
      return parseSimpleHtml(response.body, response.url).map((l) => l.text);
    } catch (error) {
      if (!(isLocal && isNotFound(error))) throw error;
      // A file:// index without a root index.html: its project directories are the names.
      const { url } = splitCredentials(rootUrl);
      const entries = await readdir(fileURLToPath(url), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    }
  }

  /** Up to `limit` (default 3) known names close to `name`, best first. */
  async suggestNames(name: string, options: SuggestOptions = {}): Promise<string[]> {
    return similarNames(name, await this.knownProjectNames(options), options.limit ?? 3);
  }

  /** The file's core metadata (METADATA text). */
  getMetadata(file: DistFile): Promise<string> {
    let text = this.#metadata.get(file.url);
    if (text === undefined) {
      text = this.#loadMetadata(file);
      this.#metadata.set(file.url, text);
      text.catch(() => this.#metadata.delete(file.url));
    }
    return text;
  }

  async #loadMetadata(file: DistFile): Promise<string> {
    if (file.coreMetadata !== false) {
      const fromFile = await this.#metadataFile(file, file.coreMetadata);
      if (fromFile !== undefined) return fromFile;
    }
    if (!file.filename.endsWith('.whl')) {
      throw new FerryError(
        'ERR_FERRY_NO_METADATA',
        `${file.filename} is not a wheel and its index offers no metadata file`,
        {
          hint: 'Reading metadata from a source distribution needs a build; pin a version that has wheels.',
          details: { filename: file.filename, url: redactUrl(file.url) },
        },
      );
    }
    if (file.url.startsWith('file:')) return readWheelMetadata(fileURLToPath(file.url));
    return readWheelMetadata(await this.#wheelBytes(file));
  }

  /** PEP 658: `<file url>.metadata`; a 404, an error or a hash mismatch means "read the wheel". */
  async #metadataFile(
    file: DistFile,
    hashes: Readonly<Record<string, string>>,
  ): Promise<string | undefined> {
    let body: Buffer;
    try {
      body = (
        await this.#limit(() =>
          fetchBytes(this.withCredentials(`${file.url}.metadata`), { ...this.#http, retries: 1 }),
        )
      ).body;
    } catch {
      // Mirrors advertise .metadata files they do not have (or serve stale ones): fall back.
      return undefined;
    }
    for (const [algorithm, expected] of Object.entries(hashes)) {
      let actual: string;
      try {
        actual = createHash(algorithm).update(body).digest('hex');
      } catch {
        continue; // an algorithm node does not know: nothing to check against
      }
      if (actual !== expected.toLowerCase()) return undefined;
    }
    return body.toString('utf8');
  }

  /** The wheel's bytes, from the content-addressed cache or downloaded into it. */
  async #wheelBytes(file: DistFile): Promise<Buffer> {
    const expected = file.hashes.sha256;
    const cached =
      expected !== undefined && this.#cacheDir !== undefined
        ? cachePath(this.#cacheDir, expected)
        : undefined;
    if (cached !== undefined) {
      try {
        if ((await stat(cached)).isFile()) return await readFile(cached);
      } catch {
        // not cached yet
      }
    }
    const { body } = await this.#limit(() =>
      fetchBytes(this.withCredentials(file.url), { ...this.#http, events: this.#events }),
    );
    const actual = createHash('sha256').update(body).digest('hex');
    if (expected !== undefined && actual !== expected) {
      throw new FerryError(
        'ERR_FERRY_HASH_MISMATCH',
        `${file.filename} from ${redactUrl(file.url)} has SHA-256 ${actual}, the index promised ${expected}`,
        {
          hint: 'The mirror may be serving a corrupt or changed file; try again later or use another index.',
          details: { filename: file.filename, url: redactUrl(file.url), expected, actual },
        },
      );
    }
    if (this.#cacheDir !== undefined)
      await storeInCache(this.#cacheDir, actual, body).catch(() => {});
    return body;
  }
}

function parsedName(filename: string, projectName?: string): string | undefined {
  try {
    return parseDistFilename(filename, projectName)?.name;
  } catch {
    return undefined;
  }
}

/** PEP 503: `<index>/<normalized name>/`, always with the trailing slash. */
export function projectUrl(indexUrl: string, name: NormalizedName): string {
  return `${indexUrl.replace(/\/+$/, '')}/${encodeURIComponent(name)}/`;
}

/** The content-addressed cache path, identical to fetch/cache.ts's `ContentCache.pathFor`. */
export function cachePath(cacheDir: string, sha256: string): string | undefined {
  const sha = sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha)) return undefined;
  return join(cacheDir, 'sha256', sha.slice(0, 2), sha.slice(2));
}

async function storeInCache(cacheDir: string, sha256: string, body: Buffer): Promise<void> {
  const target = cachePath(cacheDir, sha256);
  if (target === undefined) return;
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.ferry-tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, body, { mode: 0o444 });
    await chmod(tmp, 0o444);
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
