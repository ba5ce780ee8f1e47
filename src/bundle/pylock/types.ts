/** PEP 751 lock files: the shapes a lock is written from and read into. */
import type { NormalizedName } from '../../standards/name.js';

/** A wheel or sdist entry, as given to the writer. */
export interface LockFileInput {
  /** The file name; derived from `path` or `url` when left out. */
  readonly name?: string;
  readonly url?: string;
  /** Relative to the lock file's folder, POSIX separators (e.g. `wheels/x.whl`). */
  readonly path?: string;
  readonly size?: number;
  /** RFC 3339 date-time (PEP 691 `upload-time`); written in UTC with millisecond precision. */
  readonly uploadTime?: string | Date;
  /** Algorithm (lower case) -> hex digest. At least one; sha256 recommended. */
  readonly hashes: Readonly<Record<string, string>>;
}

export interface LockArchiveInput {
  readonly url?: string;
  readonly path?: string;
  readonly size?: number;
  readonly uploadTime?: string | Date;
  readonly hashes: Readonly<Record<string, string>>;
  readonly subdirectory?: string;
}

export interface LockVcsInput {
  readonly type: string;
  readonly url?: string;
  readonly path?: string;
  readonly requestedRevision?: string;
  readonly commitId: string;
  readonly subdirectory?: string;
}

export interface LockDirectoryInput {
  readonly path: string;
  readonly editable?: boolean;
  readonly subdirectory?: string;
}

/** A table of TOML values (strings, numbers, booleans, Dates, arrays, tables). */
export type LockTable = Readonly<Record<string, unknown>>;

export interface LockPackageInput {
  readonly name: string;
  readonly version?: string;
  /** PEP 508 marker: when this entry is installed (e.g. only for some of the targets). */
  readonly marker?: string;
  readonly requiresPython?: string;
  /** Redacted base URL of the index the files came from (helps SBOMs; PEP 751). */
  readonly index?: string;
  /** Informational only: `{ name }`, or `{ name, version }` where the name is ambiguous. */
  readonly dependencies?: readonly LockTable[];
  readonly vcs?: LockVcsInput;
  readonly directory?: LockDirectoryInput;
  readonly archive?: LockArchiveInput;
  readonly sdist?: LockFileInput;
  readonly wheels?: readonly LockFileInput[];
  readonly attestationIdentities?: readonly LockTable[];
  /** `[packages.tool]`: disposable data (it must not change what is installed). */
  readonly tool?: LockTable;
}

export interface LockInput {
  /** Defaults to "1.0". */
  readonly lockVersion?: string;
  /** Defaults to "ferry". */
  readonly createdBy?: string;
  /**
   * PEP 508 markers, one per target the lock was made for. An empty list is not written: to
   * PEP 751 `environments = []` means "no environment", not "any".
   */
  readonly environments?: readonly string[];
  readonly requiresPython?: string;
  readonly extras?: readonly string[];
  readonly dependencyGroups?: readonly string[];
  readonly defaultGroups?: readonly string[];
  readonly packages: readonly LockPackageInput[];
  /** `[tool]`: ferry writes its own facts under `tool.ferry`. */
  readonly tool?: LockTable;
}

/** A wheel or sdist entry as read: the file name is always known. */
export interface PylockDist {
  readonly name: string;
  readonly url?: string;
  readonly path?: string;
  readonly size?: number;
  /** Normalized to `YYYY-MM-DDTHH:MM:SS.sssZ`. */
  readonly uploadTime?: string;
  readonly hashes: Readonly<Record<string, string>>;
}
export type PylockWheel = PylockDist;
export type PylockSdist = PylockDist;

export interface PylockArchive extends LockArchiveInput {
  readonly uploadTime?: string;
}

export interface PylockPackage extends LockPackageInput {
  readonly name: NormalizedName;
  readonly sdist?: PylockSdist;
  readonly wheels?: readonly PylockWheel[];
  readonly archive?: PylockArchive;
}

/** A parsed and validated lock file. It is also a LockInput, so it can be written back. */
export interface PylockFile extends LockInput {
  readonly lockVersion: string;
  readonly createdBy: string;
  readonly packages: readonly PylockPackage[];
  /** Where it was read from (for messages). */
  readonly source: string;
  /** Things the spec asks a reader to warn about (unknown keys, a newer minor version). */
  readonly warnings: readonly string[];
}

export interface LockProblem {
  /** TOML path of the problem, e.g. `packages[2].wheels[0].hashes`; '' for the whole file. */
  readonly path: string;
  readonly message: string;
}
