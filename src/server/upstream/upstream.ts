/**
 * `ferry serve --upstream URL`: a pull-through cache for networks with a controlled way out
 * (a devpi or Nexus proxy in front of a public mirror, say). Pages and files are fetched on
 * demand through the index client (index/client.ts: PEP 691 JSON or PEP 503 HTML, parsed as
 * for `ferry lock`) and the downloader (fetch/download.ts: streamed to disk, hash-checked,
 * retried), both on src/net, so proxies, certificates and `trusted-host` apply as for any
 * other request.
 *
 * What is trusted, and why:
 *   - only files the upstream's page gives a SHA-256 for are offered, and a file's URL in the
 *     store is its SHA-256 (`/files/ab/<sha256>/<name>`), so a download whose bytes differ
 *     from the page's hash is refused (502) and never published;
 *   - every fetched file is published into the store's `upstream` index as one generation,
 *     with provenance `upstream` (the actor is the redacted upstream URL), so it is served
 *     from the store from then on, upstream or not, and the audit log records it;
 *   - a project the store's own indexes have is never taken from the upstream (the
 *     dependency-confusion defence, as first-index in index/index-config.ts): the caller
 *     (server/http/app.ts) checks that before it asks anything here, and fetchFile checks it
 *     again for direct file URLs.
 * Credentials in the upstream URL are sent as basic auth by src/net and shown nowhere: every
 * message and event carries `shown`, the redacted URL.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../core/errors.js';
import { type EventSink, ignoreEvents } from '../../core/events.js';
import { redactText, redactUrl } from '../../core/redact.js';
import { ContentCache } from '../../fetch/cache.js';
import { downloadOne } from '../../fetch/download.js';
import { type DistFile, IndexClient } from '../../index/client.js';
import { readWheelMetadata } from '../../index/wheel-metadata.js';
import type { NetSettings } from '../../net/settings.js';
import { parseDistFilename } from '../../standards/filename.js';
import type { NormalizedName } from '../../standards/name.js';
import { compareVersions } from '../../standards/version.js';
import { isStoreFileName } from '../store/layout.js';
import type {
  CatalogFile,
  CatalogProject,
  CurrentGeneration,
  IndexStore,
  Provenance,
} from '../store/types.js';
import { isAllowed, type UpstreamAllow } from './allow.js';

/** The store index the upstream's files are published into (docs/index-server.md). */
export const UPSTREAM_INDEX = 'upstream';

/** A file a merged page offers: a cached one (a CatalogFile), or one still upstream (no size known, perhaps). */
export interface OfferedFile {
  readonly filename: string;
  readonly version: string;
  readonly sha256: string;
  readonly size?: number;
  readonly requiresPython?: string;
  readonly yanked?: string | true;
  readonly uploadTime?: string;
  readonly coreMetadata?: { readonly sha256: string };
  readonly url: string;
  /** True when the store has its bytes. */
  readonly cached: boolean;
}

export interface OfferedProject {
  readonly name: string;
  readonly versions: readonly string[];
  readonly files: readonly OfferedFile[];
  /** Where the list came from: the upstream's page (merged with the cache) or the cache alone. */
  readonly from: 'upstream' | 'cache';
  /** Changes whenever the list may have changed (for the page cache's key). */
  readonly stamp: string;
}

export interface UpstreamOptions {
  /** The upstream's simple index URL; credentials in it are used, never shown. */
  readonly url: string;
  readonly store: IndexStore;
  /** The store index fetched files go into (default `upstream`). */
  readonly index?: string;
  readonly allow?: UpstreamAllow;
  /** How long an upstream page is used before it is asked again (default 60 s). */
  readonly pageTtlMs?: number;
  /** After the upstream failed, serve from the cache alone for this long (default 10 s). */
  readonly downForMs?: number;
  /** Where downloads stream before the store takes them. */
  readonly workDir: string;
  readonly net?: NetSettings;
  readonly http?: { retries?: number; timeoutMs?: number; backoffMs?: number };
  readonly events?: EventSink;
  readonly now?: () => Date;
}

export interface UpstreamFetched {
  readonly index: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly generation: number;
}

