/**
 * HTTP caching of index pages (RFC 9111), as pip's CacheControl adapter and uv's cache do: a
 * page stored with `Cache-Control: max-age=N` is used without a request for N seconds (PyPI
 * sends max-age=600 on simple pages); after that, or with `no-cache`, it is revalidated with
 * `If-None-Match` / `If-Modified-Since`, and a 304 answer costs no body. `no-store` is obeyed.
 * `refresh` (ferry's `--refresh`, uv's word) skips the freshness window and always revalidates.
 *
 * Entries are `<cacheDir>/pages/<sha256 of URL and Accept>.json`, keyed by a digest so that a
 * URL's credentials are never written to disk; the stored URL is the final, credential-free one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/index.js';
import type { FetchResult } from './http.js';

export interface CachedPage {
  readonly url: string;
  readonly contentType: string;
  readonly body: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** When it was stored or last revalidated (ms since 1970). */
  readonly storedAt: number;
  /** Seconds it stays fresh from storedAt (0: revalidate every time). */
  readonly maxAge: number;
}

/** `max-age` in seconds, 0 for `no-cache`, undefined for `no-store`. */
export function freshnessOf(cacheControl: string | undefined): number | undefined {
  const directives = (cacheControl ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store')) return undefined;
  if (directives.includes('no-cache')) return 0;
  for (const d of directives) {
    const m = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
    if (m) return Number(m[1]);
  }
  return 0;
}

export class PageCache {
  constructor(
    readonly dir: string,
    readonly now: () => number = Date.now,
  ) {}

  #path(url: string, accept: string): string {
    const digest = createHash('sha256').update(`${accept}\n${url}`).digest('hex');
    return join(this.dir, 'pages', digest.slice(0, 2), `${digest.slice(2)}.json`);
  }

  async read(url: string, accept: string): Promise<CachedPage | undefined> {
    try {
      const page = JSON.parse(await readFile(this.#path(url, accept), 'utf8')) as CachedPage;
      return typeof page.body === 'string' && typeof page.storedAt === 'number' ? page : undefined;
    } catch {
      return undefined;
    }
  }

  isFresh(page: CachedPage): boolean {
    const age = this.now() - page.storedAt;
    return age >= 0 && age < page.maxAge * 1000;
  }

  /** The headers that make the next request conditional. */
  validators(page: CachedPage): Record<string, string> {
    return {
      ...(page.etag === undefined ? {} : { 'if-none-match': page.etag }),
      ...(page.lastModified === undefined ? {} : { 'if-modified-since': page.lastModified }),
    };
  }

  /**
   * Stores a 200 answer (unless no-store, or nothing about it could be reused). The body is
   * decoded only when it is kept.
   */
  async store(url: string, accept: string, response: FetchResult<Buffer | string>): Promise<void> {
    const maxAge = freshnessOf(response.cache?.cacheControl);
    const path = this.#path(url, accept);
    // A page that is never fresh and carries no validator can never spare a request or a
    // body: keeping it would only cost a write now and a read before every later request
    // (megabytes for a big project, from an index that sends no caching headers at all).
    const useless =
      maxAge === 0 &&
      response.cache?.etag === undefined &&
      response.cache?.lastModified === undefined;
    if (maxAge === undefined || useless) {
      await unlink(path).catch(() => {});
      return;
    }
    const page: CachedPage = {
      url: response.url,
      contentType: response.contentType,
      body: typeof response.body === 'string' ? response.body : response.body.toString('utf8'),
      ...(response.cache?.etag === undefined ? {} : { etag: response.cache.etag }),
      ...(response.cache?.lastModified === undefined
        ? {}
        : { lastModified: response.cache.lastModified }),
      storedAt: this.now(),
      maxAge,
    };
    await this.#write(path, page);
  }

  /** A 304: the stored page is current again, under the new answer's freshness. */
  async revalidated(
    url: string,
    accept: string,
    page: CachedPage,
    response: FetchResult<unknown>,
  ): Promise<CachedPage> {
    const maxAge = freshnessOf(response.cache?.cacheControl) ?? 0;
    const renewed = { ...page, storedAt: this.now(), maxAge };
    await this.#write(this.#path(url, accept), renewed);
    return renewed;
  }

  async #write(path: string, page: CachedPage): Promise<void> {
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFileAtomic(path, JSON.stringify(page), { sync: false });
    } catch {
      // A cache that cannot be written only costs the next run a request.
    }
  }
}
