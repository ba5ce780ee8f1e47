/**
 * Pages are data rendered once per change, not once per request (as Warehouse caches a
 * project's simple page until the project changes): the bytes of a generation's page, its
 * ETag and its gzip and brotli forms are made on the first request for that page and kept
 * until the store publishes another generation, when the whole cache is dropped at once.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Encoding } from './negotiate.js';

export interface CachedPage {
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
  /** The body in an encoding, made once and kept. */
  encoded(encoding: Encoding): Buffer;
}

/** Bodies shorter than this are sent as they are: compression would not pay for its headers. */
const MIN_COMPRESS = 512;

function cachedPage(body: Buffer, lastModified: Date): CachedPage {
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  const forms = new Map<Encoding, Buffer>();
  return {
    body,
    etag,
    lastModified,
    encoded(encoding) {
      if (encoding === 'identity' || body.length < MIN_COMPRESS) return body;
      let out = forms.get(encoding);
      if (out === undefined) {
        // Quality 9 of 11: nearly the smallest brotli output at a fraction of the time of 11,
        // paid once per page per generation.
        out =
          encoding === 'br'
            ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } })
            : gzipSync(body, { level: 9 });
        forms.set(encoding, out);
      }
      return out;
    },
  };
}

/** Whether a page sent in `encoding` is actually compressed (small bodies are not). */
export const isCompressed = (page: CachedPage, encoding: Encoding): boolean =>
  encoding !== 'identity' && page.body.length >= MIN_COMPRESS;

export class PageCache {
  #generation = -1;
  #pages = new Map<string, Promise<CachedPage | undefined>>();
  readonly #limit: number;

  /** `limit`: pages kept per generation (the oldest are dropped past it). */
  constructor(limit = 20_000) {
    this.#limit = limit;
  }

  /**
   * The page `key` of `generation`, made by `load` (undefined: no such page) the first time
   * it is asked for in that generation. A newer generation drops every page of the older.
   */
  get(
    generation: number,
    key: string,
    load: () => Promise<{ body: Buffer; lastModified: Date } | undefined>,
  ): Promise<CachedPage | undefined> {
    if (generation !== this.#generation) {
      if (generation < this.#generation) {
        // A request that read `current` just before a newer generation was cached: serve it
        // without caching, so that the cache never goes back.
        return load().then((p) =>
          p === undefined ? undefined : cachedPage(p.body, p.lastModified),
        );
      }
      this.#generation = generation;
      this.#pages = new Map();
    }
    let page = this.#pages.get(key);
    if (page === undefined) {
      page = load().then((p) => (p === undefined ? undefined : cachedPage(p.body, p.lastModified)));
      // A failed load is not remembered: the next request tries again.
      page.catch(() => this.#pages.delete(key));
      if (this.#pages.size >= this.#limit) {
        const oldest = this.#pages.keys().next().value;
        if (oldest !== undefined) this.#pages.delete(oldest);
      }
      this.#pages.set(key, page);
    }
    return page;
  }

  get size(): number {
    return this.#pages.size;
  }
}
