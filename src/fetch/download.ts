/**
 * The downloader: parallel, resumable, hash-checked, into a content-addressed cache.
 *
 * A download streams into `<cache>/partial/<sha256>.part` while it is hashed. A later run
 * (after a crash, a kill, a dropped link) re-hashes those bytes and asks for the rest with
 * `Range: bytes=N-`. Nothing counts as downloaded until the whole file has the SHA-256 the
 * index promised; only then is it renamed into the cache. pnpm's habits are followed: never
 * retry 401/403/404, do retry an integrity failure (once), cap the size by Content-Length and
 * by the bytes actually streamed. Requests go through net/request.ts and wait as net/retry.ts
 * says, like every other request ferry makes.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FerryError, isFerryError } from '../core/errors.js';
import { type EventSink, ignoreEvents } from '../core/events.js';
import { HASH_READ_CHUNK } from '../core/hash-file.js';
import { redactText, redactUrl } from '../core/redact.js';
import { NET_DEFAULTS, netRequest } from '../net/request.js';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  retryDelay,
} from '../net/retry.js';
import { type NetSettings, netSettings } from '../net/settings.js';
import type { ContentCache } from './cache.js';
import { normalizeSha256 } from './cache.js';

export interface DownloadRequest {
  readonly url: string;
  readonly filename: string;
  /** Expected SHA-256 (hex), from the index or lock file. Required: nothing is taken unchecked. */
  readonly sha256: string;
  /** Expected size in bytes, when the index says (PEP 691 `size`). */
  readonly size?: number;
  /** Alternative URLs for the same file, tried in order after `url`. */
  readonly mirrors?: readonly string[];
}

export interface DownloadResult {
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  /** The file in the cache. */
  readonly path: string;
  readonly fromCache: boolean;
  /** Where the bytes came from, redacted (safe to record in a manifest). */
  readonly url: string;
}

/** The part of a fetch Response the downloader uses; injectable for tests. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: (AsyncIterable<Uint8Array> & { cancel?(reason?: unknown): Promise<void> }) | null;
}

export interface FetchInit {
  readonly method: 'GET';
  readonly headers: Record<string, string>;
  readonly signal: AbortSignal;
  readonly redirect: 'follow';
}

export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface DownloadOptions {
  cache: ContentCache;
  /** Downloads at once (default 4). */
  concurrency?: number;
  /** Retries per URL after the first attempt, for transient failures (default: pip's `retries`, else 4). */
  retries?: number;
  events?: EventSink;
  signal?: AbortSignal;
  /** Stall timeout: fail an attempt when no byte arrives for this long (default: pip's `timeout`, else 30 s). */
  timeoutMs?: number;
  /** First backoff delay; doubles per retry, with jitter (default 250 ms). */
  backoffMs?: number;
  /** Longest backoff delay (default 30 s). */
  maxBackoffMs?: number;
  /** Longest wait a server's Retry-After may ask for (default 60 s). */
  maxRetryAfterMs?: number;
  /** Re-hash a cached file once per process before trusting it (default true). */
  verifyCache?: boolean;
  /** The HTTP client (default: net/request.ts with `net`, see nodeFetch); tests inject one. */
  fetch?: FetchLike;
  /** Proxies, certificates, trusted hosts, pip's timeout and retries (default: this process's). */
  net?: NetSettings;
  userAgent?: string;
}

const DEFAULTS = {
  concurrency: 4,
  timeoutMs: NET_DEFAULTS.timeoutMs,
  userAgent: NET_DEFAULTS.userAgent,
} as const;

/** Progress is reported at most every 256 KiB or 100 ms, whichever comes first. */
const PROGRESS_BYTES = 256 * 1024;
const PROGRESS_MS = 100;
/** Attempts that moved the download forward do not use up retries, up to this many. */
const MAX_PROGRESS_ATTEMPTS = 50;

/**
 * The default transport: net/request.ts (node:http/https, proxies, certificates, redirects
 * without the Authorization header when they leave the host), with this process's settings.
 */
export const nodeFetch: FetchLike = (url, init) => fetchWith(undefined, undefined)(url, init);

