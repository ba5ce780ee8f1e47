/**
 * Whole pages and byte ranges for the index client: index and find-links pages, PEP 658
 * metadata files, range reads of remote wheels. The transport (proxies, TLS, redirects, stall
 * timeouts, file://) is net/request.ts; the retry policy net/retry.ts, shared with the
 * downloader. What is index-specific stays here: a file:// directory read as its index.html
 * or listed by name, media types of local pages, size limits, "not found" as data.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { hashFile } from '../core/hash-file.js';
import { redactText, redactUrl } from '../core/redact.js';
import { NET_DEFAULTS, netRequest } from '../net/request.js';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  retryDelay,
  waitFor,
} from '../net/retry.js';
import { type NetSettings, netSettings } from '../net/settings.js';
import { FactCache } from '../store/fact-cache.js';

export interface FetchOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Retries after the first attempt (default: pip's `retries`, else 4). */
  readonly retries?: number;
  /**
   * Stall timeout: an attempt fails when no byte arrives for this long (default: pip's
   * `timeout`, else 30 s). A big page that keeps arriving is never cut off.
   */
  readonly timeoutMs?: number;
  /** First backoff delay; doubles each retry, with jitter (default 250 ms). */
  readonly backoffMs?: number;
  /** Refuse bodies larger than this (checked on Content-Length and on bytes received). */
  readonly maxBytes?: number;
  /**
   * A file:// URL naming a directory: 'index' reads its index.html (as pip does for file://
   * indexes), 'listing' returns an HTML page with one anchor per file, without hashes (for
   * find-links directories: the lock hashes the files it chooses, localFileSha256).
   * Default 'index'.
   */
  readonly directory?: 'index' | 'listing';
  readonly events?: EventSink;
  /**
   * For fetchRange: when the server ignores Range and starts sending the whole file (HTTP 200),
   * stop reading at once and throw ERR_FERRY_RANGE_UNSUPPORTED instead of downloading it all.
   */
  readonly rangeOnly?: boolean;
  /** Called with the size of every body chunk received (for byte accounting). */
  readonly onBytes?: (bytes: number) => void;
  /**
   * Also give the body's SHA-256 (`FetchResult.sha256`), hashed chunk by chunk as it arrives:
   * while the rest is still on the network rather than after it (a few ms per megabyte).
   */
  readonly sha256?: boolean;
  /** Proxies, certificates, trusted hosts (default: this process's, net/settings.ts). */
  readonly net?: NetSettings;
}

export interface FetchResult<T> {
  readonly body: T;
  /** The final URL after redirects, without credentials (relative links resolve against it). */
  readonly url: string;
  /** Lower-cased media type without parameters ('' when unknown). */
  readonly contentType: string;
  readonly status: number;
  /** The body's SHA-256 (hex), when asked for with `FetchOptions.sha256` and known. */
  readonly sha256?: string;
  /** The response's caching headers (RFC 9111), for the index page cache (client.ts). */
  readonly cache?: {
    readonly etag?: string;
    readonly lastModified?: string;
    readonly cacheControl?: string;
  };
}

export const HTTP_DEFAULTS = {
  retries: DEFAULT_RETRY_POLICY.retries,
  timeoutMs: NET_DEFAULTS.timeoutMs,
  backoffMs: DEFAULT_RETRY_POLICY.backoffMs,
} as const;

/** Splits `https://user:pass@host/x` into a clean URL and an Authorization header value. */
export function splitCredentials(url: string): { url: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FerryError('ERR_FERRY_BAD_URL', `"${redactUrl(url)}" is not a valid URL`, {
      hint: 'Index and find-links locations need a scheme (https://, http:// or file://) or must be a local path.',
    });
  }
  if (parsed.username === '' && parsed.password === '') return { url };
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.toString(),
    authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
  };
}

export function isNotFound(error: unknown): boolean {
  return (
    error instanceof FerryError &&
    error.code === 'ERR_FERRY_HTTP_STATUS' &&
    (error.details?.status === 404 || error.details?.status === 410)
  );
}

export async function fetchText(
  url: string,
  options: FetchOptions = {},
): Promise<FetchResult<string>> {
  const result = await fetchBytes(url, options);
  return { ...result, body: result.body.toString('utf8') };
}

export async function fetchBytes(
  url: string,
  options: FetchOptions = {},
): Promise<FetchResult<Buffer>> {
  return fetchWithRetries(url, options, undefined);
}

/**
 * Bytes [start, end) of a remote or local file. A negative start asks for the last -start
 * bytes (`Range: bytes=-N`). Servers that ignore Range get the slice cut from the full body.
 */
export async function fetchRange(
  url: string,
  start: number,
  end: number | undefined,
  options: FetchOptions = {},
): Promise<FetchResult<Buffer> & { readonly totalSize?: number }> {
  return fetchWithRetries(url, options, { start, end });
}

