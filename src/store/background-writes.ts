/**
 * Cache writes started off a hot path and awaited once before the caller returns: a cache that
 * cannot be written only costs the next run its work, so failures are dropped here.
 */
export class BackgroundWrites {
  readonly #pending = new Set<Promise<void>>();

  /** Runs `write` now and returns at once; settled() waits for it. */
  start(write: () => Promise<unknown>): void {
    const done: Promise<void> = write()
      .then(() => {})
      .catch(() => {})
      .finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }

  /** Waits for every write started, including those started meanwhile. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }
}