function fetchWith(settings: NetSettings | undefined, timeoutMs: number | undefined): FetchLike {
  return (url, init) =>
    netRequest(url, {
      headers: init.headers,
      signal: init.signal,
      ...(settings === undefined ? {} : { settings }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
}

// ---------------------------------------------------------------------------------------------
// Failure kinds inside one download. Only FerryErrors leave this module.

/** A failure worth another attempt at the same URL (connection, stall, 5xx, 429). */
class TransientError extends Error {
  readonly retryAfterMs: number | undefined;
  /** Does not use up a retry and needs no backoff (e.g. restarting after bad resumed bytes). */
  readonly free: boolean;
  constructor(
    message: string,
    options: { retryAfterMs?: number; free?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.free = options.free ?? false;
  }
}

const INTEGRITY_CODES = new Set(['ERR_FERRY_HASH_MISMATCH', 'ERR_FERRY_SIZE_MISMATCH']);
const isIntegrityError = (error: unknown): error is FerryError =>
  isFerryError(error) && INTEGRITY_CODES.has(error.code);

const abortedError = (): FerryError =>
  new FerryError('ERR_FERRY_ABORTED', 'download cancelled', {
    hint: 'partial downloads are kept; run the command again to resume them',
  });

const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return redactText(String(error));
  // undici says "fetch failed" and puts the reason (ECONNRESET, "other side closed") in cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return redactText(`${error.message}${cause}`);
};

// ---------------------------------------------------------------------------------------------
// URLs and credentials

interface DownloadSource {
  /** What is fetched: the URL without userinfo and fragment (fetch refuses userinfo). */
  readonly href: string;
  /** What is shown: redacted. */
  readonly shown: string;
  readonly authorization: string | undefined;
  readonly isFile: boolean;
}

function parseSource(url: string): DownloadSource {
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FerryError('ERR_FERRY_BAD_URL', `"${shown}" is not a URL`, {
      hint: 'Each file in the lock needs an absolute http(s):// or file:// URL; resolve again or fix the lock.',
    });
  }
  if (parsed.protocol === 'file:') {
    return { href: parsed.href, shown, authorization: undefined, isFile: true };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new FerryError('ERR_FERRY_BAD_URL', `cannot download "${shown}": unsupported scheme`, {
      hint: 'ferry downloads over http(s) or copies file:// URLs',
    });
  }
  let authorization: string | undefined;
  if (parsed.username !== '' || parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  parsed.hash = '';
  return { href: parsed.href, shown, authorization, isFile: false };
}

// ---------------------------------------------------------------------------------------------
// The partial file, and what we know of its bytes

interface PartialDownload {
  readonly path: string;
  /** SHA-256 state over exactly the bytes in the file, and their count. */
  hash: Hash;
  length: number;
}

/** Deletes the partial file (it is recreated by the next write) and forgets its hash. */
async function resetPartial(partial: PartialDownload): Promise<void> {
  await unlink(partial.path).catch(() => undefined);
  partial.hash = createHash('sha256');
  partial.length = 0;
}

async function loadPartial(path: string): Promise<PartialDownload> {
  const partial: PartialDownload = { path, hash: createHash('sha256'), length: 0 };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: HASH_READ_CHUNK })) {
      partial.hash.update(chunk as Buffer);
      partial.length += (chunk as Buffer).length;
    }
  } catch {
    await resetPartial(partial);
  }
  return partial;
}

const digestOf = (partial: PartialDownload): string => partial.hash.copy().digest('hex');

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Claims `<sha256>.part` for this process with a lock file holding our pid. When another live
 * ferry process holds it, we download into a private file instead (no resume, but no
 * interleaved writes); a lock left by a dead process is taken over.
 */
