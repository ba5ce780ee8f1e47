/**
 * A lock in memory: every package with the files it needs for the targets it is needed on
 * (one best wheel per target, deduplicated). A fresh resolution (src/ops/lock.ts) and a
 * pylock.toml read back (lock-file.ts) both produce it, so the same lock rebuilds the same
 * bundle.
 */
import type { PackageChoice } from '../resolver/resolve.js';
import type { Target } from '../standards/target.js';

export interface LockedFile {
  readonly filename: string;
  /** Where it was found, without credentials. */
  readonly url: string;
  readonly index: string;
  readonly sha256: string;
  readonly size?: number;
  readonly uploadTime?: string;
  readonly requiresPython?: string;
}

export interface LockedPackage extends PackageChoice {
  readonly files: readonly LockedFile[];
}

export interface Locked {
  readonly targets: readonly Target[];
  readonly packages: readonly LockedPackage[];
  readonly requirements: readonly string[];
  readonly constraints: readonly string[];
  readonly indexes: readonly string[];
}
