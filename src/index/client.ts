/**
 * The index client: project pages from the configured indexes and find-links locations
 * (PEP 503 HTML or PEP 691 JSON, chosen by the response's Content-Type), chosen per project by
 * pins and the index strategy (index-config.ts), and core metadata, cheapest source first:
 * the on-disk metadata cache, PEP 658/714 `.metadata` files, METADATA read out of the remote
 * wheel with HTTP Range requests, and last the whole wheel. The resolver never sees HTTP; it
 * sees `ProjectPage`s and metadata text.
 *
 * Capabilities are probed, never assumed (mirrors differ): an index whose `.metadata` files
 * fail is not asked for them again in this run, a host that ignores Range gets whole-file
 * downloads, an index whose JSON pages are broken is asked for HTML.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../core/errors.js';
import { type EventSink, ignoreEvents } from '../core/events.js';
import { onceFor } from '../core/once-for.js';
import { redactUrl } from '../core/redact.js';
import { isSecureOrigin } from '../net/origin.js';
import { type NetSettings, netSettings } from '../net/settings.js';
import { assertSafeFilename } from '../standards/filename.js';
import { type NormalizedName, normalizeName } from '../standards/name.js';
import { BackgroundWrites } from '../store/background-writes.js';
import { tryNormalizeDigest } from '../store/hash.js';
import { ContentStore } from '../store/store.js';
import { cachePath, checkAndStore, type DistFile, type ProjectPage } from './dist-file.js';
import { DEFAULT_FORMAT_POLICY, type FormatPolicy } from './format-control.js';
import {
  type FetchOptions,
  type FetchResult,
  fetchBytes,
  fetchText,
  isNotFound,
  splitCredentials,
} from './http.js';
import {
  type IndexConfig,
  indexConfigFromPip,
  isIndexConfig,
  parseTimestamp,
} from './index-config.js';
import { limiter } from './limiter.js';
import { PageCache } from './page-cache.js';
import {
  type Found,
  firstIndexPerVersion,
  parsedName,
  projectNamer,
  projectUrl,
} from './page-files.js';
import { DEFAULT_MAX_PAGE_BYTES, pageTooLarge } from './page-size.js';
import { ParsedPages } from './parsed-pages.js';
import type { IndexSettings } from './pip-config.js';
import { openRangeReader } from './range-reader.js';
import { parseSimpleHtml, type RawLink } from './simple-html.js';
import { parseSimpleJson } from './simple-json.js';
import {
  namesFromRootPage,
  readCachedNames,
  suggestProjectNames,
  writeCachedNames,
} from './suggest.js';
import { readMetadataFrom, readWheelMetadata } from './wheel-metadata.js';

// The client's parts, for the modules that import them from here.
export {
  cachePath,
  checkAndStore,
  type DistFile,
  metadataCachePath,
  type ProjectPage,
  storeInCache,
} from './dist-file.js';
export { projectUrl } from './page-files.js';
export { DEFAULT_MAX_PAGE_BYTES } from './page-size.js';

export interface IndexClientOptions {
  /** pip's settings alone (index-url, extra-index-urls, find-links), or a settled IndexConfig. */
  settings: IndexSettings | IndexConfig;
  /**
   * Revalidate every cached index page with the server even while it is fresh (uv's and
   * ferry's `--refresh`); by default a page within its max-age is used without a request.
   */
  refresh?: boolean;
  events?: EventSink;
  /**
   * Content-addressed cache (`<dir>/sha256/ab/cdef…`, the layout of fetch/cache.ts); metadata
   * is kept beside it in `<dir>/metadata/<sha256 of the file>`.
   */
  cacheDir?: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Passed to every request (timeouts, retries); tests shorten them. */
  http?: Pick<FetchOptions, 'retries' | 'timeoutMs' | 'backoffMs'>;
  /** Proxies, certificates, trusted hosts (default: this process's, net/settings.ts). */
  net?: NetSettings;
  /**
   * The largest index or find-links page read (default 64 MiB). Pages are parsed whole, so this
   * bounds memory: an 800 MiB page would otherwise exhaust it.
   */
  maxPageBytes?: number;
  /**
   * pip's no-binary / only-binary / prefer-binary (format-control.ts). Like pip's
   * PackageFinder, the client carries them; the provider applies them to each project.
   */
  formats?: FormatPolicy;
  /**
   * The files worth a full entry, by file name (the lock's: wheels some target takes, and
   * sdists; index-provider.ts wantedFiles). The others are named only, in
   * ProjectPage.otherFiles: on a page of 15,000 wheels their URLs, hashes and entries are most
   * of the parse. Default: every file.
   */
  wanted?: (filename: string) => boolean;
  /**
   * Names `wanted` (the same key, the same filter) for the parsed-page cache
   * (parsed-pages.ts). With a filter and no key, parsed pages are not kept.
   */
  wantedKey?: string;
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
/** For an index whose JSON pages turned out broken. */
const HTML_ACCEPT = 'application/vnd.pypi.simple.v1+html, text/html;q=0.01';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

