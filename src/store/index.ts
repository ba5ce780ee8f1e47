/** The content-addressed store and the one atomic-write helper; see store.ts. */
export {
  AtomicFile,
  type AtomicWriteOptions,
  commitAll,
  replaceDirAtomic,
  tempPathFor,
  writeFileAtomic,
} from '../core/atomic-write.js';
export {
  type DigestAlgorithm,
  hashBytes,
  hashFileWithSize,
  normalizeDigest,
  tryNormalizeDigest,
} from './hash.js';
export { type LinkedBy, linkOrCopy } from './link.js';
export { type LockOptions, withFileLock } from './lock.js';
export { RefStore } from './refs.js';
export {
  ContentStore,
  digestMismatch,
  entryPath,
  type HasOptions,
  type PutFileOptions,
} from './store.js';
export { VerifiedRecord } from './verified.js';
