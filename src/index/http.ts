import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { hashFile } from '../core/hash-file.js';
import { redactText, redactUrl } from '../core/redact.js';

export interface FetchOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Retries after the first attempt (default 3). */
  readonly retries?: number;
  /** Per attempt, for the whole response (default 30 s). */
  readonly timeoutMs?: number;
  /** First backoff delay; doubles each retry (default 250 ms). */
  readonly backoffMs?: number;
  /** Refuse bodies larger than this (checked on Content-Length and on bytes received). */
  readonly maxBytes?: number;
  /**
   * A file:// URL naming a directory: 'index' reads its index.html (as pip does for file://
   * indexes), 'listing' returns an HTML page with one anchor per file and its #sha256 (for
   * find-links directories). Default 'index'.
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
}

export interface FetchResult<T> {
  readonly body: T;
  /** The final URL after redirects, without credentials (relative links resolve against it). */
  readonly url: string;
  /** Lower-cased media type without parameters ('' when unknown). */
  readonly contentType: string;
  readonly status: number;
}

export const HTTP_DEFAULTS = { retries: 3, timeoutMs: 30_000, backoffMs: 250 } as const;

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

const RETRY_STATUS = (status: number) => status === 429 || status >= 500;

async function fetchWithRetries(
  url: string,
  options: FetchOptions,
  range: ByteRange | undefined,
): Promise<FetchResult<Buffer> & { totalSize?: number }> {
  const { url: cleanUrl, authorization } = splitCredentials(url);
  const shown = redactUrl(url);
  if (cleanUrl.startsWith('file:')) return readFileUrl(cleanUrl, shown, options, range);

  const retries = options.retries ?? HTTP_DEFAULTS.retries;
  const backoff = options.backoffMs ?? HTTP_DEFAULTS.backoffMs;
  const started = Date.now();
  let lastCause = '';
  let lastError: unknown;
  let attempt = 0;
  for (; attempt <= retries; attempt++) {
    if (attempt > 0) {
      const retryAfter = lastError instanceof HttpStatusError ? lastError.retryAfterMs : undefined;
      const delay = Math.min(Math.max(backoff * 2 ** (attempt - 1), retryAfter ?? 0), 30_000);
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
      await sleep(delay, options.signal);
    }
    try {
      return await attemptOnce(cleanUrl, authorization, shown, options, range);
    } catch (error) {
      if (error instanceof FerryError) throw error;
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      lastError = error;
      if (error instanceof HttpStatusError) {
        lastCause = `HTTP ${error.status}`;
        if (!RETRY_STATUS(error.status)) {
          throw statusError(error.status, shown);
        }
      } else {
        lastCause = describeCause(error);
      }
    }
  }
  if (lastError instanceof HttpStatusError && !RETRY_STATUS(lastError.status)) {
    throw statusError(lastError.status, shown);
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

function statusError(status: number, shown: string): FerryError {
  const hint =
    status === 401 || status === 403
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
  const parts = [error.name === 'TimeoutError' ? 'timed out' : error.message];
  let cause = (error as { cause?: unknown }).cause;
  while (cause instanceof Error) {
    parts.push((cause as { code?: string }).code ?? cause.message);
    cause = (cause as { cause?: unknown }).cause;
  }
  return redactText(parts.join(': '));
}

async function attemptOnce(
  url: string,
  authorization: string | undefined,
  shown: string,
  options: FetchOptions,
  range: ByteRange | undefined,
): Promise<FetchResult<Buffer> & { totalSize?: number }> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (authorization !== undefined) headers.authorization = authorization;
  if (range !== undefined) {
    headers.range =
      range.start < 0
        ? `bytes=${range.start}`
        : `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}`;
  }
  const response = await fetch(url, { headers, signal, redirect: 'follow' });
  if (response.status >= 400) {
    await response.body?.cancel().catch(() => {});
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new HttpStatusError(
      response.status,
      Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 10) * 1000 : undefined,
    );
  }
  if (range !== undefined && options.rangeOnly === true && response.status !== 206) {
    await response.body?.cancel().catch(() => {});
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
    await response.body?.cancel().catch(() => {});
    throw tooLarge(shown, max);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      const buf = Buffer.from(chunk as Uint8Array);
      received += buf.length;
      options.onBytes?.(buf.length);
      if (max !== undefined && received > max) throw tooLarge(shown, max);
      chunks.push(buf);
    }
  }
  let body: Buffer = Buffer.concat(chunks);
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
  const finalUrl = splitCredentials(response.url || url).url;
  return {
    body,
    url: finalUrl,
    contentType: mediaType(response.headers.get('content-type')),
    status: response.status,
    ...(totalSize === undefined ? {} : { totalSize }),
  };
}

function tooLarge(shown: string, max: number): FerryError {
  return new FerryError('ERR_FERRY_TOO_LARGE', `${shown} is larger than ${max} bytes`, {
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

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(resolvePromise, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]!);

async function readFileUrl(
  url: string,
  shown: string,
  options: FetchOptions,
  range: ByteRange | undefined,
): Promise<FetchResult<Buffer> & { totalSize?: number }> {
  const path = fileURLToPath(new URL(url));
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new FerryError('ERR_FERRY_HTTP_STATUS', `${shown} does not exist`, {
      hint: 'Check the file:// location or path in the index/find-links settings.',
      details: { url: shown, status: 404 },
    });
  }
  if (info.isDirectory()) {
    const dirUrl = url.endsWith('/') ? url : `${url}/`;
    if ((options.directory ?? 'index') === 'index') {
      return readFileUrl(`${dirUrl}index.html`, shown, options, range);
    }
    // A find-links directory: files lie here, so hash them now and the bundle can always
    // record a hash, even though a directory listing carries none.
    const names = (await readdir(path)).sort();
    const anchors: string[] = [];
    for (const name of names) {
      const full = join(path, name);
      if (!(await stat(full)).isFile()) continue;
      const sha = await hashFile(full);
      const href = `${pathToFileURL(full).href}#sha256=${sha}`;
      anchors.push(`<a href="${escapeHtml(href)}">${escapeHtml(name)}</a>`);
    }
    const html = `<!DOCTYPE html>\n<html><body>\n${anchors.join('<br>\n')}\n</body></html>\n`;
    return { body: Buffer.from(html), url: dirUrl, contentType: 'text/html', status: 200 };
  }
  if (options.maxBytes !== undefined && info.size > options.maxBytes && range === undefined) {
    throw tooLarge(shown, options.maxBytes);
  }
  if (range !== undefined) {
    const start = range.start < 0 ? Math.max(0, info.size + range.start) : range.start;
    const end = Math.min(range.end ?? info.size, info.size);
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(Math.max(0, end - start));
      await handle.read(buf, 0, buf.length, start);
      return { body: buf, url, contentType: '', status: 206, totalSize: info.size };
    } finally {
      await handle.close();
    }
  }
  const body = await readFile(path);
  const contentType = /\.html?$/i.test(path)
    ? 'text/html'
    : /\.json$/i.test(path)
      ? 'application/vnd.pypi.simple.v1+json'
      : '';
  return { body, url, contentType, status: 200 };
}
