/** Exit statuses scripts can rely on; documented in the README ("Output for people and scripts"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  resolution: 3,
  network: 4,
  integrity: 5,
  incomplete: 6,
  untrusted: 7,
  install: 8,
  /** ferry doctor (or install's doctor step) found errors: the bundle will not run on this host. */
  doctor: 9,
} as const;

/**
 * Every error code ferry throws, with its status. A code must be listed here, even when its
 * status is 1 (a broken installation, an interrupted run): test/cli/exit-codes.test.ts finds
 * every `ERR_FERRY_*` under src/ and fails on one that is missing, so a new or misspelt code
 * cannot fall back to 1 unnoticed.
 */
export const EXIT_BY_CODE: Readonly<Record<string, number>> = {
  // The command line, a file or a setting the user gave is wrong: fix the input.
  ERR_FERRY_USAGE: EXIT.usage,
  ERR_FERRY_INVALID_REQUIREMENT: EXIT.usage,
  ERR_FERRY_INVALID_SPECIFIER: EXIT.usage,
  ERR_FERRY_INVALID_VERSION: EXIT.usage,
  ERR_FERRY_INVALID_MARKER: EXIT.usage,
  ERR_FERRY_INVALID_NAME: EXIT.usage,
  ERR_FERRY_URL_REQUIREMENT: EXIT.usage,
  ERR_FERRY_REQUIREMENTS_FILE: EXIT.usage,
  ERR_FERRY_REQUIREMENTS_CYCLE: EXIT.usage,
  ERR_FERRY_INVALID_TARGET: EXIT.usage,
  ERR_FERRY_UNKNOWN_TARGET: EXIT.usage,
  ERR_FERRY_INVALID_PROFILE: EXIT.usage,
  ERR_FERRY_UNKNOWN_CUDA: EXIT.usage,
  ERR_FERRY_VARIANT_UNKNOWN: EXIT.usage,
  ERR_FERRY_INDEX_CONFIG: EXIT.usage,
  ERR_FERRY_PIP_CONFIG: EXIT.usage,
  ERR_FERRY_CERT_FILE: EXIT.usage,
  ERR_FERRY_NO_INDEX: EXIT.usage,
  ERR_FERRY_BAD_URL: EXIT.usage,
  ERR_FERRY_BAD_SIZE: EXIT.usage,
  ERR_FERRY_BAD_COMMENT: EXIT.usage,
  ERR_FERRY_BAD_KEY: EXIT.usage,
  ERR_FERRY_BAD_TRUST_FILE: EXIT.usage,
  ERR_FERRY_KEY_EXISTS: EXIT.usage,
  ERR_FERRY_KEY_NOT_FOUND: EXIT.usage,
  ERR_FERRY_KEY_UNREADABLE: EXIT.usage,
  ERR_FERRY_KEY_PATH: EXIT.usage,
  ERR_FERRY_SIGNATURE_EXISTS: EXIT.usage,
  ERR_FERRY_DESTINATION: EXIT.usage,
  ERR_FERRY_DEST_EXISTS: EXIT.usage,
  ERR_FERRY_NOT_A_BUNDLE: EXIT.usage,
  ERR_FERRY_BAD_LOCK: EXIT.usage,
  ERR_FERRY_LOCK_AMBIGUOUS: EXIT.usage,
  ERR_FERRY_LOCK_UNSUPPORTED_SOURCE: EXIT.usage,

  // Nothing that fits the requirements and the target: resolution, or a framework build that
  // cannot run on the target (driver, Python, arch, glibc, AVX, musl).
  ERR_FERRY_RESOLUTION_IMPOSSIBLE: EXIT.resolution,
  ERR_FERRY_RESOLUTION_TOO_COMPLEX: EXIT.resolution,
  ERR_FERRY_UNKNOWN_PROJECT: EXIT.resolution,
  ERR_FERRY_NO_COMPATIBLE_FILE: EXIT.resolution,
  ERR_FERRY_NO_METADATA: EXIT.resolution,
  ERR_FERRY_INVALID_METADATA: EXIT.resolution,
  ERR_FERRY_INVALID_FILENAME: EXIT.resolution,
  ERR_FERRY_MARKER_UNDEFINED_COMPARISON: EXIT.resolution,
  ERR_FERRY_MARKER_UNDEFINED_VARIABLE: EXIT.resolution,
  ERR_FERRY_SDIST_DYNAMIC_METADATA: EXIT.resolution,
  ERR_FERRY_SDIST_REQUIRED: EXIT.resolution,
  ERR_FERRY_BAD_SDIST: EXIT.resolution,
  ERR_FERRY_LOCK_NO_FILES: EXIT.resolution,
  ERR_FERRY_LOCK_NO_WHEEL: EXIT.resolution,
  ERR_FERRY_LOCK_PYTHON: EXIT.resolution,
  ERR_FERRY_LOCK_ENVIRONMENT: EXIT.resolution,
  ERR_FERRY_VARIANT_ARCH: EXIT.resolution,
  ERR_FERRY_VARIANT_DRIVER_TOO_OLD: EXIT.resolution,
  ERR_FERRY_VARIANT_GLIBC: EXIT.resolution,
  ERR_FERRY_VARIANT_MUSL: EXIT.resolution,
  ERR_FERRY_VARIANT_NO_AVX: EXIT.resolution,
  ERR_FERRY_VARIANT_NO_DRIVER: EXIT.resolution,
  ERR_FERRY_VARIANT_PYTHON: EXIT.resolution,
  ERR_FERRY_VARIANT_SOURCE_ONLY: EXIT.resolution,
  ERR_FERRY_VARIANT_TARGETS_DIFFER: EXIT.resolution,

  // An index or download location did not answer usefully.
  ERR_FERRY_INDEX_UNREACHABLE: EXIT.network,
  ERR_FERRY_DOWNLOAD_FAILED: EXIT.network,
  ERR_FERRY_DOWNLOADS_FAILED: EXIT.network,
  ERR_FERRY_HTTP_STATUS: EXIT.network,
  ERR_FERRY_MALFORMED_PAGE: EXIT.network,
  ERR_FERRY_RANGE_UNSUPPORTED: EXIT.network,
  ERR_FERRY_TOO_LARGE: EXIT.network,
  ERR_FERRY_PAGE_TOO_LARGE: EXIT.network,
  ERR_FERRY_FILE_NOT_FOUND: EXIT.network,
  ERR_FERRY_TLS: EXIT.network,
  ERR_FERRY_PROXY: EXIT.network,
  ERR_FERRY_TOO_MANY_REDIRECTS: EXIT.network,
  ERR_FERRY_INSECURE_ORIGIN: EXIT.network,

  // Bytes are not what they claim to be.
  ERR_FERRY_HASH_MISMATCH: EXIT.integrity,
  ERR_FERRY_SIZE_MISMATCH: EXIT.integrity,
  ERR_FERRY_NO_HASH: EXIT.integrity,
  ERR_FERRY_BAD_HASH: EXIT.integrity,
  ERR_FERRY_INVALID_SHA256: EXIT.integrity,
  ERR_FERRY_BAD_PATH: EXIT.integrity,
  ERR_FERRY_BAD_WHEEL: EXIT.integrity,
  ERR_FERRY_UNSAFE_FILENAME: EXIT.integrity,
  ERR_FERRY_BUNDLE_DAMAGED: EXIT.integrity,
  ERR_FERRY_TAMPERED: EXIT.integrity,
  ERR_FERRY_INTEGRITY: EXIT.integrity,
  ERR_FERRY_BAD_SHA256SUMS: EXIT.integrity,
  ERR_FERRY_BAD_MANIFEST: EXIT.integrity,
  ERR_FERRY_ARCHIVE_DAMAGED: EXIT.integrity,
  ERR_FERRY_ARCHIVE_UNSAFE: EXIT.integrity,
  ERR_FERRY_VOLUME_DAMAGED: EXIT.integrity,
  ERR_FERRY_UNSUPPORTED_FILE: EXIT.integrity,
  ERR_FERRY_BAD_RECEIPT: EXIT.integrity,

  ERR_FERRY_INCOMPLETE: EXIT.incomplete,
  ERR_FERRY_ARCHIVE_NOT_FOUND: EXIT.incomplete,
  ERR_FERRY_VOLUME_MISSING: EXIT.incomplete,
  ERR_FERRY_NEEDS_NETWORK: EXIT.incomplete,

  ERR_FERRY_UNTRUSTED: EXIT.untrusted,
  ERR_FERRY_BAD_SIGNATURE: EXIT.untrusted,

  ERR_FERRY_PIP_FAILED: EXIT.install,
  ERR_FERRY_IMPORT_FAILED: EXIT.install,
  ERR_FERRY_VENV_FAILED: EXIT.install,
  ERR_FERRY_SMOKE_FAILED: EXIT.install,
  ERR_FERRY_VENV_EXISTS: EXIT.install,
  ERR_FERRY_NOT_A_VENV: EXIT.install,

  ERR_FERRY_DOCTOR: EXIT.doctor,

  // Other failures: this ferry installation is broken, the run was interrupted, the host
  // refused a write, or a bug.
  ERR_FERRY_DATA_MISSING: EXIT.failure,
  ERR_FERRY_DATA_INVALID: EXIT.failure,
  ERR_FERRY_PROBE_MISSING: EXIT.failure,
  ERR_FERRY_SMOKE_MISSING: EXIT.failure,
  ERR_FERRY_TEMPLATE_MISSING: EXIT.failure,
  ERR_FERRY_PROBE_FAILED: EXIT.failure,
  ERR_FERRY_ABORTED: EXIT.failure,
  ERR_FERRY_WRITE_FAILED: EXIT.failure,
  ERR_FERRY_KEY_WRITE: EXIT.failure,
  ERR_FERRY_EXTRACT_FAILED: EXIT.failure,
  ERR_FERRY_FILE_CHANGED: EXIT.failure,
  ERR_FERRY_CACHE_MISS: EXIT.failure,
  ERR_FERRY_INTERNAL: EXIT.failure,
};

/** Codes that only ever label warnings (events), never a failure: they need no status. */
export const WARNING_CODES: ReadonlySet<string> = new Set([
  'ERR_FERRY_MIRROR_FALLBACK',
  'ERR_FERRY_VARIANT_FALLBACK',
  'ERR_FERRY_CUDA_BUILD_NOT_PINNED',
  'ERR_FERRY_EXCLUDE_NEWER_UNAVAILABLE',
  'ERR_FERRY_MALFORMED_ENTRY',
  'ERR_FERRY_UNSIGNED',
]);

export function exitCodeFor(code: string): number {
  return Object.hasOwn(EXIT_BY_CODE, code) ? (EXIT_BY_CODE[code] as number) : EXIT.failure;
}