interface ByteRange {
  start: number;
  end: number | undefined;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

async function fetchWithRetries(
  url: string,
  options: FetchOptions,
  range: ByteRange | undefined,
): Promise<FetchResult<Buffer> & { totalSize?: number }> {
  const { url: cleanUrl } = splitCredentials(url);
  const shown = redactUrl(url);
  if (cleanUrl.startsWith('file:')) {
    const directory = await directoryPage(cleanUrl, shown, options);
    if (directory !== undefined) return directory;
  }
  const net = options.net ?? netSettings();
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    retries: options.retries ?? net.retries ?? HTTP_DEFAULTS.retries,
    backoffMs: options.backoffMs ?? HTTP_DEFAULTS.backoffMs,
  };
  const started = Date.now();
  let lastCause = '';
  let lastError: unknown;
  let attempt = 0;
  for (; attempt <= policy.retries; attempt++) {
    if (attempt > 0) {
      const retryAfter = lastError instanceof HttpStatusError ? lastError.retryAfterMs : undefined;
      options.events?.({
        type: 'download-retry',
        filename:
          cleanUrl
            .split('/')
            .filter((s) => s !== '')
            .pop() ?? cleanUrl,
        url: shown,
        attempt,
        reason: lastCause,
      });
      await waitFor(retryDelay(policy, attempt, retryAfter), options.signal);
    }
    try {
      return await attemptOnce(url, cleanUrl, shown, options, net, range);
    } catch (error) {
      if (error instanceof FerryError) throw error;
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      lastError = error;
      if (error instanceof HttpStatusError) {
        lastCause = `HTTP ${error.status}`;
        if (!isRetryableStatus(error.status)) throw statusError(error.status, shown, cleanUrl);
      } else {
        lastCause = describeCause(error);
      }
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  throw new FerryError(
    'ERR_FERRY_INDEX_UNREACHABLE',
    `could not fetch ${shown}: ${attempt} attempt${attempt === 1 ? '' : 's'} failed in ${seconds} s (last: ${lastCause})`,
    {
      hint: 'Check the URL and that this host can reach it (proxy, DNS, certificate); pip.conf may point to a mirror that is down.',
      details: { url: shown, attempts: attempt, seconds: Number(seconds), lastCause },
    },
  );
}

function statusError(status: number, shown: string, url: string): FerryError {
  if (url.startsWith('file:')) {
    return new FerryError('ERR_FERRY_HTTP_STATUS', `${shown} does not exist`, {
      hint: 'Check the file:// location or path in the index/find-links settings.',
      details: { url: shown, status },
    });
  }
  const hint =
    status === 407
      ? 'The proxy wants credentials: put them in the proxy URL (http://user:password@proxy:port) in pip.conf "proxy" or HTTP_PROXY.'
      : status === 401 || status === 403
        ? 'The index wants credentials: put them in the index URL (https://user:token@host/...) in pip.conf or PIP_INDEX_URL.'
        : status === 404 || status === 410
          ? 'The index does not have this page.'
          : 'The server refused the request.';
  return new FerryError('ERR_FERRY_HTTP_STATUS', `${shown} answered HTTP ${status}`, {
    hint,
    details: { url: shown, status },
  });
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return redactText(String(error));
  const parts = [error.message];
  let cause = (error as { cause?: unknown }).cause;
  while (cause instanceof Error) {
    parts.push((cause as { code?: string }).code ?? cause.message);
    cause = (cause as { cause?: unknown }).cause;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && !parts[0]!.includes(code)) parts.push(code);
  return redactText(parts.join(': '));
}

async function attemptOnce(
  url: string,
  cleanUrl: string,
  shown: string,
  options: FetchOptions,
  net: NetSettings,
  range: ByteRange | undefined,
): Promise<FetchResult<Buffer> & { totalSize?: number }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (range !== undefined) {
    headers.range =
      range.start < 0
        ? `bytes=${range.start}`
        : `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}`;
  }
  const response = await netRequest(url, {
    headers,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    // Whole pages may come compressed; a byte range must be of the file itself.
    decompress: range === undefined,
    settings: net,
  });
  if (response.status >= 400) {
    await response.body.cancel();
    throw new HttpStatusError(
      response.status,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
  if (range !== undefined && options.rangeOnly === true && response.status !== 206) {
    await response.body.cancel();
    throw new FerryError(
      'ERR_FERRY_RANGE_UNSUPPORTED',
      `${shown} ignored a Range request (HTTP ${response.status})`,
      {
        hint: 'The server cannot serve parts of files; ferry downloads the whole file instead.',
        details: { url: shown, status: response.status },
      },
    );
  }
  const max = options.maxBytes;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (max !== undefined && Number.isFinite(declared) && declared > max) {
    await response.body.cancel();
    throw tooLarge(shown, max);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  // A range's body is a slice of the file: its digest would name neither.
  const hash = options.sha256 === true && range === undefined ? createHash('sha256') : undefined;
  for await (const chunk of response.body) {
    // A view, not a copy: Buffer.from(Uint8Array) copies byte by byte (8 ms a warm lock).
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    received += buf.length;
    options.onBytes?.(buf.length);
    if (max !== undefined && received > max) {
      await response.body.cancel();
      throw tooLarge(shown, max);
    }
    chunks.push(buf);
    hash?.update(buf);
  }
  let body: Buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
  let totalSize: number | undefined;
  if (range !== undefined) {
    if (response.status === 206) {
      const total = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '');
      if (total) totalSize = Number(total[1]);
    } else {
      totalSize = body.length;
      body = sliceRange(body, range);
    }
  }
  const finalUrl = splitCredentials(response.url || cleanUrl).url;
  const etag = response.headers.get('etag') ?? undefined;
  const lastModified = response.headers.get('last-modified') ?? undefined;
  const cacheControl = response.headers.get('cache-control') ?? undefined;
  return {
    body,
    url: finalUrl,
    ...(hash === undefined ? {} : { sha256: hash.digest('hex') }),
    cache: {
      ...(etag === undefined ? {} : { etag }),
      ...(lastModified === undefined ? {} : { lastModified }),
      ...(cacheControl === undefined ? {} : { cacheControl }),
    },
    contentType: finalUrl.startsWith('file:')
      ? fileContentType(finalUrl)
      : mediaType(response.headers.get('content-type')),
    status: response.status,
    ...(totalSize === undefined ? {} : { totalSize }),
  };
}

function tooLarge(shown: string, max: number): FerryError {
  return new FerryError('ERR_FERRY_TOO_LARGE', `${shown} is larger than ${max} bytes`, {
    hint: "ferry stops reading there so that one response cannot exhaust memory: check that this URL serves what it should (an index page, or a file's metadata).",
    details: { url: shown, maxBytes: max },
  });
}

function sliceRange(body: Buffer, range: ByteRange): Buffer {
  if (range.start < 0) return body.subarray(Math.max(0, body.length + range.start));
  return body.subarray(range.start, range.end);
}

export function mediaType(header: string | null | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]!);

/**
 * A file:// URL naming a directory: its index.html (pip reads a local index that way), or, for
 * find-links, a listing of its files by name. Undefined for anything that is not a directory
 * (read through net/request.ts).
 */
async function directoryPage(
  url: string,
  shown: string,
  options: FetchOptions,
): Promise<FetchResult<Buffer> | undefined> {
  const path = fileURLToPath(new URL(url));
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) return undefined;
  const dirUrl = url.endsWith('/') ? url : `${url}/`;
  if ((options.directory ?? 'index') === 'index') {
    return fetchWithRetries(
      `${dirUrl}index.html`,
      { ...options, directory: 'index' },
      undefined,
    ).catch((error: unknown) => {
      if (isNotFound(error)) throw statusError(404, shown, url);
      throw error;
    });
  }
  // Names only: hashing every file (a 190 MB torch wheel beside the one file wanted) would
  // cost more than the whole lock. The lock hashes the files it chooses (localFileSha256).
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const anchors: string[] = [];
  for (const entry of entries) {
    const full = join(path, entry.name);
    // readdir's type answers for a regular file; only a link needs a stat to see where it leads.
    const isFile =
      entry.isFile() ||
      (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile() === true);
    if (!isFile) continue;
    anchors.push(`<a href="${escapeHtml(pathToFileURL(full).href)}">${escapeHtml(entry.name)}</a>`);
  }
  const html = `<!DOCTYPE html>\n<html><body>\n${anchors.join('<br>\n')}\n</body></html>\n`;
  return { body: Buffer.from(html), url: dirUrl, contentType: 'text/html', status: 200 };
}

/**
 * SHA-256 of a local file (a find-links folder's file, listed without hashes), recorded in
 * the fact cache while the file's size and mtime are unchanged, so a warm lock hashes nothing.
 */
export async function localFileSha256(path: string, cacheDir?: string): Promise<string> {
  if (cacheDir === undefined) return hashFile(path);
  return new FactCache(cacheDir).get('file-sha256', { values: { path }, files: [path] }, () =>
    hashFile(path),
  );
}

/** Local files carry no Content-Type: tell pages by their name, as pip does for file:// links. */
function fileContentType(url: string): string {
  const path = new URL(url).pathname;
  if (/\.html?$/i.test(path)) return 'text/html';
  if (/\.json$/i.test(path)) return 'application/vnd.pypi.simple.v1+json';
  return '';
}