/** Why a file was not fetched: no such file upstream, a local project's, or not allowed. */
export type FetchRefusal = { readonly refused: string };

interface PageEntry {
  readonly at: number;
  readonly client: IndexClient;
  readonly files: Promise<readonly DistFile[] | undefined>;
}

const UPSTREAM_HTTP = { retries: 1, timeoutMs: 30_000, backoffMs: 250 };

export class Upstream {
  readonly index: string;
  /** The upstream URL with its credentials replaced by ****. */
  readonly shown: string;
  readonly allow: UpstreamAllow | undefined;
  readonly #url: string;
  readonly #store: IndexStore;
  readonly #ttl: number;
  readonly #downFor: number;
  readonly #cache: ContentCache;
  readonly #events: EventSink;
  readonly #now: () => Date;
  readonly #net: NetSettings | undefined;
  readonly #http: { retries?: number; timeoutMs?: number; backoffMs?: number };
  readonly #pages = new Map<string, PageEntry>();
  readonly #fetches = new Map<string, Promise<UpstreamFetched | FetchRefusal>>();
  #downUntil = 0;
  #stampSeq = 0;

  constructor(options: UpstreamOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new FerryError(
        'ERR_FERRY_USAGE',
        `--upstream "${redactUrl(options.url)}" is not a URL`,
        {
          hint: 'Give the simple index URL of the upstream, e.g. https://proxy.intranet/simple/.',
        },
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new FerryError(
        'ERR_FERRY_USAGE',
        `--upstream "${redactUrl(options.url)}" is not an http(s) URL`,
        { hint: 'Give the simple index URL of the upstream, e.g. https://proxy.intranet/simple/.' },
      );
    this.#url = options.url;
    this.shown = redactUrl(options.url);
    this.index = options.index ?? UPSTREAM_INDEX;
    this.allow = options.allow;
    this.#store = options.store;
    this.#ttl = options.pageTtlMs ?? 60_000;
    this.#downFor = options.downForMs ?? 10_000;
    this.#cache = new ContentCache(join(options.workDir, 'downloads'));
    this.#events = options.events ?? ignoreEvents;
    this.#now = options.now ?? (() => new Date());
    this.#net = options.net;
    this.#http = { ...UPSTREAM_HTTP, ...options.http };
  }

  /** The indexes of the store that are its own (every index but the upstream's). */
  localIndexes(gen: CurrentGeneration): string[] {
    return Object.keys(gen.catalog.indexes).filter((i) => i !== this.index);
  }

  /** The store's own indexes that have the project (never taken from the upstream then). */
  localHolders(gen: CurrentGeneration, name: string): string[] {
    return this.localIndexes(gen).filter((i) =>
      Object.hasOwn(gen.catalog.indexes[i]!.projects, name),
    );
  }

  #cached(gen: CurrentGeneration, name: string): CatalogProject | undefined {
    const projects = gen.catalog.indexes[this.index]?.projects;
    return projects !== undefined && Object.hasOwn(projects, name) ? projects[name] : undefined;
  }

