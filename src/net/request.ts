/**
 * The one HTTP client: every byte ferry fetches (index pages, metadata, range reads, downloads)
 * goes through `netRequest`. Built on node:http/node:https rather than the global fetch
 * (undici): undici 7 crashes the process with an uncatchable `assert(!this.paused)` when a
 * server closes the connection while a body is held back by backpressure (nodejs/undici#5360),
 * and fetch offers no CONNECT proxies, per-host certificate trust or client certificates
 * without undici's own dispatcher API.
 *
 * One exchange, with what pip's requests session does around it:
 * - credentials in the URL become `Authorization: Basic`; a redirect to another host drops
 *   them (requests' should_strip_auth: another host, port or scheme, except http→https on the
 *   default ports);
 * - proxies (net/proxy.ts): `CONNECT host:port` tunnels for https, absolute-form requests for
 *   http, `Proxy-Authorization` from the proxy URL's credentials;
 * - TLS: the CA bundle of `cert` (or REQUESTS_CA_BUNDLE) instead of the built-in roots, the
 *   key and certificate of `client-cert`, no verification for a `trusted-host`;
 * - a stall timeout (pip's `timeout` is a socket timeout): the request fails when no byte moves
 *   for that long, however long the whole transfer takes;
 * - `file:` URLs answer like a server would (200, 206 for a Range, 404);
 * - uploads (a `method` and a `body`: the legacy upload API, S3 PUT) send a Content-Length and
 *   are never redirected: a 3xx comes back to the caller, because re-sending a body to another
 *   place is a decision (twine refuses redirects on upload for the same reason).
 * Retrying is the caller's (net/retry.ts gives the policy): one call, one exchange chain.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { isTrustedHost } from './origin.js';
import { proxyFor } from './proxy.js';
import { type NetSettings, netSettings } from './settings.js';

export interface NetRequestInit {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Stall timeout (default: the settings' `timeoutMs`, else 30 s). */
  readonly timeoutMs?: number;
  /**
   * Ask for a compressed transfer and decode it (index pages). Never for byte ranges or for
   * files whose bytes are hashed as they arrive.
   */
  readonly decompress?: boolean;
  readonly settings?: NetSettings;
  /** GET unless given (HEAD, PUT, POST, DELETE). */
  readonly method?: string;
  /** The request body: bytes, or a file-sized stream opened when the request is sent. */
  readonly body?: NetRequestBody;
}

/** A body of known length; `open` is called once, when the request goes out. */
export type NetRequestBody = Uint8Array | { readonly length: number; open(): Readable };

export interface NetResponse {
  readonly status: number;
  /** The final URL after redirects, without credentials or fragment. */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  /** The body (decoded when it was compressed); `cancel` stops the transfer. */
  readonly body: AsyncIterable<Uint8Array> & { cancel(): Promise<void> };
}

export const NET_DEFAULTS = { timeoutMs: 30_000, maxRedirects: 10, userAgent: 'ferry' } as const;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A request that failed for want of bytes: worth another try. */
export class StallError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`no data for ${(timeoutMs / 1000).toFixed(1)} s`);
  }
}

