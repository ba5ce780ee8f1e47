import type { IndexStore } from './types.js';

export interface OpenIndexStoreOptions {
  /** Make the store (store.json, generation 0) when `dir` holds none. */
  readonly create?: boolean;
}

export async function openIndexStore(
  _dir: string,
  _options: OpenIndexStoreOptions = {},
): Promise<IndexStore> {
  throw new Error('not implemented');
}