  /** The upstream's files of a project: allowed, with a SHA-256; undefined when it has none. */
  #upstreamFiles(name: NormalizedName, fresh = false): PageEntry {
    const now = Date.now();
    const known = this.#pages.get(name);
    if (known !== undefined && !fresh && now - known.at < this.#ttl) return known;
    const client = new IndexClient({
      settings: {
        indexUrl: this.#url,
        extraIndexUrls: [],
        findLinks: [],
        noIndex: false,
        sources: ['--upstream'],
      },
      http: this.#http,
      ...(this.#net === undefined ? {} : { net: this.#net }),
      events: this.#events,
    });
    const files = client.getProject(name).then((page) =>
      page?.files.filter((f) => {
        const sha = f.hashes.sha256;
        const version = versionOf(f.filename);
        // No SHA-256 on the page: nothing to check the bytes against, so not offered.
        return (
          sha !== undefined &&
          /^[0-9a-f]{64}$/.test(sha) &&
          version !== undefined &&
          // The store keeps a file under its own name: only names it can hold are offered.
          isStoreFileName(f.filename) &&
          isAllowed(this.allow, name, version, sha)
        );
      }),
    );
    const entry: PageEntry = { at: now, client, files };
    this.#pages.set(name, entry);
    files.catch(() => {
      if (this.#pages.get(name) === entry) this.#pages.delete(name);
    });
    return entry;
  }

  /**
   * The files offered for a project no local index has: the upstream's (allowed, hashed)
   * merged with what the store cached before; the cache alone while the upstream fails.
   * Undefined when neither has it. Throws (ERR_FERRY_INDEX_UNREACHABLE and the like) when the
   * upstream fails and nothing is cached.
   */
  async project(gen: CurrentGeneration, name: NormalizedName): Promise<OfferedProject | undefined> {
    const cached = this.#cached(gen, name);
    const fromCache = (): OfferedProject | undefined =>
      cached === undefined
        ? undefined
        : offered(
            cached.name,
            cached.files.map((f) => fromCatalog(f)),
            'cache',
            `c${gen.generation}`,
          );
    if (Date.now() < this.#downUntil) {
      const only = fromCache();
      if (only !== undefined) return only;
    }
    const entry = this.#upstreamFiles(name);
    let files: readonly DistFile[] | undefined;
    try {
      files = await entry.files;
    } catch (error) {
      this.#markDown(error);
      const only = fromCache();
      if (only !== undefined) return only;
      throw error;
    }
    if (files === undefined) return fromCache();
    const byName = new Map((cached?.files ?? []).map((f) => [f.filename, f]));
    const out: OfferedFile[] = [];
    for (const f of files) {
      const sha = f.hashes.sha256!;
      const have = byName.get(f.filename);
      if (have !== undefined) {
        // A name means one set of bytes for ever: the cached file stays, the upstream's other
        // bytes under the same name are not offered.
        if (have.sha256 !== sha)
          this.#events({
            type: 'warning',
            code: 'ERR_FERRY_FILE_CONFLICT',
            message: `${this.shown} now offers other bytes for ${f.filename} (SHA-256 ${sha}); the store keeps ${have.sha256}`,
          });
        continue;
      }
      out.push({
        filename: f.filename,
        version: versionOf(f.filename)!,
        sha256: sha,
        ...(f.size === undefined ? {} : { size: f.size }),
        ...(f.requiresPython === undefined ? {} : { requiresPython: f.requiresPython }),
        ...(f.yanked === false ? {} : { yanked: f.yanked === '' ? true : f.yanked }),
        ...(f.uploadTime === undefined ? {} : { uploadTime: f.uploadTime }),
        url: `files/${sha.slice(0, 2)}/${sha}/${f.filename}`,
        cached: false,
      });
    }
    for (const f of cached?.files ?? []) out.push(fromCatalog(f));
    out.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
    return offered(
      cached?.name ?? name,
      out,
      'upstream',
      `u${entry.at}-${gen.generation}-${this.#stampSeq}`,
    );
  }

