/**
 * Every environment variable ferry reads, declared in one place (uv's habit).
 * pip's own variables are read in index/pip-config.ts because their meaning is pip's.
 */
export const FERRY_ENV = {
  /** Where downloaded files and metadata are cached (content-addressed by SHA-256). */
  cacheDir: 'FERRY_CACHE_DIR',
  /** Python interpreter used to create venvs and probe the host (default: python3 on PATH). */
  python: 'FERRY_PYTHON',
  /** `ferry probe`: read /proc, /etc, /lib and /usr under this folder (a fake host, for tests). */
  probeRoot: 'FERRY_PROBE_ROOT',
  /** `ferry probe`: '1' skips nvidia-smi and ldconfig. */
  probeNoCommands: 'FERRY_PROBE_NO_COMMANDS',
  /** A fixed time (seconds since 1970) for reproducible manifests and archives (reproducible-builds.org). */
  sourceDateEpoch: 'SOURCE_DATE_EPOCH',
  /**
   * A framework variant table to use instead of data/frameworks.json (same format): a site's
   * copy whose vendor indexes point at intranet mirrors, or a test's.
   */
  frameworks: 'FERRY_FRAMEWORKS',
  /**
   * The largest index or find-links page ferry reads (default 64M; `--max-page-size` wins): a
   * bound on memory, since a page is parsed whole.
   */
  maxPageSize: 'FERRY_MAX_PAGE_SIZE',
  /**
   * `ferry publish`: the account on the index (`--username` wins). For an API token, the
   * username is `__token__` (twine's convention) and the token is the password.
   */
  publishUsername: 'FERRY_PUBLISH_USERNAME',
  /** `ferry publish`: the password or token (`--password` wins); an env var keeps it out of `ps`. */
  publishPassword: 'FERRY_PUBLISH_PASSWORD',
  /**
   * `ferry serve`: the upstream index URL of the pull-through cache (`--upstream` wins); an env
   * var keeps the credentials in it out of `ps`.
   */
  upstreamUrl: 'FERRY_UPSTREAM_URL',
  /** S3 uploads (src/net/s3.ts): the access key id, as every AWS SDK reads it. */
  awsAccessKeyId: 'AWS_ACCESS_KEY_ID',
  /** S3 uploads: the secret access key. */
  awsSecretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  /** S3 uploads: a temporary credential's session token (sent as X-Amz-Security-Token). */
  awsSessionToken: 'AWS_SESSION_TOKEN',
  /** S3 uploads: the region the request is signed for (default us-east-1). */
  awsRegion: 'AWS_REGION',
  /**
   * S3 uploads: an S3-compatible endpoint (MinIO, Ceph, an intranet store), addressed
   * path-style (ENDPOINT/BUCKET/KEY), since such stores rarely have wildcard DNS per bucket.
   */
  awsEndpointUrl: 'AWS_ENDPOINT_URL',
  /**
   * The ledger of bundles written on this side (src/bundle/ledger.ts; `--ledger` wins). Default
   * $XDG_DATA_HOME/ferry/ledger, else ~/.local/share/ferry/ledger.
   */
  ledgerDir: 'FERRY_LEDGER_DIR',
  /** Disables colour on a TTY (https://no-color.org). */
  noColor: 'NO_COLOR',
} as const;

export function readEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
