/**
 * Every code ferry reports, in one place. A FerryError's code is an `ErrorCode`, so a misspelt
 * or undeclared code is a type error, and the exit status of each code is declared beside it:
 * src/cli/exit-codes.ts turns these names into the numbers scripts rely on (README, "Output for
 * people and scripts"). test/cli/exit-codes.test.ts checks that every code declared here is
 * used somewhere under src/.
 */

/** The kinds of failure, each with its own exit status (see EXIT in src/cli/exit-codes.ts). */
export type ExitStatusName =
  | 'failure'
  | 'usage'
  | 'resolution'
  | 'network'
  | 'integrity'
  | 'incomplete'
  | 'untrusted'
  | 'install'
  | 'doctor'
  | 'findings';

export const ERROR_CODES = {
  // The command line, a file or a setting the user gave is wrong: fix the input.
  ERR_FERRY_USAGE: 'usage',
  ERR_FERRY_INVALID_REQUIREMENT: 'usage',
  ERR_FERRY_INVALID_SPECIFIER: 'usage',
  ERR_FERRY_INVALID_VERSION: 'usage',
  ERR_FERRY_INVALID_MARKER: 'usage',
  ERR_FERRY_INVALID_NAME: 'usage',
  ERR_FERRY_URL_REQUIREMENT: 'usage',
  ERR_FERRY_REQUIREMENTS_FILE: 'usage',
  ERR_FERRY_REQUIREMENTS_CYCLE: 'usage',
  ERR_FERRY_INVALID_TARGET: 'usage',
  ERR_FERRY_UNKNOWN_TARGET: 'usage',
  ERR_FERRY_INVALID_PROFILE: 'usage',
  ERR_FERRY_UNKNOWN_CUDA: 'usage',
  ERR_FERRY_VARIANT_UNKNOWN: 'usage',
  ERR_FERRY_INDEX_CONFIG: 'usage',
  ERR_FERRY_PIP_CONFIG: 'usage',
  ERR_FERRY_CERT_FILE: 'usage',
  ERR_FERRY_BAD_INVENTORY: 'usage',
  ERR_FERRY_LEDGER: 'usage',
  ERR_FERRY_NO_INDEX: 'usage',
  ERR_FERRY_BAD_URL: 'usage',
  ERR_FERRY_BAD_SIZE: 'usage',
  ERR_FERRY_BAD_COMMENT: 'usage',
  ERR_FERRY_BAD_KEY: 'usage',
  ERR_FERRY_BAD_TRUST_FILE: 'usage',
  ERR_FERRY_KEY_EXISTS: 'usage',
  ERR_FERRY_KEY_NOT_FOUND: 'usage',
  ERR_FERRY_KEY_UNREADABLE: 'usage',
  ERR_FERRY_KEY_PATH: 'usage',
  ERR_FERRY_SIGNATURE_EXISTS: 'usage',
  ERR_FERRY_DESTINATION: 'usage',
  ERR_FERRY_DEST_EXISTS: 'usage',
  ERR_FERRY_NOT_A_BUNDLE: 'usage',
  ERR_FERRY_BAD_LOCK: 'usage',
  ERR_FERRY_LOCK_AMBIGUOUS: 'usage',
  ERR_FERRY_LOCK_UNSUPPORTED_SOURCE: 'usage',
  // The intranet index store (src/server/store): a wrong --store, index, bundle or token.
  ERR_FERRY_STORE_NOT_FOUND: 'usage',
  ERR_FERRY_UNKNOWN_INDEX: 'usage',
  ERR_FERRY_UNKNOWN_BUNDLE: 'usage',
  ERR_FERRY_UNKNOWN_TOKEN: 'usage',
  ERR_FERRY_TOKEN_EXISTS: 'usage',
  ERR_FERRY_FILE_CONFLICT: 'usage',
  ERR_FERRY_BAD_ADVISORIES: 'usage',
  ERR_FERRY_BAD_POLICY: 'usage',
  ERR_FERRY_NOT_IN_LOCK: 'usage',

  // Nothing that fits the requirements and the target: resolution, or a framework build that
  // cannot run on the target (driver, Python, arch, glibc, AVX, musl).
  ERR_FERRY_RESOLUTION_IMPOSSIBLE: 'resolution',
  ERR_FERRY_RESOLUTION_TOO_COMPLEX: 'resolution',
  ERR_FERRY_UNKNOWN_PROJECT: 'resolution',
  ERR_FERRY_NO_COMPATIBLE_FILE: 'resolution',
  ERR_FERRY_NO_METADATA: 'resolution',
  ERR_FERRY_INVALID_METADATA: 'resolution',
  ERR_FERRY_INVALID_FILENAME: 'resolution',
  ERR_FERRY_MARKER_UNDEFINED_COMPARISON: 'resolution',
  ERR_FERRY_MARKER_UNDEFINED_VARIABLE: 'resolution',
  ERR_FERRY_SDIST_DYNAMIC_METADATA: 'resolution',
  ERR_FERRY_SDIST_REQUIRED: 'resolution',
  ERR_FERRY_BAD_SDIST: 'resolution',
  // An sdist could not be built into a wheel on this host (src/build/), or the wheel built here
  // does not fit the target.
  ERR_FERRY_SDIST_BUILD_FAILED: 'failure',
  ERR_FERRY_BUILT_WHEEL_UNFIT: 'resolution',
  ERR_FERRY_LOCK_NO_FILES: 'resolution',
  ERR_FERRY_LOCK_NO_WHEEL: 'resolution',
  ERR_FERRY_LOCK_PYTHON: 'resolution',
  ERR_FERRY_LOCK_ENVIRONMENT: 'resolution',
  ERR_FERRY_VARIANT_ARCH: 'resolution',
  ERR_FERRY_VARIANT_DRIVER_TOO_OLD: 'resolution',
  ERR_FERRY_VARIANT_GLIBC: 'resolution',
  ERR_FERRY_VARIANT_MUSL: 'resolution',
  ERR_FERRY_VARIANT_NO_AVX: 'resolution',
  ERR_FERRY_VARIANT_NO_DRIVER: 'resolution',
  ERR_FERRY_VARIANT_PYTHON: 'resolution',
  ERR_FERRY_VARIANT_SOURCE_ONLY: 'resolution',
  ERR_FERRY_VARIANT_TARGETS_DIFFER: 'resolution',
  ERR_FERRY_VARIANT_LIBSTDCXX: 'resolution',
  ERR_FERRY_VARIANT_NO_KERNELS: 'resolution',
  ERR_FERRY_VARIANT_UNPUBLISHED: 'resolution',
  ERR_FERRY_VARIANT_ACCELERATOR: 'resolution',
  ERR_FERRY_VARIANT_CONSTRAINED: 'resolution',

  // An index or download location did not answer usefully.
  ERR_FERRY_INDEX_UNREACHABLE: 'network',
  ERR_FERRY_DOWNLOAD_FAILED: 'network',
  ERR_FERRY_DOWNLOADS_FAILED: 'network',
  ERR_FERRY_HTTP_STATUS: 'network',
  ERR_FERRY_MALFORMED_PAGE: 'network',
  ERR_FERRY_RANGE_UNSUPPORTED: 'network',
  ERR_FERRY_TOO_LARGE: 'network',
  ERR_FERRY_PAGE_TOO_LARGE: 'network',
  ERR_FERRY_FILE_NOT_FOUND: 'network',
  ERR_FERRY_TLS: 'network',
  ERR_FERRY_PROXY: 'network',
  ERR_FERRY_TOO_MANY_REDIRECTS: 'network',
  ERR_FERRY_INSECURE_ORIGIN: 'network',

  // Bytes are not what they claim to be.
  ERR_FERRY_HASH_MISMATCH: 'integrity',
  ERR_FERRY_SIZE_MISMATCH: 'integrity',
  ERR_FERRY_NO_HASH: 'integrity',
  ERR_FERRY_BAD_HASH: 'integrity',
  ERR_FERRY_INVALID_SHA256: 'integrity',
  ERR_FERRY_BAD_PATH: 'integrity',
  ERR_FERRY_BAD_WHEEL: 'integrity',
  ERR_FERRY_UNSAFE_FILENAME: 'integrity',
  ERR_FERRY_BUNDLE_DAMAGED: 'integrity',
  ERR_FERRY_TAMPERED: 'integrity',
  ERR_FERRY_INTEGRITY: 'integrity',
  ERR_FERRY_BAD_SHA256SUMS: 'integrity',
  ERR_FERRY_BAD_MANIFEST: 'integrity',
  ERR_FERRY_ARCHIVE_DAMAGED: 'integrity',
  ERR_FERRY_ARCHIVE_UNSAFE: 'integrity',
  ERR_FERRY_VOLUME_DAMAGED: 'integrity',
  ERR_FERRY_UNSUPPORTED_FILE: 'integrity',
  ERR_FERRY_BAD_RECEIPT: 'integrity',
  ERR_FERRY_STORE_DAMAGED: 'integrity',

  ERR_FERRY_INCOMPLETE: 'incomplete',
  ERR_FERRY_ARCHIVE_NOT_FOUND: 'incomplete',
  ERR_FERRY_VOLUME_MISSING: 'incomplete',
  ERR_FERRY_NEEDS_NETWORK: 'incomplete',
  // A delta bundle's base (docs/deltas.md) is not where it is imported or installed.
  ERR_FERRY_DELTA_BASE_MISSING: 'incomplete',

  ERR_FERRY_UNTRUSTED: 'untrusted',
  ERR_FERRY_BAD_SIGNATURE: 'untrusted',

  ERR_FERRY_PIP_FAILED: 'install',
  // The installer asked for (`--installer uv`) cannot run here, or uv refused the bundle.
  ERR_FERRY_INSTALLER_UNAVAILABLE: 'install',
  ERR_FERRY_UV_FAILED: 'install',
  ERR_FERRY_VENV_FAILED: 'install',
  // A carried sdist (--allow-sdist) could not be built on the target: the install did not happen.
  ERR_FERRY_TARGET_BUILD_FAILED: 'install',
  ERR_FERRY_SMOKE_FAILED: 'install',
  ERR_FERRY_VENV_EXISTS: 'install',
  ERR_FERRY_NOT_A_VENV: 'install',

  ERR_FERRY_DOCTOR: 'doctor',

  // The audit found advisories the policy does not accept, or a policy rule refused a package.
  ERR_FERRY_FINDINGS: 'findings',
  ERR_FERRY_POLICY: 'findings',

  // Other failures: this ferry installation is broken, the run was interrupted, the host
  // refused a write, or a bug.
  ERR_FERRY_DATA_MISSING: 'failure',
  ERR_FERRY_DATA_INVALID: 'failure',
  ERR_FERRY_PROBE_MISSING: 'failure',
  ERR_FERRY_SMOKE_MISSING: 'failure',
  ERR_FERRY_TEMPLATE_MISSING: 'failure',
  ERR_FERRY_PROBE_FAILED: 'failure',
  ERR_FERRY_ABORTED: 'failure',
  ERR_FERRY_WRITE_FAILED: 'failure',
  ERR_FERRY_KEY_WRITE: 'failure',
  ERR_FERRY_EXTRACT_FAILED: 'failure',
  ERR_FERRY_FILE_CHANGED: 'failure',
  ERR_FERRY_CACHE_MISS: 'failure',
  ERR_FERRY_INTERNAL: 'failure',
} as const satisfies Readonly<Record<`ERR_FERRY_${string}`, ExitStatusName>>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes that only ever label warnings (events), never a failure: they need no exit status. The
 * ERR_FERRY_ ones predate the W_FERRY_ prefix; they keep their names because --json output
 * carries them to scripts.
 */
