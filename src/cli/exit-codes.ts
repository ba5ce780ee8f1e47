/** Exit statuses scripts can rely on; documented in the README. */
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

const BY_CODE: Record<string, number> = {
  ERR_FERRY_USAGE: EXIT.usage,
  ERR_FERRY_RESOLUTION_IMPOSSIBLE: EXIT.resolution,
  ERR_FERRY_RESOLUTION_TOO_COMPLEX: EXIT.resolution,
  ERR_FERRY_UNKNOWN_PROJECT: EXIT.resolution,
  ERR_FERRY_NO_COMPATIBLE_FILE: EXIT.resolution,
  ERR_FERRY_INDEX_UNREACHABLE: EXIT.network,
  ERR_FERRY_DOWNLOAD_FAILED: EXIT.network,
  ERR_FERRY_HTTP_STATUS: EXIT.network,
  ERR_FERRY_HASH_MISMATCH: EXIT.integrity,
  ERR_FERRY_BUNDLE_DAMAGED: EXIT.integrity,
  ERR_FERRY_TAMPERED: EXIT.integrity,
  ERR_FERRY_INCOMPLETE: EXIT.incomplete,
  ERR_FERRY_INTEGRITY: EXIT.integrity,
  ERR_FERRY_BAD_SHA256SUMS: EXIT.integrity,
  ERR_FERRY_BAD_MANIFEST: EXIT.integrity,
  ERR_FERRY_ARCHIVE_DAMAGED: EXIT.integrity,
  ERR_FERRY_ARCHIVE_UNSAFE: EXIT.integrity,
  ERR_FERRY_VOLUME_DAMAGED: EXIT.integrity,
  ERR_FERRY_UNSUPPORTED_FILE: EXIT.integrity,
  ERR_FERRY_ARCHIVE_NOT_FOUND: EXIT.incomplete,
  ERR_FERRY_VOLUME_MISSING: EXIT.incomplete,
  ERR_FERRY_UNTRUSTED: EXIT.untrusted,
  ERR_FERRY_BAD_SIGNATURE: EXIT.untrusted,
  ERR_FERRY_PIP_FAILED: EXIT.install,
  ERR_FERRY_IMPORT_FAILED: EXIT.install,
  ERR_FERRY_VENV_FAILED: EXIT.install,
  ERR_FERRY_SMOKE_FAILED: EXIT.install,
  ERR_FERRY_VENV_EXISTS: EXIT.install,
  ERR_FERRY_NOT_A_VENV: EXIT.install,
  ERR_FERRY_NEEDS_NETWORK: EXIT.incomplete,
  ERR_FERRY_BAD_RECEIPT: EXIT.integrity,
  ERR_FERRY_DOCTOR: EXIT.doctor,
};

export function exitCodeFor(code: string): number {
  return BY_CODE[code] ?? EXIT.failure;
}
