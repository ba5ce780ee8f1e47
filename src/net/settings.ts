/**
 * How ferry reaches the network: pip's transport options (`trusted-host`, `cert`,
 * `client-cert`, `timeout`, `retries`, `proxy`) and the proxy variables of the environment,
 * settled once per command (cli/settings.ts) and used by every request (net/request.ts).
 *
 * One process has one setting, the way one pip command has one PipSession: the CLI installs it
 * with `useNetSettings`, and code that is handed no settings of its own uses it. Library users
 * and tests pass settings explicitly instead.
 */

export interface NetSettings {
  /**
   * pip `trusted-host`: "host" (any port) or "host:port". Plain HTTP is accepted as an index or
   * find-links location there, and TLS certificate errors are ignored
   * (pip/_internal/network/session.py add_trusted_host, InsecureHTTPAdapter).
   */
  readonly trustedHosts: readonly string[];
  /**
   * pip `cert`: a PEM CA bundle that replaces the built-in roots (requests' `verify=PATH`).
   * REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE outrank it, as they do in pip's requests.
   */
  readonly caFile?: string;
  /** pip `client-cert`: one PEM file holding the private key and the certificate. */
  readonly clientCertFile?: string;
  /** pip `timeout`: a request fails when no byte arrives for this long (a socket timeout). */
  readonly timeoutMs?: number;
  /** pip `retries`: attempts after the first, for failures worth another try. */
  readonly retries?: number;
  /**
   * pip `proxy` (scheme://[user:pass@]host:port): every request goes through it, whatever
   * NO_PROXY says (pip hands it to requests as the session's proxies).
   */
  readonly proxy?: string;
  /**
   * The environment the proxy variables are read from (http_proxy, HTTPS_PROXY, ALL_PROXY,
   * NO_PROXY, ... lower case first, as urllib reads them). pip's --isolated does not hide them.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Which setting gave each value ("cert from /etc/pip.conf [global]"), for error messages. */
  readonly sources?: Readonly<Record<string, string>>;
}

/** Used when nothing is configured: no proxies, no extra trust, ferry's own timeouts. */
export const DEFAULT_NET_SETTINGS: NetSettings = { trustedHosts: [], env: {} };

let current: NetSettings = DEFAULT_NET_SETTINGS;

/** The settings of this process (what `useNetSettings` installed, else the defaults). */
export function netSettings(): NetSettings {
  return current;
}

/** Installs the settings every request of this process uses unless given its own. */
export function useNetSettings(settings: NetSettings): void {
  current = settings;
}