interface IndexSource {
  readonly kind: 'index';
  readonly name: string;
  /** The index URL, then its fallback mirrors (as configured: may carry credentials). */
  readonly urls: readonly string[];
  readonly explicit: boolean;
  readonly rank: number;
}

interface LinksSource {
  readonly kind: 'find-links';
  readonly url: string;
  readonly shown: string;
  readonly rank: number;
}

interface Page {
  readonly links: readonly RawLink[];
  /** Names of the files the `wanted` filter set aside while parsing (JSON pages). */
  readonly skipped?: readonly string[];
  readonly url: string;
}

export class IndexClient {
  readonly #config: IndexConfig;
  readonly #formats: FormatPolicy;
  readonly #wanted: ((filename: string) => boolean) | undefined;
  /** Parsed JSON pages by the digest of their bytes (parsed-pages.ts); undefined without a cache. */
  readonly #parsedPages: ParsedPages | undefined;
  /** Metadata files being written to the store (#loadMetadata), for settled(). */
  readonly #metadataWrites = new BackgroundWrites();
  readonly #maxPageBytes: number;
  readonly #events: EventSink;
  readonly #cacheDir: string | undefined;
  /** HTTP caching of remote index pages (page-cache.ts); undefined without a cache dir. */
  readonly #pageCache: PageCache | undefined;
  readonly #refresh: boolean;
  readonly #http: Pick<FetchOptions, 'retries' | 'timeoutMs' | 'backoffMs' | 'net'>;
  readonly #net: NetSettings | undefined;
  readonly #indexes: readonly IndexSource[];
  readonly #links: readonly LinksSource[];
  readonly #pages = new Map<string, Promise<Page | undefined>>();
  readonly #projects = new Map<string, Promise<ProjectPage | undefined>>();
  readonly #metadata = new Map<string, Promise<string>>();
  /** origin → credentials ("user:pass@"), so files on an index's host get its credentials. */
  readonly #credentials = new Map<string, string>();
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;
  /** Index name → which of its URLs is in use (moves on when a mirror is unreachable). */
  readonly #active = new Map<string, number>();
  /** Index names whose PEP 691 JSON was broken: asked for HTML from then on. */
  readonly #htmlOnly = new Set<string>();
  /** Sources (DistFile.index) whose `.metadata` files failed before any succeeded. */
  readonly #noMetadataFiles = new Set<string>();
  readonly #metadataFilesWork = new Set<string>();
  /** Origins that ignored a Range request. */
  readonly #noRange = new Set<string>();
  /** Sources already warned that exclude-newer could not be applied. */
  readonly #excludeWarned = new Set<string>();