export async function netRequest(url: string, init: NetRequestInit = {}): Promise<NetResponse> {
  const settings = init.settings ?? netSettings();
  const timeoutMs = init.timeoutMs ?? settings.timeoutMs ?? NET_DEFAULTS.timeoutMs;
  let target = parseUrl(url);
  const headers: Record<string, string> = lowerCaseKeys(init.headers ?? {});
  headers['user-agent'] ??= NET_DEFAULTS.userAgent;
  if (init.decompress === true) headers['accept-encoding'] ??= 'gzip, deflate, br';
  else headers['accept-encoding'] ??= 'identity';
  let authorization = basicAuth(target);
  if (authorization !== undefined) headers.authorization ??= authorization;
  const method = (init.method ?? 'GET').toUpperCase();
  if (init.body !== undefined) headers['content-length'] = String(init.body.length);
  for (let redirects = 0; ; redirects++) {
    const href = withoutCredentials(target);
    if (target.protocol === 'file:') {
      if (method !== 'GET')
        throw new FerryError(
          'ERR_FERRY_BAD_URL',
          `cannot ${method} "${redactUrl(target.href)}": file:// locations are read only`,
          { hint: 'Give an http:// or https:// URL of the server.' },
        );
      return fileResponse(target, headers);
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new FerryError(
        'ERR_FERRY_BAD_URL',
        `cannot fetch "${redactUrl(target.href)}": unsupported scheme ${target.protocol}`,
        { hint: 'ferry fetches http://, https:// and file:// URLs.' },
      );
    }
    const res = await exchange(
      target,
      headers,
      init.signal,
      timeoutMs,
      settings,
      method,
      init.body,
    );
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!REDIRECTS.has(status) || location === undefined || init.body !== undefined) {
      return respond(res, href, init.decompress === true);
    }
    res.resume();
    if (redirects >= NET_DEFAULTS.maxRedirects) {
      throw new FerryError(
        'ERR_FERRY_TOO_MANY_REDIRECTS',
        `${redactUrl(url)} redirected more than ${NET_DEFAULTS.maxRedirects} times`,
        { hint: 'The server sends requests round in circles; check the index URL.' },
      );
    }
    const next = new URL(location, href);
    if (stripsAuth(target, next)) delete headers.authorization;
    authorization = basicAuth(next);
    if (authorization !== undefined) headers.authorization = authorization;
    target = next;
  }
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new FerryError('ERR_FERRY_BAD_URL', `"${redactUrl(url)}" is not a valid URL`, {
      hint: 'Index and find-links locations need a scheme (https://, http:// or file://) or must be a local path.',
    });
  }
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function basicAuth(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

function withoutCredentials(url: URL): string {
  const clean = new URL(url.href);
  clean.username = '';
  clean.password = '';
  clean.hash = '';
  return clean.href;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };
const portOf = (u: URL): string => u.port || (DEFAULT_PORTS[u.protocol] ?? '');

/** requests' Session.should_strip_auth. */
function stripsAuth(from: URL, to: URL): boolean {
  if (from.hostname !== to.hostname) return true;
  if (
    from.protocol === 'http:' &&
    portOf(from) === '80' &&
    to.protocol === 'https:' &&
    portOf(to) === '443'
  )
    return false;
  return from.protocol !== to.protocol || portOf(from) !== portOf(to);
}

// ---------------------------------------------------------------------------------------------
// TLS

interface Tls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /**
   * Built once from the above: given only `ca`, tls.connect builds a context per connection,
   * parsing the whole CA bundle each time (tens of ms for a system bundle, on every connection).
   */
  readonly secureContext?: tls.SecureContext;
}

interface Agents {
  readonly http: http.Agent;
  readonly secure: https.Agent;
  /** For trusted hosts: no certificate verification. */
  readonly insecure: https.Agent;
  readonly tls: Tls;
}

const agentsOf = new WeakMap<NetSettings, Agents>();

function agents(settings: NetSettings): Agents {
  let found = agentsOf.get(settings);
  if (found === undefined) {
    const material: Tls = {
      ...(settings.caFile === undefined
        ? {}
        : { ca: readPem(settings.caFile, settings.sources?.cert ?? 'cert') }),
      ...(settings.clientCertFile === undefined
        ? {}
        : (() => {
            const pem = readPem(
              settings.clientCertFile,
              settings.sources?.clientCert ?? 'client-cert',
            );
            // One file with both, as pip's client-cert: OpenSSL takes each block it needs.
            return { cert: pem, key: pem };
          })()),
    };
    if (material.ca !== undefined || material.cert !== undefined) {
      Object.assign(material, { secureContext: tls.createSecureContext(material) });
    }
    found = {
      http: new http.Agent({ keepAlive: true }),
      secure: new https.Agent({ keepAlive: true, ...material }),
      insecure: new https.Agent({ keepAlive: true, ...material, rejectUnauthorized: false }),
      tls: material,
    };
    agentsOf.set(settings, found);
  }
  return found;
}

