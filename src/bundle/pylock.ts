/**
 * PEP 751 lock files (`pylock.toml`): write, read and validate, relocate into a bundle, export
 * as a hash-checking requirements.txt, and select what to install for one target.
 *
 * The validation rules follow the specification (packaging.python.org, "pylock.toml
 * Specification") and mirror `packaging.pylock.Pylock.from_dict` (packaging 26.x) so that a
 * lock ferry accepts is one packaging accepts, and the other way round where packaging checks a
 * rule at all. ferry adds a few checks packaging leaves to installers: upload times in UTC,
 * non-negative sizes, well-formed SHA-2 digests. Unknown keys are allowed (the spec asks for a
 * warning only); they are reported in `warnings`, never printed.
 *
 * The writer is deterministic: packages sorted by name then version, wheels by file name, keys
 * in the specification's order, one fixed TOML layout. formatPylock(parsePylock(text)) == text
 * for every text formatPylock wrote.
 */

export {
  environmentMarker,
  lockInputFromResolution,
  type ResolvedForLock,
} from './pylock/from-resolution.js';
export { parsePylock } from './pylock/read.js';
export { relocatePylock } from './pylock/relocate.js';
export { lockToRequirementsTxt, type RequirementsExportOptions } from './pylock/requirements.js';
export { type LockSelection, type SelectOptions, selectFromLock } from './pylock/select.js';
export { normalizeUploadTime } from './pylock/shared.js';
export type {
  LockArchiveInput,
  LockDirectoryInput,
  LockFileInput,
  LockInput,
  LockPackageInput,
  LockProblem,
  LockTable,
  LockVcsInput,
  PylockArchive,
  PylockDist,
  PylockFile,
  PylockPackage,
  PylockSdist,
  PylockWheel,
} from './pylock/types.js';
export { formatPylock } from './pylock/write.js';
