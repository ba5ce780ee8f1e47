/** The intranet index store: types.ts is the contract, store.ts the implementation. */

export { type OpenIndexStoreOptions, openIndexStore } from './store.js';
export * from './types.js';