  #markDown(error: unknown): void {
    const first = Date.now() >= this.#downUntil;
    this.#downUntil = Date.now() + this.#downFor;
    this.#stampSeq++;
    if (first)
      this.#events({
        type: 'warning',
        code: 'ERR_FERRY_INDEX_UNREACHABLE',
        message: `the upstream ${this.shown} failed (${redactText(error instanceof Error ? error.message : String(error))}); serving what the store cached`,
      });
  }

  /**
   * Fetches `/files/ab/<sha256>/<filename>` from the upstream into the store (one at a time per
   * file; requests for the same file wait for the same fetch). The file must be on the
   * upstream's page of its project with exactly this SHA-256, allowed, and of a project no
   * local index has. Throws ERR_FERRY_HASH_MISMATCH when the bytes differ from the page's hash.
   */
  fetchFile(
    gen: CurrentGeneration,
    sha256: string,
    filename: string,
  ): Promise<UpstreamFetched | FetchRefusal> {
    const key = `${sha256}/${filename}`;
    let running = this.#fetches.get(key);
    if (running === undefined) {
      running = this.#fetch(gen, sha256, filename).finally(() => this.#fetches.delete(key));
      this.#fetches.set(key, running);
    }
    return running;
  }

  async #fetch(
    gen: CurrentGeneration,
    sha256: string,
    filename: string,
  ): Promise<UpstreamFetched | FetchRefusal> {
    let parsed: ReturnType<typeof parseDistFilename>;
    try {
      parsed = parseDistFilename(filename);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined) return { refused: `"${filename}" is not a wheel or sdist name` };
    const name = parsed.name;
    const local = this.localHolders(gen, name);
    if (local.length > 0)
      return {
        refused: `${name} is a project of this store (${local.join(', ')}); it is never taken from the upstream`,
      };
    if (!isAllowed(this.allow, name, parsed.version, sha256))
      return { refused: `${filename} is not allowed by ${this.allow?.source ?? 'the allowlist'}` };
    // A file the page listed a while ago may be gone from a cached page entry: ask afresh once.
    let entry = this.#upstreamFiles(name);
    let file = (await entry.files)?.find((f) => f.filename === filename);
    if (file === undefined || file.hashes.sha256 !== sha256) {
      entry = this.#upstreamFiles(name, true);
      file = (await entry.files)?.find((f) => f.filename === filename);
    }
    if (file === undefined)
      return { refused: `${this.shown} offers no ${filename} on its page for ${name}` };
    if (file.hashes.sha256 !== sha256)
      return {
        refused: `${this.shown} offers ${filename} with SHA-256 ${file.hashes.sha256}, not ${sha256}`,
      };
    await mkdir(this.#cache.dir, { recursive: true });
    const done = await downloadOne(
      {
        url: entry.client.withCredentials(file.url),
        filename,
        sha256,
        ...(file.size === undefined ? {} : { size: file.size }),
      },
      {
        cache: this.#cache,
        retries: this.#http.retries ?? UPSTREAM_HTTP.retries,
        ...(this.#http.timeoutMs === undefined ? {} : { timeoutMs: this.#http.timeoutMs }),
        ...(this.#http.backoffMs === undefined ? {} : { backoffMs: this.#http.backoffMs }),
        ...(this.#net === undefined ? {} : { net: this.#net }),
        verifyCache: false,
      },
    );
    try {
      let coreMetadata: Buffer | undefined;
      if (filename.endsWith('.whl')) {
        try {
          coreMetadata = Buffer.from(await readWheelMetadata(done.path), 'utf8');
        } catch {
          // A wheel without a readable METADATA is still served; it has no .metadata file.
          coreMetadata = undefined;
        }
      }
      const time = this.#now().toISOString();
      const provenance: Provenance = {
        kind: 'upstream',
        signers: [],
        actor: this.shown,
        time,
      };
      const result = await this.#store.publish(
        this.index,
        [
          {
            path: done.path,
            filename,
            sha256,
            size: done.size,
            ...(file.requiresPython === undefined ? {} : { requiresPython: file.requiresPython }),
            ...(file.yanked === false ? {} : { yanked: file.yanked === '' ? true : file.yanked }),
            uploadTime: file.uploadTime ?? time,
            ...(coreMetadata === undefined ? {} : { coreMetadata }),
          },
        ],
        provenance,
      );
      return {
        index: this.index,
        filename,
        sha256,
        size: done.size,
        generation: result.generation,
      };
    } finally {
      // The store has its own copy (objects/); the download was only the way in.
      await rm(done.path, { force: true });
    }
  }
}

const versionOf = (filename: string): string | undefined => {
  try {
    return parseDistFilename(filename)?.version;
  } catch {
    return undefined;
  }
};

const fromCatalog = (f: CatalogFile): OfferedFile => ({
  filename: f.filename,
  version: f.version,
  sha256: f.sha256,
  size: f.size,
  ...(f.requiresPython === undefined ? {} : { requiresPython: f.requiresPython }),
  ...(f.yanked === undefined ? {} : { yanked: f.yanked }),
  uploadTime: f.uploadTime,
  ...(f.coreMetadata === undefined ? {} : { coreMetadata: f.coreMetadata }),
  url: f.url,
  cached: true,
});

function offered(
  name: string,
  files: readonly OfferedFile[],
  from: OfferedProject['from'],
  stamp: string,
): OfferedProject {
  const versions = [...new Set(files.map((f) => f.version))].sort(compareVersions);
  return { name, versions, files, from, stamp };
}