  constructor(options: IndexClientOptions) {
    const config = isIndexConfig(options.settings)
      ? options.settings
      : indexConfigFromPip(options.settings);
    this.#config = config;
    this.#formats = options.formats ?? DEFAULT_FORMAT_POLICY;
    this.#wanted = options.wanted;
    this.#parsedPages =
      options.cacheDir === undefined ||
      (options.wanted !== undefined && options.wantedKey === undefined)
        ? undefined
        : new ParsedPages(options.cacheDir, options.wantedKey ?? '');
    this.#maxPageBytes = options.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES;
    this.#events = options.events ?? ignoreEvents;
    this.#cacheDir = options.cacheDir;
    this.#pageCache = options.cacheDir === undefined ? undefined : new PageCache(options.cacheDir);
    this.#refresh = options.refresh === true;
    this.#net = options.net;
    this.#http = { ...options.http, ...(options.net === undefined ? {} : { net: options.net }) };
    this.#limit = limiter(options.concurrency ?? 8);
    this.#indexes = config.indexes
      .filter((i) => i.url !== '')
      .map((i, rank) => ({
        kind: 'index' as const,
        name: i.name,
        urls: [i.url, ...i.fallbacks],
        explicit: i.explicit,
        rank,
      }));
    this.#links = config.findLinks.map((url) => ({
      kind: 'find-links' as const,
      url,
      shown: redactUrl(url),
      rank: this.#indexes.length,
    }));
    for (const url of [...this.#indexes.flatMap((i) => i.urls), ...config.findLinks]) {
      try {
        const u = new URL(url);
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

  /** The settled index configuration this client uses. */
  get config(): IndexConfig {
    return this.#config;
  }

  /** Which kinds of file (wheel, sdist) each project may come as, from pip's configuration. */
  get formats(): FormatPolicy {
    return this.#formats;
  }

  /** The locations searched, redacted, for "not found" messages. */
  searched(): string[] {
    return [
      ...this.#indexes.map((s) => {
        const shown = redactUrl(this.#activeUrl(s));
        const label =
          s.name === 'default' || /^extra-\d+$/.test(s.name) ? shown : `${s.name}: ${shown}`;
        return s.explicit ? `${label} (explicit: pinned projects only)` : label;
      }),
      ...this.#links.map((s) => `${s.shown} (find-links)`),
    ];
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

  /** Waits for the cache writes started while answering (parsed pages, metadata): call before exiting. */
  async settled(): Promise<void> {
    await this.#parsedPages?.settled();
    await this.#metadataWrites.settled();
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

  /**
   * Starts loading these projects' pages now, without waiting (prefetch.ts: the pages the same
   * question needed last time). A failure is kept from this call and surfaces, retried, when
   * the resolver asks for that project itself.
   */
  prefetch(names: Iterable<string>): void {
    for (const name of names) this.getProject(name).catch(() => {});
  }

  /** The normalized names of every project asked for so far, in the order first asked. */
  requestedProjects(): string[] {
    return [...this.#projects.keys()];
  }

  async #loadProject(name: NormalizedName): Promise<ProjectPage | undefined> {
    // Find-links are always merged in; start them at once.
    const fromLinks = Promise.all(this.#links.map((source) => this.#fromLinks(source, name)));
    fromLinks.catch(() => {});
    const pinned = this.#config.pins[name];
    const candidates =
      pinned === undefined
        ? this.#indexes.filter((s) => !s.explicit)
        : this.#indexes.filter((s) => s.name === pinned);
    const strategy = this.#config.strategy;
    let fromIndexes: Found[];
    if (strategy === 'first-index' || pinned !== undefined) {
      // Ask one index after another and stop at the first that knows the name: later
      // indexes never learn of (or get to answer for) a project an earlier one has.
      fromIndexes = [];
      for (const source of candidates) {
        const found = await this.#fromIndex(source, name);
        if (found !== undefined) {
          fromIndexes = [found];
          break;
        }
      }
    } else {
      const all = await Promise.all(candidates.map((source) => this.#fromIndex(source, name)));
      fromIndexes = firstIndexPerVersion(all.filter((a) => a !== undefined));
    }
    const found = [...fromIndexes, ...(await fromLinks).filter((a) => a !== undefined)];
    if (found.length === 0) return undefined;
    const otherFiles = found.flatMap((a) => a.otherFiles);
    return {
      name,
      files: found.flatMap((a) => a.files),
      source: found.map((a) => a.shown).join(', '),
      strategy,
      ...(otherFiles.length === 0 ? {} : { otherFiles }),
    };
  }

  async #fromIndex(source: IndexSource, name: NormalizedName): Promise<Found | undefined> {
    const answer = await this.#indexPage(source, name);
    if (answer === undefined) return undefined;
    const { page, base } = answer;
    return { ...this.#filesFor(name, page, redactUrl(base), source), shown: redactUrl(page.url) };
  }

  async #fromLinks(source: LinksSource, name: NormalizedName): Promise<Found | undefined> {
    const page = await this.#page(source.url, 'find-links', SIMPLE_ACCEPT);
    if (page === undefined) return undefined;
    const { files, otherFiles } = this.#filesFor(name, page, source.shown, source);
    // A find-links page lists every project; it "knows" this one only if it has its files.
    if (files.length === 0 && otherFiles.length === 0) return undefined;
    return { files, otherFiles, shown: redactUrl(page.url) };
  }

  #activeUrl(source: IndexSource): string {
    return source.urls[this.#active.get(source.name) ?? 0] ?? source.urls[0]!;
  }

  /**
   * The project page of one index. When the index is unreachable (connection error, timeout,
   * 5xx after retries) and `--mirror` gave it fallbacks, the next mirror takes over for the
   * rest of the run, with a warning naming both.
   */
  async #indexPage(
    source: IndexSource,
    name: NormalizedName,
  ): Promise<{ page: Page; base: string } | undefined> {
    for (;;) {
      const at = this.#active.get(source.name) ?? 0;
      const base = source.urls[at]!;
      const accept = this.#htmlOnly.has(source.name) ? HTML_ACCEPT : SIMPLE_ACCEPT;
      try {
        const page = await this.#page(projectUrl(base, name), 'index', accept, source);
        return page === undefined ? undefined : { page, base };
      } catch (error) {
        const unreachable =
          error instanceof FerryError && error.code === 'ERR_FERRY_INDEX_UNREACHABLE';
        if (!unreachable || at + 1 >= source.urls.length) throw error;
        if ((this.#active.get(source.name) ?? 0) === at) {
          this.#active.set(source.name, at + 1);
          this.#events({
            type: 'warning',
            code: 'ERR_FERRY_MIRROR_FALLBACK',
            message: `mirror ${redactUrl(base)} failed (${error.message}); using ${redactUrl(source.urls[at + 1]!)} instead`,
          });
        }
      }
    }
  }

  #filesFor(
    name: NormalizedName,
    page: Page,
    shown: string,
    source: IndexSource | LinksSource,
  ): { files: DistFile[]; otherFiles: string[] } {
    const files: DistFile[] = [];
    const seen = new Set<string>();
    const names = projectNamer(name);
    // Set aside by name: while parsing (JSON pages) or here (HTML pages, find-links listings).
    const otherFiles = (page.skipped ?? []).filter((filename) => names.of(filename) === name);
    const cutoff = this.#config.excludeNewer?.cutoffMs;
    let undated = false;
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
      if (names.of(link.filename) !== name) continue;
      if (this.#wanted !== undefined && !this.#wanted(link.filename)) {
        otherFiles.push(link.filename);
        continue;
      }
      if (seen.has(link.url)) continue;
      seen.add(link.url);
      if (cutoff !== undefined) {
        // PEP 700 upload-time; HTML pages and find-links have none: keep, and say so once.
        const uploaded =
          link.uploadTime === undefined ? undefined : parseTimestamp(link.uploadTime);
        if (uploaded === undefined) undated = true;
        else if (uploaded >= cutoff) continue;
      }
      // Optional fields set one by one: a spread per file costs more than the rest of the loop.
      const file: { -readonly [K in keyof DistFile]: DistFile[K] } = {
        filename: link.filename,
        url: link.url,
        index: shown,
        hashes: link.hashes,
        yanked: link.yanked,
        coreMetadata: link.coreMetadata,
        indexRank: source.rank,
      };
      if (link.requiresPython !== undefined) file.requiresPython = link.requiresPython;
      if (link.size !== undefined) file.size = link.size;
      if (link.uploadTime !== undefined) file.uploadTime = link.uploadTime;
      if (source.kind === 'index') file.indexName = source.name;
      files.push(file);
    }
    const key = source.kind === 'index' ? `index ${source.name}` : source.url;
    if (undated && !this.#excludeWarned.has(key)) {
      this.#excludeWarned.add(key);
      this.#events({
        type: 'warning',
        code: 'ERR_FERRY_EXCLUDE_NEWER_UNAVAILABLE',
        message: `--exclude-newer ${this.#config.excludeNewer?.input} could not be applied to ${source.kind === 'index' ? redactUrl(this.#activeUrl(source)) : source.shown}: it gives no upload times (PEP 700), so all its files are kept`,
      });
    }
    return { files, otherFiles };
  }

  /** One page, fetched once per run; undefined when it does not exist (404 / missing file). */
  #page(
    url: string,
    kind: 'index' | 'find-links',
    accept: string,
    source?: IndexSource,
  ): Promise<Page | undefined> {
    return onceFor(this.#pages, url, () =>
      this.#limit(() => this.#fetchPage(url, kind, accept, source)),
    );
  }

  async #fetchPage(
    url: string,
    kind: 'index' | 'find-links',
    accept: string,
    source?: IndexSource,
  ): Promise<Page | undefined> {
    this.#assertSecureOrigin(url, kind);
    // The body stays bytes until something reads it as text: a warm run whose parsed page is
    // kept (ParsedPages) hashes the bytes and never decodes megabytes of JSON.
    let response: FetchResult<Buffer | string>;
    // Remote pages only: a file:// page is read from disk anyway.
    const cache =
      this.#pageCache !== undefined && !url.startsWith('file:') ? this.#pageCache : undefined;
    const cached = await cache?.read(url, accept);
    try {
      if (cached !== undefined && cache !== undefined && !this.#refresh && cache.isFresh(cached)) {
        response = { ...cached, status: 200 };
      } else {
        const fetched = await fetchBytes(url, {
          ...this.#http,
          headers: { accept, ...(cached === undefined ? {} : cache?.validators(cached)) },
          directory: kind === 'find-links' ? 'listing' : 'index',
          events: this.#events,
          maxBytes: this.#maxPageBytes,
          sha256: this.#parsedPages !== undefined,
        });
        response = fetched;
        if (fetched.status === 304 && cached !== undefined && cache !== undefined) {
          const renewed = await cache.revalidated(url, accept, cached, fetched);
          response = { ...renewed, status: 200 };
        } else if (fetched.status === 200 && cache !== undefined) {
          await cache.store(url, accept, fetched);
        }
      }
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (error instanceof FerryError && error.code === 'ERR_FERRY_TOO_LARGE')
        throw pageTooLarge(url, kind, this.#maxPageBytes);
      throw error;
    }
    const type = response.contentType;
    const raw = response.body;
    const text = (): string => (typeof raw === 'string' ? raw : raw.toString('utf8'));
    if (type === JSON_TYPE) {
      const parsedKey = this.#parsedPages?.key(
        response.sha256 ?? createHash('sha256').update(raw).digest('hex'),
        response.url,
        type,
      );
      const kept = parsedKey === undefined ? undefined : await this.#parsedPages?.read(parsedKey);
      if (kept !== undefined)
        return { links: kept.links, skipped: kept.skipped, url: response.url };
      let parsed: ReturnType<typeof parseSimpleJson>;
      try {
        parsed = parseSimpleJson(text(), response.url, this.#wanted);
      } catch (error) {
        // A mirror that advertises PEP 691 but serves broken JSON: ask it for HTML instead,
        // for this page and the rest of the run.
        if (source === undefined || accept === HTML_ACCEPT) throw error;
        const html = await this.#fetchPage(url, kind, HTML_ACCEPT, source).catch(() => undefined);
        if (html === undefined) throw error;
        if (!this.#htmlOnly.has(source.name)) {
          this.#htmlOnly.add(source.name);
          this.#events({
            type: 'warning',
            code: 'ERR_FERRY_MALFORMED_PAGE',
            message: `${redactUrl(response.url)} served a broken PEP 691 JSON page; asking ${redactUrl(this.#activeUrl(source))} for HTML pages from now on`,
          });
        }
        return html;
      }
      for (const drop of parsed.dropped) {
        this.#events({
          type: 'warning',
          code: 'ERR_FERRY_MALFORMED_ENTRY',
          message: `dropped file entry #${drop.index} of ${redactUrl(response.url)}: ${drop.reason}`,
        });
      }
      // Kept only when nothing was dropped: a warm run must warn again.
      if (parsedKey !== undefined && parsed.dropped.length === 0)
        this.#parsedPages?.write(parsedKey, parsed);
      return { links: parsed.links, skipped: parsed.skipped, url: response.url };
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
    const page = text();
    if (type === '' && /^\s*\{/.test(page)) {
      const parsed = parseSimpleJson(page, response.url, this.#wanted);
      return { links: parsed.links, skipped: parsed.skipped, url: response.url };
    }
    return { links: parseSimpleHtml(page, response.url), url: response.url };
  }

  /**
   * pip searches an index or find-links location only over a secure transport (https, file,
   * the loopback addresses) or on a `trusted-host` (network/session.py is_secure_origin). pip
   * skips any other location with a warning; ferry stops and says so, since a bundle resolved
   * without a location the user configured is not the bundle they asked for.
   */
  #assertSecureOrigin(url: string, kind: 'index' | 'find-links'): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return; // the request reports the bad URL
    }
    if (isSecureOrigin(parsed, (this.#net ?? netSettings()).trustedHosts)) return;
    throw new FerryError(
      'ERR_FERRY_INSECURE_ORIGIN',
      `the ${kind === 'index' ? 'index' : 'find-links location'} ${redactUrl(url)} is plain HTTP on ${parsed.hostname}, which is neither local nor a trusted host`,
      {
        hint: `pip ignores such a location too. Use https, or, if this network is yours, add "trusted-host = ${parsed.host}" to pip.conf (or PIP_TRUSTED_HOST, or --trusted-host).`,
        details: { url: redactUrl(url), host: parsed.host },
      },
    );
  }

  /**
   * Names the configured locations know, for "did you mean" suggestions. Local sources
   * (file:// indexes, find-links) always take part; remote root pages only with `remote`,
   * within a time and size bound, and a failure there only means fewer suggestions.
   */
  async knownProjectNames(options: SuggestOptions = {}): Promise<string[]> {
    const names = new Set<string>();
    const tasks = [
      ...this.#links.map(async (source) => {
        const page = await this.#page(source.url, 'find-links', SIMPLE_ACCEPT);
        for (const link of page?.links ?? []) {
          const parsed = parsedName(link.filename);
          if (parsed !== undefined) names.add(parsed);
        }
      }),
      ...this.#indexes
        .filter((s) => !s.explicit)
        .map(async (source) => {
          const url = this.#activeUrl(source);
          const isLocal = url.startsWith('file:');
          if (!isLocal && options.remote !== true) return;
          for (const n of await this.#rootNames(url, isLocal, options)) names.add(n);
        }),
    ];
    // Suggestions are a courtesy: an unreachable or huge root page gives none.
    await Promise.all(tasks.map((t) => t.catch(() => {})));
    return [...names].sort();
  }

  async #rootNames(indexUrl: string, isLocal: boolean, options: SuggestOptions): Promise<string[]> {
    const rootUrl = indexUrl.endsWith('/') ? indexUrl : `${indexUrl}/`;
    const shown = redactUrl(rootUrl);
    // suggest.ts: a remote root page is big, so it is announced, and its names kept for a day.
    if (!isLocal && this.#cacheDir !== undefined) {
      const cached = await readCachedNames(this.#cacheDir, shown);
      if (cached !== undefined) return cached;
    }
    if (!isLocal)
      this.#events({
        type: 'info',
        message: `looking for similar names in the list of every project on ${shown} (large on a full mirror; kept in the cache for a day)…`,
      });
    try {
      const response = await fetchText(rootUrl, {
        headers: { accept: SIMPLE_ACCEPT },
        retries: 0,
        timeoutMs: options.timeoutMs ?? 10_000,
        maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
      });
      const names = namesFromRootPage(response.body, response.contentType);
      if (!isLocal && this.#cacheDir !== undefined)
        await writeCachedNames(this.#cacheDir, shown, names);
      return names;
    } catch (error) {
      if (!(isLocal && isNotFound(error))) throw error;
      // A file:// index without a root index.html: its project directories are the names.
      const { url } = splitCredentials(rootUrl);
      const entries = await readdir(fileURLToPath(url), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    }
  }

  /**
   * Up to `limit` (default 3) known names close to `name`, best first: from what is at hand,
   * then from the name's own variants asked as project pages, and only then (with `remote`)
   * from the remote root pages (suggest.ts).
   */
  async suggestNames(name: string, options: SuggestOptions = {}): Promise<string[]> {
    return suggestProjectNames(
      name,
      {
        nearby: async () => {
          const names = await this.knownProjectNames({ ...options, remote: false });
          for (const [n, page] of this.#projects)
            if ((await page.catch(() => undefined)) !== undefined) names.push(n);
          return names;
        },
        exists: async (n) => (await this.getProject(n)) !== undefined,
        ...(options.remote === true ? { everything: () => this.#remoteNames(options) } : {}),
      },
      options.limit ?? 3,
    );
  }

  /** The names on the remote indexes' root pages, unsorted (sorting 900,000 names costs a second). */
  async #remoteNames(options: SuggestOptions): Promise<string[]> {
    const lists = await Promise.all(
      this.#indexes
        .filter((s) => !s.explicit && !this.#activeUrl(s).startsWith('file:'))
        .map((s) => this.#rootNames(this.#activeUrl(s), false, options).catch(() => [])),
    );
    return lists.flat();
  }

  /** The file's core metadata (METADATA text). */
  getMetadata(file: DistFile): Promise<string> {
    return onceFor(this.#metadata, file.url, () => this.#loadMetadata(file));
  }

  async #loadMetadata(file: DistFile): Promise<string> {
    const sha256 = file.hashes.sha256;
    const digest = sha256 === undefined ? undefined : tryNormalizeDigest(sha256);
    const store = this.#cacheDir === undefined ? undefined : new ContentStore(this.#cacheDir);
    if (store !== undefined && digest !== undefined) {
      const text = await store.readDerived('metadata', digest);
      if (text !== undefined && text !== '') return text;
    }
    const text = await this.#fetchMetadata(file);
    // Kept off the resolution's path, as parsed pages are: settled() waits for it.
    if (store !== undefined && digest !== undefined)
      this.#metadataWrites.start(() => store.writeDerived('metadata', digest, text));
    return text;
  }

  async #fetchMetadata(file: DistFile): Promise<string> {
    if (file.coreMetadata !== false && !this.#noMetadataFiles.has(file.index)) {
      const fromFile = await this.#metadataFile(file, file.coreMetadata);
      if (fromFile !== undefined) {
        this.#metadataFilesWork.add(file.index);
        return fromFile;
      }
      if (!this.#metadataFilesWork.has(file.index)) {
        this.#noMetadataFiles.add(file.index);
        this.#events({
          type: 'info',
          message: `${file.index} advertises PEP 658 .metadata files but ${file.filename}.metadata was missing or wrong; reading wheels from there instead`,
        });
      }
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
    const inCache = await this.#cachedWheel(file);
    if (inCache !== undefined) return readWheelMetadata(inCache);
    const ranged = await this.#rangeMetadata(file);
    if (ranged !== undefined) return ranged;
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

  /**
   * METADATA read from the remote wheel with Range requests: its tail, the central directory,
   * the METADATA entry; a few KiB instead of the whole wheel. Undefined when the host ignores
   * Range (remembered for the run) or anything goes wrong: the caller downloads the wheel.
   */
  async #rangeMetadata(file: DistFile): Promise<string | undefined> {
    let origin: string;
    try {
      origin = new URL(file.url).origin;
    } catch {
      return undefined;
    }
    if (this.#noRange.has(origin)) return undefined;
    try {
      const reader = await openRangeReader(this.withCredentials(file.url), {
        http: this.#http,
        limit: this.#limit,
      });
      return await readMetadataFrom(reader);
    } catch (error) {
      if (error instanceof FerryError && error.code === 'ERR_FERRY_RANGE_UNSUPPORTED') {
        if (!this.#noRange.has(origin)) {
          this.#noRange.add(origin);
          this.#events({
            type: 'info',
            message: `${redactUrl(origin)} does not serve byte ranges; downloading whole wheels to read their metadata`,
          });
        }
      }
      return undefined;
    }
  }

  /** The path of the wheel in the content cache, when it is there. */
  async #cachedWheel(file: DistFile): Promise<string | undefined> {
    const expected = file.hashes.sha256;
    if (expected === undefined || this.#cacheDir === undefined) return undefined;
    const cached = cachePath(this.#cacheDir, expected);
    if (cached === undefined) return undefined;
    try {
      return (await stat(cached)).isFile() ? cached : undefined;
    } catch {
      return undefined;
    }
  }

  /** The wheel's bytes, downloaded into the content-addressed cache. */
  async #wheelBytes(file: DistFile): Promise<Buffer> {
    const expected = file.hashes.sha256;
    const { body } = await this.#limit(() =>
      fetchBytes(this.withCredentials(file.url), { ...this.#http, events: this.#events }),
    );
    return checkAndStore(body, file, expected, this.#cacheDir);
  }
}