function readPem(path: string, source: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_CERT_FILE',
      `cannot read ${path} (${source}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        hint: 'Point pip\'s "cert" (a PEM CA bundle) or "client-cert" (a PEM file with the key and the certificate) at a readable file, in pip.conf or PIP_CERT / PIP_CLIENT_CERT.',
      },
    );
  }
}

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A certificate or handshake failure: no retry will change it, so it is a FerryError. */
function tlsError(error: unknown, url: URL): FerryError | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const host = url.host;
  // OpenSSL's text: "80CC…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…".
  const reason =
    /SSL routines:[^:]*:([^:]+)/.exec((error as Error).message)?.[1]?.trim() ??
    (error as Error).message.trim();
  if (TLS_VERIFY_CODES.has(code)) {
    return new FerryError(
      'ERR_FERRY_TLS',
      `the certificate of ${host} is not trusted (${code}: ${reason})`,
      {
        hint: `Give the CA bundle that signed it with "cert = /path/ca.pem" in pip.conf (or PIP_CERT), or, for a host you trust on this network, "trusted-host = ${url.hostname}".`,
        details: { url: redactUrl(url.href), code },
      },
    );
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') {
    const wantsCert = /certificate required|handshake failure|bad certificate/i.test(reason);
    return new FerryError('ERR_FERRY_TLS', `the TLS handshake with ${host} failed (${reason})`, {
      hint: wantsCert
        ? 'The server may want a client certificate: set "client-cert = /path/key-and-cert.pem" in pip.conf (or PIP_CLIENT_CERT).'
        : 'Check that the URL really speaks HTTPS, and the TLS versions the server accepts.',
      details: { url: redactUrl(url.href), code },
    });
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// One exchange (direct, through an http proxy, or through a CONNECT tunnel)

function exchange(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  settings: NetSettings,
  method: string,
  body: NetRequestBody | undefined,
): Promise<http.IncomingMessage> {
  const proxy = proxyFor(url, settings);
  const set = agents(settings);
  const trusted = isTrustedHost(url, settings.trustedHosts);
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const fail = (error: unknown): void => reject(tlsError(error, url) ?? error);
    const send = (request: http.ClientRequest): void => {
      let response: http.IncomingMessage | undefined;
      // The socket timeout keeps running while the body streams: a stall mid-body fails the
      // body with the same error.
      request.setTimeout(timeoutMs, () => {
        const stall = new StallError(timeoutMs);
        response?.destroy(stall);
        request.destroy(stall);
      });
      request.on('error', fail);
      request.on('response', (res) => {
        response = res;
        // Errors reach whoever reads the body; this keeps an unread one from crashing the process.
        res.on('error', () => undefined);
        resolve(res);
      });
      if (body === undefined) request.end();
      else if (body instanceof Uint8Array) request.end(body);
      else {
        const source = body.open();
        source.on('error', (error) => request.destroy(error));
        source.pipe(request);
      }
    };
    const base = { method, headers: { ...headers }, ...(signal ? { signal } : {}) };
    if (proxy === undefined) {
      send(
        url.protocol === 'https:'
          ? https.request(url, { ...base, agent: trusted ? set.insecure : set.secure })
          : http.request(url, { ...base, agent: set.http }),
      );
      return;
    }
    const proxyAuth = basicAuth(proxy);
    if (url.protocol === 'http:') {
      // Absolute-form request line (RFC 9112 §3.2.2) to the proxy; Host names the origin.
      const client = proxy.protocol === 'https:' ? https : http;
      send(
        client.request({
          ...base,
          host: bareHost(proxy.hostname),
          port: portOf(proxy),
          path: withoutCredentials(url),
          headers: {
            ...base.headers,
            host: url.host,
            ...(proxyAuth === undefined ? {} : { 'proxy-authorization': proxyAuth }),
          },
          agent: proxy.protocol === 'https:' ? set.secure : set.http,
        }),
      );
      return;
    }
    tunnel(proxy, url, proxyAuth, signal, timeoutMs, set).then((socket) => {
      const hostname = bareHost(url.hostname);
      send(
        https.request(url, {
          ...base,
          createConnection: () =>
            tls.connect({
              socket,
              ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
              ...set.tls,
              rejectUnauthorized: !trusted,
            }),
        }),
      );
    }, fail);
  });
}

const bareHost = (hostname: string): string => hostname.replace(/^\[|\]$/g, '');

/** `CONNECT host:port` through the proxy; resolves with the raw tunnel socket. */
function tunnel(
  proxy: URL,
  target: URL,
  proxyAuth: string | undefined,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  set: Agents,
): Promise<Socket> {
  const authority = `${target.hostname}:${portOf(target)}`;
  return new Promise((resolve, reject) => {
    const client = proxy.protocol === 'https:' ? https : http;
    const request = client.request({
      host: bareHost(proxy.hostname),
      port: portOf(proxy),
      method: 'CONNECT',
      path: authority,
      headers: {
        host: authority,
        ...(proxyAuth === undefined ? {} : { 'proxy-authorization': proxyAuth }),
      },
      agent: false,
      ...(proxy.protocol === 'https:' ? set.tls : {}),
      ...(signal ? { signal } : {}),
    });
    request.setTimeout(timeoutMs, () => request.destroy(new StallError(timeoutMs)));
    request.on('connect', (res, socket) => {
      request.setTimeout(0);
      if (res.statusCode === 200) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(
        new FerryError(
          'ERR_FERRY_PROXY',
          `the proxy ${redactUrl(proxy.href)} refused to connect to ${authority} (HTTP ${res.statusCode})`,
          {
            hint:
              res.statusCode === 407
                ? 'The proxy wants credentials: put them in the proxy URL (http://user:password@proxy:port) in pip.conf "proxy" or HTTPS_PROXY.'
                : 'Check the proxy settings ("proxy" in pip.conf, HTTPS_PROXY, NO_PROXY).',
            details: { proxy: redactUrl(proxy.href), status: res.statusCode },
          },
        ),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

function respond(res: http.IncomingMessage, url: string, decompress: boolean): NetResponse {
  const encoding = decompress
    ? String(res.headers['content-encoding'] ?? '')
        .trim()
        .toLowerCase()
    : '';
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  let stream: Readable = res;
  if (decoder !== undefined) {
    stream = decoder;
    pipeline(res, decoder, () => undefined);
  }
  const body = Object.assign(stream, {
    cancel: async (): Promise<void> => {
      res.destroy();
      decoder?.destroy();
    },
  });
  return {
    status: res.statusCode ?? 0,
    url,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : String(value);
      },
    },
    body,
  };
}

// ---------------------------------------------------------------------------------------------
// file: URLs

async function fileResponse(url: URL, headers: Record<string, string>): Promise<NetResponse> {
  const path = fileURLToPath(withoutCredentials(url));
  const info = await stat(path).catch(() => undefined);
  const href = withoutCredentials(url);
  const make = (
    status: number,
    fields: Record<string, string>,
    body: Readable | undefined,
  ): NetResponse => {
    const stream = body ?? Readable.from([]);
    return {
      status,
      url: href,
      headers: { get: (name) => fields[name.toLowerCase()] ?? null },
      body: Object.assign(stream, {
        cancel: async (): Promise<void> => {
          stream.destroy();
        },
      }),
    };
  };
  if (info === undefined || !info.isFile()) return make(404, {}, undefined);
  const size = info.size;
  const range = /^bytes=(\d*)-(\d*)$/.exec(headers.range ?? '');
  if (range !== null && (range[1] !== '' || range[2] !== '')) {
    let start: number;
    let end: number;
    if (range[1] === '') {
      start = Math.max(0, size - Number(range[2]));
      end = size - 1;
    } else {
      start = Number(range[1]);
      end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
    }
    if (start >= size || end < start)
      return make(416, { 'content-range': `bytes */${size}` }, undefined);
    return make(
      206,
      {
        'content-length': String(end - start + 1),
        'content-range': `bytes ${start}-${end}/${size}`,
      },
      createReadStream(path, { start, end }),
    );
  }
  return make(200, { 'content-length': String(size) }, createReadStream(path));
}
