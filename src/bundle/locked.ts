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
  /** 'host': its sdist is built into a wheel on the bundling host (src/build/), not on the target. */
  readonly build?: 'host';
}

/**
 * A project left out of the closure on purpose (`--exclude`, ferry.toml's [trim]): the
 * requirements on it were dropped, and with them whatever only it needed.
 */
export interface LockedExclusion {
  readonly name: string;
  readonly reason: string;
  /** The locked packages whose requirements named it, as "name version". */
  readonly requiredBy: readonly string[];
}

/** A requirement put in place of every requirement on its project (`--override`). */
export interface LockedOverride {
  readonly requirement: string;
  readonly reason: string;
  /** What it replaced, as "name version: requirement" (or "the command line: requirement"). */
  readonly replaced: readonly string[];
}

export interface Locked {
  readonly targets: readonly Target[];
  readonly packages: readonly LockedPackage[];
  readonly requirements: readonly string[];
  readonly constraints: readonly string[];
  readonly indexes: readonly string[];
  /** What was trimmed, with the reasons: recorded in pylock.toml and in the manifest. */
  readonly exclusions?: readonly LockedExclusion[];
  readonly overrides?: readonly LockedOverride[];
}