export const WARNING_CODES = [
  'ERR_FERRY_MIRROR_FALLBACK',
  'ERR_FERRY_VARIANT_FALLBACK',
  'W_FERRY_VARIANT_INDEX_UNREACHABLE',
  'ERR_FERRY_CUDA_BUILD_NOT_PINNED',
  'ERR_FERRY_EXCLUDE_NEWER_UNAVAILABLE',
  'ERR_FERRY_MALFORMED_ENTRY',
  'ERR_FERRY_UNSIGNED',
  'W_FERRY_SDIST_CARRIED',
  'W_FERRY_SDIST_BUILT_ON_HOST',
  'W_FERRY_BUILD_NETWORK_OPEN',
  'W_FERRY_SDIST_METADATA_FROM_HOST',
  'W_FERRY_YANKED',
  'W_FERRY_SIGNATURES_NOT_CHECKED',
  'W_FERRY_UNSIGNED',
  'W_FERRY_STALE_STAGING',
  'W_FERRY_RESTORED',
  'W_FERRY_ADVISORY_SKIPPED',
  'W_FERRY_EXCEPTION_EXPIRED',
  'W_FERRY_EXCLUDED_REQUIRED',
  'W_FERRY_TRIM_UNUSED',
  'W_FERRY_NO_UV',
  'W_FERRY_INSTALLER_FALLBACK',
] as const;

/** A doctor finding reported as a warning carries the doctor's own code (src/onhost/doctor.ts). */
export type WarningCode = (typeof WARNING_CODES)[number] | `W_FERRY_DOCTOR_${string}`;
