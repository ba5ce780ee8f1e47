/**
 * Index pages as parsed, kept by the digest of what was parsed: the page's bytes, its URL
 * (relative file URLs resolve against it), its media type and the client's `wanted` filter.
 * Many indexes (this machine's among them) send no Cache-Control, ETag or Last-Modified, so a
 * warm run downloads every page again; hashing a 7 MB page costs a few milliseconds, where
 * parsing and checking its 15,000 entries again costs tens, and most of a warm lock's garbage.
 *
 * An entry is written only for a page whose every entry was read (no dropped entry to warn
 * about again), in `<cache>/parsed-pages/<sha256>` beside the metadata cache (src/store/), and
 * is checked for shape when read back; an entry that does not fit is parsed again.
 */
import { createHash } from 'node:crypto';
import { BackgroundWrites } from '../store/background-writes.js';
import { ContentStore } from '../store/store.js';
import type { RawLink } from './simple-html.js';

/** Bumped whenever the parse, the key or the entry's shape changes: old entries are then never read. */
const FORMAT = 'ferry-parsed-page-2';
const KIND = 'parsed-pages';

export interface ParsedPage {
  readonly links: readonly RawLink[];
  /** Names of the files the `wanted` filter set aside. */
  readonly skipped: readonly string[];
}

export class ParsedPages {
  readonly #store: ContentStore;
  readonly #filterKey: string;
  readonly #writes = new BackgroundWrites();

  /** `filterKey` names the client's `wanted` filter ('' for none: every file kept). */
  constructor(cacheDir: string, filterKey: string) {
    this.#store = new ContentStore(cacheDir);
    this.#filterKey = filterKey;
  }

  /**
   * The entry's key for a body whose SHA-256 is `bodySha256` (hashed as it was downloaded,
   * FetchOptions.sha256), as served at `url` with media type `type`.
   */
  key(bodySha256: string, url: string, type: string): string {
    return createHash('sha256')
      .update(`${FORMAT}\0${this.#filterKey}\0${type}\0${url}\0${bodySha256}`)
      .digest('hex');
  }

  async read(key: string): Promise<ParsedPage | undefined> {
    const text = await this.#store.readDerived(KIND, key);
    if (text === undefined) return undefined;
    try {
      const page = JSON.parse(text) as ParsedPage;
      if (!Array.isArray(page.links) || !Array.isArray(page.skipped)) return undefined;
      for (const link of page.links)
        if (
          typeof link?.filename !== 'string' ||
          typeof link.url !== 'string' ||
          typeof link.hashes !== 'object' ||
          link.hashes === null
        )
          return undefined;
      return page;
    } catch {
      return undefined;
    }
  }

  /**
   * Starts writing the entry and returns at once: the write is off the lock's critical path
   * (the page is already parsed). `settled()` waits for every write started.
   */
  write(key: string, page: ParsedPage): void {
    // Even the JSON text waits for a later turn (7 ms for a page of pydantic-core's size):
    // the resolver first sends the requests this page lets it make.
    this.#writes.start(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await this.#store.writeDerived(KIND, key, JSON.stringify(page));
    });
  }

  settled(): Promise<void> {
    return this.#writes.settled();
  }
}
