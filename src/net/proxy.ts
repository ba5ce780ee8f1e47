/**
 * Which proxy a request goes through, decided the way pip's requests decides it
 * (requests/sessions.py merge_environment_settings, requests/utils.py should_bypass_proxies and
 * select_proxy, urllib.request getproxies_environment and proxy_bypass_environment):
 *
 * - pip's `proxy` setting is used for http and https URLs alike, and NO_PROXY does not exempt
 *   anything from it (pip passes it as the request's proxies; only environment proxies are
 *   subject to NO_PROXY);
 * - otherwise `<scheme>_proxy`, then `all_proxy`, from the environment; each name in lower or
 *   upper case, the lower-case one winning, an empty lower-case one removing the upper-case one;
 * - NO_PROXY (`no_proxy` first): `*` exempts every host; a comma list of names exempts a host
 *   that ends with a name (requests compares with a plain `endswith`, so `example.com` exempts
 *   `badexample.com` too; urllib adds the `.name` suffix rule and ignores leading dots); for an
 *   IPv4 host, CIDR blocks (10.0.0.0/8) and exact addresses; `host:port` entries match that port.
 */
import { isIPv4 } from 'node:net';
import type { NetSettings } from './settings.js';

/** The proxy URL for `url`, or undefined to connect directly. */
export function proxyFor(url: URL, settings: NetSettings): URL | undefined {
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const configured = settings.proxy?.trim();
  if (configured !== undefined && configured !== '') return proxyUrl(configured);
  if (bypassesProxy(url, settings.env)) return undefined;
  const proxies = environmentProxies(settings.env);
  const chosen = proxies.get(scheme) ?? proxies.get('all');
  return chosen === undefined ? undefined : proxyUrl(chosen);
}

/**
 * requests' prepend_scheme_if_needed(proxy, "http"): "proxy.corp:3128" means
 * http://proxy.corp:3128. urllib3 reads a dotless "name:3128" as scheme "name" and pip then fails
 * on it; ferry reads it as http://name:3128, which is what was meant.
 */
function proxyUrl(value: string): URL {
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
}

/**
 * The variables of `env` that decide proxies (`*_proxy` in any case, and REQUEST_METHOD), as a
 * plain object: reading them from process.env on every request enumerated the whole
 * environment each time (7 ms of a cold lock).
 */
export function proxyVariables(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env))
    if (name.toLowerCase().endsWith('_proxy') || name === 'REQUEST_METHOD') out[name] = value;
  return out;
}

/** urllib's getproxies_environment: `<scheme>_proxy` in any case, lower case winning. */
export function environmentProxies(
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const proxies = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (value && name.toLowerCase().endsWith('_proxy'))
      proxies.set(name.toLowerCase().slice(0, -6), value);
  }
  // CVE-2016-1000110: in a CGI script HTTP_PROXY comes from the client's Proxy header.
  if (env.REQUEST_METHOD !== undefined) proxies.delete('http');
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_proxy')) continue;
    const key = name.toLowerCase().slice(0, -6);
    if (value) proxies.set(key, value);
    else proxies.delete(key);
  }
  return proxies;
}

/** requests' should_bypass_proxies, then urllib's proxy_bypass_environment. */
export function bypassesProxy(
  url: URL,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (hostname === '') return true;
  const noProxy = env.no_proxy || env.NO_PROXY;
  if (noProxy) {
    const entries = noProxy
      .replace(/ /g, '')
      .split(',')
      .filter((h) => h !== '');
    if (isIPv4(hostname)) {
      for (const entry of entries) {
        if (entry.includes('/') ? inCidr(hostname, entry) : hostname === entry) return true;
      }
    } else {
      const withPort = url.port === '' ? hostname : `${hostname}:${url.port}`;
      for (const entry of entries) {
        if (hostname.endsWith(entry) || withPort.endsWith(entry)) return true;
      }
    }
  }
  // requests hands urllib the host name alone, without the port.
  return proxyBypassEnvironment(hostname, env);
}

/** urllib.request.proxy_bypass_environment, with `no` from getproxies_environment. */
function proxyBypassEnvironment(
  hostname: string,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const noProxy = environmentProxies(env).get('no');
  if (noProxy === undefined) return false;
  if (noProxy === '*') return true;
  for (const raw of noProxy.split(',')) {
    const name = raw.trim().replace(/^\.+/, '').toLowerCase();
    if (name === '') continue;
    if (hostname === name || hostname.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** requests' address_in_network with is_valid_cidr: "10.1.0.0/16" contains "10.1.2.3". */
function inCidr(address: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  if (net === undefined || bitsText === undefined || !isIPv4(net) || !/^\d+$/.test(bitsText))
    return false;
  const bits = Number(bitsText);
  if (bits < 1 || bits > 32) return false;
  const toInt = (ip: string) =>
    ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
  const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
  return (toInt(address) & mask) >>> 0 === (toInt(net) & mask) >>> 0;
}