async function claimPartial(
  dir: string,
  sha: string,
): Promise<{ path: string; release: () => Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const shared = join(dir, `${sha}.part`);
  const lock = join(dir, `${sha}.lock`);
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { path: shared, release: () => unlink(lock).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) break;
      await unlink(lock).catch(() => undefined);
    }
  }
  const own = join(dir, `${sha}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
  return { path: own, release: () => unlink(own).catch(() => undefined) };
}

// ---------------------------------------------------------------------------------------------
// HTTP details

function parseLength(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function statusError(status: number, request: DownloadRequest, source: DownloadSource): FerryError {
  const hints: Record<number, string> = {
    401: 'the server wants credentials: put them in the index URL (https://user:token@host/...) or check that they are still valid',
    403: 'the server refused these credentials: check the user and token in the index URL and their permissions',
    407: 'the proxy wants credentials: put them in the proxy URL (http://user:password@proxy:port) in pip.conf "proxy" or HTTP_PROXY',
    404: 'the file is gone from the server; the index page may be stale (a mirror still syncing, or a cached page): refresh it and resolve again',
    410: 'the file was removed from the server; resolve again to pick another file',
  };
  return new FerryError(
    'ERR_FERRY_HTTP_STATUS',
    `${source.shown} answered HTTP ${status} for ${request.filename}`,
    {
      hint:
        hints[status] ??
        'the server could not serve the file: try again later, or use another mirror (--index-url, or "index-url" in pip.conf)',
      details: { url: source.shown, status, filename: request.filename },
    },
  );
}

// ---------------------------------------------------------------------------------------------
// One download

interface Context {
  readonly request: DownloadRequest;
  readonly sha: string;
  readonly options: DownloadOptions;
  readonly events: EventSink;
  readonly fetch: FetchLike;
  readonly net: NetSettings;
  readonly partial: PartialDownload;
  started: boolean;
}

function integrityError(
  ctx: Context,
  source: DownloadSource,
  kind: 'hash' | 'size',
  actual: string,
): FerryError {
  const { request, sha } = ctx;
  if (kind === 'hash') {
    return new FerryError(
      'ERR_FERRY_HASH_MISMATCH',
      `${request.filename} from ${source.shown} has SHA-256 ${actual}, expected ${sha}`,
      {
        hint: 'the file differs from what the index promised: a corrupted transfer, a mirror out of sync, or tampering; the download was deleted',
        details: { url: source.shown, filename: request.filename, expected: sha, actual },
      },
    );
  }
  return new FerryError(
    'ERR_FERRY_SIZE_MISMATCH',
    `${request.filename} from ${source.shown}: ${actual}`,
    {
      hint: 'the server sent a different file than the index describes; the download was deleted',
      details: { url: source.shown, filename: request.filename, expectedSize: request.size },
    },
  );
}

/** Streams `body` onto the end of the partial file, hashing as it goes. */
async function consume(
  ctx: Context,
  source: DownloadSource,
  body: AsyncIterable<Uint8Array>,
  contentLength: number | undefined,
  onChunk: () => void,
): Promise<void> {
  const { request, partial, events } = ctx;
  let handle: FileHandle | undefined;
  let received = 0;
  let lastBytes = partial.length;
  let lastTime = Date.now();
  try {
    handle = await open(partial.path, 'a');
    for await (const chunk of body) {
      onChunk();
      received += chunk.length;
      if (contentLength !== undefined && received > contentLength) {
        throw integrityError(
          ctx,
          source,
          'size',
          `the body is longer than its Content-Length of ${contentLength} bytes`,
        );
      }
      if (request.size !== undefined && partial.length + chunk.length > request.size) {
        throw integrityError(
          ctx,
          source,
          'size',
          `the body is longer than the ${request.size} bytes the index promised`,
        );
      }
      try {
        await handle.write(chunk);
      } catch (error) {
        throw new FerryError(
          'ERR_FERRY_WRITE_FAILED',
          `cannot write ${partial.path}: ${describe(error)}`,
          { hint: 'check free space and permissions in the cache directory', cause: error },
        );
      }
      partial.hash.update(chunk);
      partial.length += chunk.length;
      const now = Date.now();
      if (partial.length - lastBytes >= PROGRESS_BYTES || now - lastTime >= PROGRESS_MS) {
        lastBytes = partial.length;
        lastTime = now;
        events({
          type: 'download-progress',
          filename: request.filename,
          received: partial.length,
          size: request.size,
        });
      }
    }
    await handle.datasync();
  } finally {
    await handle?.close().catch(() => undefined);
  }
  if (contentLength !== undefined && received < contentLength) {
    throw new TransientError(`the connection closed after ${received} of ${contentLength} bytes`);
  }
}

/** Checks the finished partial file; deletes it when it is not the promised file. */
async function finish(ctx: Context, source: DownloadSource, resumedFrom: number): Promise<void> {
  const { request, sha, partial } = ctx;
  let failure: FerryError | undefined;
  if (request.size !== undefined && partial.length !== request.size) {
    failure = integrityError(
      ctx,
      source,
      'size',
      `got ${partial.length} bytes, the index promised ${request.size}`,
    );
  } else {
    const actual = digestOf(partial);
    if (actual !== sha) failure = integrityError(ctx, source, 'hash', actual);
  }
  if (failure === undefined) return;
  await resetPartial(ctx.partial);
  // The old bytes we resumed from may be the bad ones: start over once for free.
  if (resumedFrom > 0) {
    throw new TransientError('the resumed file did not verify; starting over from zero', {
      free: true,
    });
  }
  throw failure;
}

async function attemptFile(ctx: Context, source: DownloadSource): Promise<void> {
  await resetPartial(ctx.partial);
  let path: string;
  try {
    path = fileURLToPath(source.href);
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_FILE_NOT_FOUND',
      `${source.shown} does not exist (needed for ${ctx.request.filename})`,
      { hint: 'the local index or find-links folder may be stale; rebuild it', cause: error },
    );
  }
  if (!ctx.started) {
    ctx.started = true;
    ctx.events({
      type: 'download-start',
      filename: ctx.request.filename,
      url: source.shown,
      size: ctx.request.size,
    });
  }
  try {
    await consume(ctx, source, createReadStream(path), undefined, () => {});
  } catch (error) {
    if (isFerryError(error)) throw error;
    throw new FerryError(
      'ERR_FERRY_DOWNLOAD_FAILED',
      `cannot copy ${source.shown}: ${describe(error)}`,
      {
        hint: 'Check that the file is still there and readable by this user.',
        cause: error,
      },
    );
  }
  await finish(ctx, source, 0);
}

async function attemptHttp(ctx: Context, source: DownloadSource): Promise<void> {
  const { request, sha, partial, options } = ctx;
  // What is already on disk may be the whole file (a run killed just before the rename).
  if (partial.length > 0) {
    if (
      digestOf(partial) === sha &&
      (request.size === undefined || partial.length === request.size)
    ) {
      return;
    }
    if (request.size !== undefined && partial.length >= request.size) await resetPartial(partial);
  }
  const offset = partial.length;
  const headers: Record<string, string> = {
    'accept-encoding': 'identity', // the hash is over the file's bytes, not a re-encoding of them
    'user-agent': options.userAgent ?? DEFAULTS.userAgent,
  };
  if (source.authorization !== undefined) headers.authorization = source.authorization;
  if (offset > 0) headers.range = `bytes=${offset}-`;

  const timeoutMs = options.timeoutMs ?? ctx.net.timeoutMs ?? DEFAULTS.timeoutMs;
  const controller = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, timeoutMs);
  };
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    arm();
    const response = await ctx.fetch(source.href, {
      method: 'GET',
      headers,
      signal: controller.signal,
      redirect: 'follow',
    });
    const { status } = response;
    const discard = (): void => {
      response.body?.cancel?.().catch(() => undefined);
    };

    if (isRetryableStatus(status)) {
      discard();
      throw new TransientError(`HTTP ${status}`, {
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    if (status === 416 && offset > 0) {
      // Our partial file is not a prefix the server can continue (it is already checked above).
      discard();
      await resetPartial(partial);
      throw new TransientError('the server cannot resume from our partial file; starting over', {
        free: true,
      });
    }
    if (status !== 200 && status !== 206) {
      discard();
      throw statusError(status, request, source);
    }

    let resumedFrom = 0;
    if (status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(
        response.headers.get('content-range') ?? '',
      );
      if (offset === 0 || range === null || Number(range[1]) !== offset) {
        discard();
        await resetPartial(partial);
        throw new TransientError('the server answered with an unexpected range; starting over', {
          free: true,
        });
      }
      resumedFrom = offset;
    } else if (offset > 0) {
      // 200 to a Range request: the server sends the whole file; start from zero.
      await resetPartial(partial);
    }

    const contentLength = parseLength(response.headers.get('content-length'));
    if (
      contentLength !== undefined &&
      request.size !== undefined &&
      partial.length + contentLength !== request.size
    ) {
      discard();
      await resetPartial(partial);
      throw integrityError(
        ctx,
        source,
        'size',
        `the server announced ${partial.length + contentLength} bytes, the index promised ${request.size}`,
      );
    }
    if (response.body === null) {
      throw new TransientError('the response has no body');
    }
    if (!ctx.started || resumedFrom > 0) {
      ctx.started = true;
      ctx.events({
        type: 'download-start',
        filename: request.filename,
        url: source.shown,
        size: request.size,
        ...(resumedFrom > 0 ? { resumeFrom: resumedFrom } : {}),
      });
    }
    await consume(ctx, source, response.body, contentLength, arm);
    clearTimeout(timer);
    await finish(ctx, source, resumedFrom);
  } catch (error) {
    if (options.signal?.aborted) throw abortedError();
    if (stalled) {
      throw new TransientError(`no data for ${(timeoutMs / 1000).toFixed(1)} s`, { cause: error });
    }
    if (isIntegrityError(error)) {
      await resetPartial(partial);
      throw error;
    }
    if (isFerryError(error) || error instanceof TransientError) throw error;
    // Connection refused, reset, closed mid-body, TLS, DNS: worth another try.
    throw new TransientError(describe(error), { cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** All attempts at one URL: retries transient failures with backoff; throws a FerryError. */
async function fromUrl(ctx: Context, source: DownloadSource): Promise<void> {
  const { options, request } = ctx;
  const policy: RetryPolicy = {
    retries: options.retries ?? ctx.net.retries ?? DEFAULT_RETRY_POLICY.retries,
    backoffMs: options.backoffMs ?? DEFAULT_RETRY_POLICY.backoffMs,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULT_RETRY_POLICY.maxBackoffMs,
    maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
  };
  const started = Date.now();
  let attempts = 0;
  let failures = 0;
  let progressAttempts = 0;
  let highWater = ctx.partial.length;
  for (;;) {
    if (options.signal?.aborted) throw abortedError();
    attempts++;
    try {
      if (source.isFile) await attemptFile(ctx, source);
      else await attemptHttp(ctx, source);
      return;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      // A long download over a bad link may drop many times; each drop that moved the file
      // forward is resumed without using up a retry (the file's size bounds how often).
      const progressed = ctx.partial.length > highWater && progressAttempts < MAX_PROGRESS_ATTEMPTS;
      highWater = Math.max(highWater, ctx.partial.length);
      if (progressed) progressAttempts++;
      else if (!error.free) failures++;
      if (failures > policy.retries) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        throw new FerryError(
          'ERR_FERRY_DOWNLOAD_FAILED',
          `downloading ${request.filename} from ${source.shown} failed after ${attempts} attempts in ${seconds} s: ${error.message}`,
          {
            hint: 'check the network or proxy settings; partial downloads are kept and resumed on the next run',
            details: {
              url: source.shown,
              filename: request.filename,
              attempts,
              seconds: Number(seconds),
              cause: error.message,
            },
            cause: error,
          },
        );
      }
      const delay = error.free || progressed ? 0 : retryDelay(policy, failures, error.retryAfterMs);
      ctx.events({
        type: 'download-retry',
        filename: request.filename,
        url: source.shown,
        attempt: attempts + 1,
        reason: error.message,
      });
      if (delay > 0) {
        try {
          await sleep(delay, undefined, { signal: options.signal });
        } catch {
          throw abortedError();
        }
      }
    }
  }
}

/** Tries the URL, then each mirror; one integrity failure earns one more try. */
async function fromAnyUrl(ctx: Context, urls: readonly string[]): Promise<string> {
  const failures: { url: string; error: FerryError }[] = [];
  let integrityRetried = false;
  for (let i = 0; i < urls.length; i++) {
    const source = parseSource(urls[i]!);
    try {
      await fromUrl(ctx, source);
      return source.shown;
    } catch (error) {
      if (!isFerryError(error)) throw error;
      if (error.code === 'ERR_FERRY_ABORTED') throw error;
      if (isIntegrityError(error)) {
        if (integrityRetried) throw error;
        integrityRetried = true;
        failures.push({ url: source.shown, error });
        // The next mirror, or this URL again when there is none.
        if (i + 1 >= urls.length) i--;
        continue;
      }
      failures.push({ url: source.shown, error });
    }
  }
  const last = failures[failures.length - 1]!;
  if (failures.length === 1) throw last.error;
  const integrity = failures.find((f) => isIntegrityError(f.error));
  const lead = integrity ?? last;
  throw new FerryError(
    lead.error.code,
    `every URL for ${ctx.request.filename} failed:\n${failures
      .map((f) => `  ${f.error.message}`)
      .join('\n')}`,
    {
      hint: lead.error.hint ?? failures.find((f) => f.error.hint !== undefined)?.error.hint,
      details: {
        filename: ctx.request.filename,
        failures: failures.map((f) => ({
          url: f.url,
          code: f.error.code,
          message: f.error.message,
          details: f.error.details,
        })),
      },
      cause: lead.error,
    },
  );
}

/** Downloads of the same file in this process take turns (the second finds it cached). */
const turns = new Map<string, Promise<unknown>>();

async function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(work);
  turns.set(key, mine);
  try {
    return await mine;
  } finally {
    if (turns.get(key) === mine) turns.delete(key);
  }
}

export async function downloadOne(
  request: DownloadRequest,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const events = options.events ?? ignoreEvents;
  const urls = [...new Set([request.url, ...(request.mirrors ?? [])])];
  try {
    const sha = normalizeSha256(request.sha256);
    const { cache } = options;
    const verify = options.verifyCache ?? true;
    return await inTurn(`${cache.dir}\0${sha}`, async () => {
      const cachedPath = cache.pathFor(sha);
      if (await cache.has(sha, { verify })) {
        events({ type: 'download-cached', filename: request.filename, sha256: sha });
        const { size } = await stat(cachedPath);
        return {
          filename: request.filename,
          sha256: sha,
          size,
          path: cachedPath,
          fromCache: true,
          url: redactUrl(request.url),
        };
      }
      if (options.signal?.aborted) throw abortedError();
      const claim = await claimPartial(cache.partialDir, sha);
      try {
        const partial = await loadPartial(claim.path);
        const ctx: Context = {
          request,
          sha,
          options,
          events,
          fetch: options.fetch ?? fetchWith(options.net, options.timeoutMs),
          net: options.net ?? netSettings(),
          partial,
          started: false,
        };
        const url = await fromAnyUrl(ctx, urls);
        const size = partial.length;
        const path = await cache.put(sha, partial.path, { alreadyVerified: true });
        events({ type: 'download-done', filename: request.filename, sha256: sha, size });
        return { filename: request.filename, sha256: sha, size, path, fromCache: false, url };
      } finally {
        await claim.release();
      }
    });
  } catch (error) {
    const failure = isFerryError(error)
      ? error
      : new FerryError(
          'ERR_FERRY_DOWNLOAD_FAILED',
          `downloading ${request.filename} failed: ${describe(error)}`,
          {
            hint: 'Run the command again: finished files come from the cache and partial ones resume.',
            cause: error,
          },
        );
    events({
      type: 'download-failed',
      filename: request.filename,
      url: redactUrl(request.url),
      code: failure.code,
      message: failure.message,
    });
    throw failure;
  }
}

/**
 * Downloads every request, `concurrency` at a time, and returns results in request order.
 * One failure does not stop the others (what they fetched stays cached for the next run);
 * the error names every failure.
 */
export async function downloadAll(
  requests: readonly DownloadRequest[],
  options: DownloadOptions,
): Promise<DownloadResult[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULTS.concurrency));
  const results: DownloadResult[] = new Array(requests.length);
  const failures: { index: number; error: FerryError }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      const request = requests[index];
      if (request === undefined) return;
      if (options.signal?.aborted) return;
      try {
        results[index] = await downloadOne(request, options);
      } catch (error) {
        failures.push({ index, error: error as FerryError });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  if (options.signal?.aborted) throw abortedError();
  if (failures.length === 0) return results;
  failures.sort((a, b) => a.index - b.index);
  if (failures.length === 1) throw failures[0]!.error;
  throw new FerryError(
    'ERR_FERRY_DOWNLOADS_FAILED',
    `${failures.length} of ${requests.length} downloads failed:\n${failures
      .map((f) => `  ${requests[f.index]!.filename}: ${f.error.message.replace(/\n/g, '\n    ')}`)
      .join('\n')}`,
    {
      hint: 'the files that did download are cached; fix the causes above and run again',
      details: {
        failures: failures.map((f) => ({
          filename: requests[f.index]!.filename,
          code: f.error.code,
          message: f.error.message,
          hint: f.error.hint,
          details: f.error.details,
        })),
      },
    },
  );
}
