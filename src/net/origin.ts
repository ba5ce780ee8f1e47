/**
 * pip's trusted hosts and secure origins (pip/_internal/network/session.py):
 * - `trusted-host host` covers every port of that host, `trusted-host host:port` that port
 *   only (pip mounts its insecure adapter on `https://host/` and `https://host:`, or on
 *   `https://host:port/`);
 * - an index or find-links location is searched only when its origin is secure: https, file,
 *   localhost, 127.0.0.0/8, ::1, or a trusted host; pip skips any other with a warning.
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Does `trusted-host` name this URL's host (and port, when it gives one)? */
export function isTrustedHost(url: URL, trustedHosts: readonly string[]): boolean {
  const host = bareHost(url.hostname);
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return trustedHosts.some((entry) => {
    const { host: trusted, port: trustedPort } = splitHostPort(entry.trim());
    if (trusted.toLowerCase() !== host) return false;
    return trustedPort === undefined || trustedPort === port;
  });
}

/** pip's is_secure_origin (SECURE_ORIGINS plus the trusted hosts). */
export function isSecureOrigin(url: URL, trustedHosts: readonly string[]): boolean {
  const scheme = url.protocol.replace(/:$/, '').split('+').pop();
  if (scheme === 'https' || scheme === 'file' || scheme === 'ssh') return true;
  const host = bareHost(url.hostname);
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true;
  return isTrustedHost(url, trustedHosts);
}

const bareHost = (hostname: string): string => hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** "host", "host:port", "[::1]:8080" → host and optional port. */
function splitHostPort(entry: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    return bracketed[2] === undefined
      ? { host: bracketed[1]! }
      : { host: bracketed[1]!, port: bracketed[2] };
  }
  const colon = entry.lastIndexOf(':');
  if (colon > 0 && entry.indexOf(':') === colon && /^\d+$/.test(entry.slice(colon + 1)))
    return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
  return { host: entry };
}
