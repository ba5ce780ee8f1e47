/**
 * Small files kept in memory. A file's URL names its SHA-256, so its bytes never change and a
 * copy never goes stale: a small wheel or a `.metadata` file is read from disk once and then
 * served like a page, with no file system call at all. Node has no sendfile(2); reading a
 * 100 KiB file through a stream for every request cost ferry two thirds of nginx's rate in
 * `npm run bench:server`. Large files are streamed and not kept (memory stays bounded by
 * `maxBytes`, the oldest entries dropped first).
 */
export interface CachedFile {
  readonly body: Buffer;
  readonly mtime: Date;
}

export class FileCache {
  readonly #entries = new Map<string, CachedFile>();
  readonly #maxFileBytes: number;
  readonly #maxBytes: number;
  #bytes = 0;

  /** Files up to `maxFileBytes` are kept, `maxBytes` of them together. */
  constructor(maxFileBytes = 1024 * 1024, maxBytes = 64 * 1024 * 1024) {
    this.#maxFileBytes = maxFileBytes;
    this.#maxBytes = maxBytes;
  }

  /** Whether a file of this size is kept. */
  keeps(size: number): boolean {
    return size <= this.#maxFileBytes && size <= this.#maxBytes;
  }

  get(path: string): CachedFile | undefined {
    const entry = this.#entries.get(path);
    if (entry !== undefined) {
      // Most recently used last: the oldest is dropped first.
      this.#entries.delete(path);
      this.#entries.set(path, entry);
    }
    return entry;
  }

  set(path: string, entry: CachedFile): void {
    if (!this.keeps(entry.body.length) || this.#entries.has(path)) return;
    this.#entries.set(path, entry);
    this.#bytes += entry.body.length;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old.body.length;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }
}
