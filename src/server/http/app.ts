/**
 * `ferry serve`'s routes over an index store, as one request handler with no framework:
 *
 *   /<index>/simple/            the project list   (PEP 503 HTML / PEP 691 JSON, negotiated)
 *   /<index>/simple/<project>/  a project's files  (same; other spellings redirect, as Warehouse)
 *   /files/ab/<sha256>/<file>   the files and their PEP 658/714 `.metadata` (Range, ETag, 304)
 *   /<index>/                   POST: the legacy upload API (twine)
 *   /, /ui/…                    pages for people
 *
 * Every request reads the store's `current` generation once and serves everything it sends
 * from that generation's folder, so a publish in between never mixes two generations, and a
 * new generation is served from the next request on, without a restart. The pages of a
 * generation are read, hashed and compressed once (page-cache.ts), never per request.
 */
import { createReadStream, readlinkSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../core/errors.js';
import { redactText } from '../../core/redact.js';
import { isValidProjectName, type NormalizedName, normalizeName } from '../../standards/name.js';
import {
  renderBundles,
  renderHome,
  renderIncoming,
  renderMissingProject,
  renderProject,
} from '../pages/ui.js';
import { STORE_FILES } from '../store/layout.js';
import { renderIndexHtml, renderIndexJson } from '../store/render.js';
import type { CatalogProject, CurrentGeneration, IndexStore, TokenInfo } from '../store/types.js';
import {
  isAllowed,
  type OfferedProject,
  renderOfferedHtml,
  renderOfferedJson,
  type Upstream,
  type UpstreamFetched,
} from '../upstream/index.js';
import { notModified, parseRange, rangeStillValid } from './conditional.js';
import { FileCache } from './file-cache.js';
import {
  type Encoding,
  FORMAT_VALUES,
  formatOverride,
  negotiateEncoding,
  negotiateSimple,
  SIMPLE_JSON,
  type SimpleFormat,
} from './negotiate.js';
import { type CachedPage, isCompressed, PageCache } from './page-cache.js';
import { parseRequestPath } from './request-path.js';
import { receiveUpload, type UploadDone, UploadRefused } from './upload.js';

export interface ServeOptions {
  readonly store: IndexStore;
  /** Reads need a token too (basic auth, as pip sends `https://user:token@host/…`). */
  readonly readAuth?: boolean;
  /** The largest file an upload may carry, in bytes (default 2 GiB). */
  readonly maxUploadBytes?: number;
  /** Where an upload streams to before the store takes it (default: the OS temp folder). */
  readonly tmpDir?: string;
  /** Called after each request has been answered. */
  readonly onRequest?: (entry: RequestLog) => void;
  /** Called after a file was uploaded and published. */
  readonly onUpload?: (upload: UploadDone) => void;
  /**
   * `--upstream`: its index (`upstream`) is served as a pull-through view: the approved
   * index's projects, then what the upstream offers for names no local index has.
   */
  readonly upstream?: Upstream;
  /** Called after a file was fetched from the upstream and published. */
  readonly onUpstreamFetch?: (fetched: UpstreamFetched) => void;
  readonly now?: () => Date;
}

export interface RequestLog {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
}

export const DEFAULT_MAX_UPLOAD = 2 * 1024 ** 3;
/** Text fields of an upload together (a long README as `description` included). */
const MAX_FIELD_BYTES = 16 * 1024 * 1024;

const PAGE_CACHE_CONTROL = 'public, max-age=60';
const FILE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
const UI_CACHE_CONTROL = 'no-cache';
// The pages for people carry no script at all; nothing else may load either.
const UI_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const HEX64 = /^[0-9a-f]{64}$/;
const STREAM_CHUNK = 256 * 1024;

/** Size and mtime of a regular file; undefined for anything else or nothing. */
async function fileInfo(
  path: string | undefined,
): Promise<{ size: number; mtime: Date } | undefined> {
  if (path === undefined) return undefined;
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() === true ? { size: info.size, mtime: info.mtime } : undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly head: boolean;
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  /** The raw query with its '?', for redirects. */
  readonly search: string;
}

function send(
  ctx: Pick<Ctx, 'res' | 'head'>,
  status: number,
  headers: OutgoingHttpHeaders,
  body: Buffer | string = '',
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  ctx.res.writeHead(status, {
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': bytes.length,
    ...headers,
  });
  ctx.res.end(ctx.head ? undefined : bytes);
}

const text = (
  ctx: Pick<Ctx, 'res' | 'head'>,
  status: number,
  message: string,
  headers: OutgoingHttpHeaders = {},
) => send(ctx, status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, `${message}\n`);

const redirect = (ctx: Ctx, location: string): void =>
  send(
    ctx,
    301,
    { Location: location, 'Content-Type': 'text/plain; charset=utf-8' },
    `see ${location}\n`,
  );

/** The token in an Authorization header: basic auth's password (any user, `__token__` too), or Bearer. */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') return value || undefined;
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
}

const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Basic realm="ferry index", charset="UTF-8"' };

/** Which indexes exist, for messages that say what there is. */
const indexList = (gen: CurrentGeneration): string[] => Object.keys(gen.catalog.indexes).sort();

/** PEP 691's Content-Type of a page in `format`. */
const pageType = (format: SimpleFormat): string =>
  format === SIMPLE_JSON ? format : `${format}; charset=utf-8`;

export function createServeHandler(options: ServeOptions): Handler {
  const { store, upstream } = options;
  const pages = new PageCache();
  const smallFiles = new FileCache();
  const now = options.now ?? (() => new Date());
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
  const tmp = options.tmpDir ?? tmpdir();

  /**
   * Reads `current` once; every read of this request goes under the folder it names. The link
   * is read with readlinkSync: a few microseconds on the event loop, where the thread pool's
   * round trip costs several times that and was a fifth of the CPU time per page in
   * `npm run bench:server`'s profile. The generation it names is parsed once.
   */
  const currentLink = join(store.dir, STORE_FILES.current);
  let last: CurrentGeneration | undefined;
  const current = async (): Promise<CurrentGeneration> => {
    let target: string | undefined;
    try {
      target = readlinkSync(currentLink);
    } catch {
      target = undefined;
    }
    if (last !== undefined && target === `${STORE_FILES.generations}/${last.generation}`)
      return last;
    last = await store.current();
    return last;
  };

  async function authenticate(ctx: Ctx): Promise<TokenInfo | undefined> {
    const token = tokenFromAuthorization(ctx.req.headers.authorization);
    if (token === undefined) {
      text(
        ctx,
        401,
        'this index needs a token: basic auth with any user (or __token__) and a token from "ferry token create"',
        WWW_AUTHENTICATE,
      );
      return undefined;
    }
    const info = await store.tokens.check(token, 'upload');
    if (info === undefined) {
      text(ctx, 403, 'the token is not valid here (unknown, revoked, or without the upload scope)');
      return undefined;
    }
    return info;
  }

  async function sendPage(
    ctx: Ctx,
    page: CachedPage,
    contentType: string,
    cacheControl: string,
    extra: OutgoingHttpHeaders = {},
  ): Promise<void> {
    const headers: OutgoingHttpHeaders = {
      'Content-Type': contentType,
      ETag: page.etag,
      'Last-Modified': page.lastModified.toUTCString(),
      'Cache-Control': cacheControl,
      Vary: 'Accept, Accept-Encoding',
      ...extra,
    };
    if (notModified(ctx.req.headers, page.etag, page.lastModified)) {
      ctx.res.writeHead(304, headers);
      ctx.res.end();
      return;
    }
    const encoding: Encoding = negotiateEncoding(ctx.req.headers['accept-encoding']);
    const compressed = isCompressed(page, encoding);
    send(
      ctx,
      200,
      compressed ? { ...headers, 'Content-Encoding': encoding } : headers,
      page.encoded(encoding),
    );
  }

  /** The page format a request asks for (?format= over Accept); undefined: answered already. */
  function pageFormat(ctx: Ctx): SimpleFormat | undefined {
    const override = ctx.query.get('format');
    if (override !== null) {
      const format = formatOverride(override);
      if (format === undefined)
        text(ctx, 400, `?format=${override} is not one of: ${FORMAT_VALUES.join(', ')}`);
      return format;
    }
    const format = negotiateSimple(ctx.req.headers.accept);
    if (format === undefined)
      text(
        ctx,
        406,
        `none of the accepted types is served here; ask for one of ${FORMAT_VALUES.slice(2).join(', ')}`,
        { Vary: 'Accept' },
      );
    return format;
  }

  /**
   * The normalized project of `/<index>/simple/<project>/`, or undefined when the request was
   * answered (not a project page: 404; another spelling or no trailing slash: 301).
   */
  function projectOfPath(ctx: Ctx, index: string, rest: readonly string[]): string | undefined {
    const [project = '', ...tail] = rest;
    if (!isValidProjectName(project) || tail.length > 1 || (tail.length === 1 && tail[0] !== '')) {
      text(
        ctx,
        404,
        `"${ctx.segments.join('/')}" is not a page of this index; projects are at /${index}/simple/<project>/`,
      );
      return undefined;
    }
    const normalized = normalizeName(project);
    // PEP 503: a client may ask with any spelling; Warehouse answers 301 to the normalized URL.
    if (normalized !== project || tail.length === 0) {
      redirect(ctx, `/${encodeURIComponent(index)}/simple/${normalized}/${ctx.search}`);
      return undefined;
    }
    return normalized;
  }

  /** A page file of the generation, read and compressed once per generation. */
  async function sendPageFile(
    ctx: Ctx,
    gen: CurrentGeneration,
    pageDir: string,
    format: SimpleFormat,
  ): Promise<void> {
    const path = join(pageDir, format === SIMPLE_JSON ? 'index.json' : 'index.html');
    const page = await pages.get(gen.generation, path, async () => {
      try {
        const [body, info] = await Promise.all([readFile(path), stat(path)]);
        return { body, lastModified: info.mtime };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    });
    if (page === undefined) {
      text(ctx, 404, `generation ${gen.generation} has no page ${path.slice(gen.dir.length)}`);
      return;
    }
    await sendPage(ctx, page, pageType(format), PAGE_CACHE_CONTROL);
  }

  /** `/<index>/simple/` and `/<index>/simple/<project>/`. */
  async function simple(
    ctx: Ctx,
    gen: CurrentGeneration,
    index: string,
    rest: readonly string[],
  ): Promise<void> {
    const indexes = indexList(gen);
    const pullThrough = upstream !== undefined && index === upstream.index;
    if (!indexes.includes(index) && !pullThrough) {
      text(
        ctx,
        404,
        `no index "${index}" here; the indexes are: ${indexes.map((i) => `/${i}/simple/`).join(', ') || '(none yet)'}`,
      );
      return;
    }
    const format = pageFormat(ctx);
    if (format === undefined) return;
    const isList = rest.length === 1 && rest[0] === '';
    if (pullThrough) {
      if (isList) return upstreamList(ctx, gen, format);
      const normalized = projectOfPath(ctx, index, rest);
      if (normalized !== undefined) await upstreamProject(ctx, gen, normalized, format);
      return;
    }
    if (isList) return sendPageFile(ctx, gen, join(gen.dir, index, 'simple'), format);
    const normalized = projectOfPath(ctx, index, rest);
    if (normalized === undefined) return;
    if (!Object.hasOwn(gen.catalog.indexes[index]!.projects, normalized)) {
      const elsewhere = indexes.filter((i) =>
        Object.hasOwn(gen.catalog.indexes[i]!.projects, normalized),
      );
      const count = Object.keys(gen.catalog.indexes[index]!.projects).length;
      text(
        ctx,
        404,
        `no project "${normalized}" in index "${index}" (${count} project${count === 1 ? '' : 's'}: see /${index}/simple/)` +
          (elsewhere.length > 0
            ? `; it is in: ${elsewhere.map((i) => `/${i}/simple/${normalized}/`).join(', ')}`
            : ''),
      );
      return;
    }
    await sendPageFile(ctx, gen, join(gen.dir, index, 'simple', normalized), format);
  }

  /**
   * `/upstream/simple/`: the approved index's projects and those the store cached from the
   * upstream (a whole upstream list is not fetched: a mirror's is tens of megabytes).
   */
  async function upstreamList(
    ctx: Ctx,
    gen: CurrentGeneration,
    format: SimpleFormat,
  ): Promise<void> {
    const up = upstream!;
    const page = await pages.get(gen.generation, `upstream-list:${format}`, async () => {
      const approved = gen.catalog.indexes[store.config.approved]?.projects ?? {};
      const cached = gen.catalog.indexes[up.index]?.projects ?? {};
      const merged = new Map<string, CatalogProject>();
      for (const [name, project] of Object.entries(cached))
        if (up.localHolders(gen, name).length === 0) merged.set(name, project);
      for (const [name, project] of Object.entries(approved)) merged.set(name, project);
      const names = [...merged.keys()].sort();
      const projects = names.map((n) => merged.get(n)!);
      const body =
        format === SIMPLE_JSON ? renderIndexJson(projects) : renderIndexHtml(projects, names);
      return { body: Buffer.from(body), lastModified: new Date(gen.catalog.time) };
    });
    await sendPage(ctx, page!, pageType(format), PAGE_CACHE_CONTROL);
  }

  /**
   * `/upstream/simple/<project>/`. A name a local index has is never taken from the upstream
   * (the dependency-confusion defence): the approved page is served, or a 404 while the
   * project waits in another local index. Other names: the allowlist, then the upstream's
   * page merged with the cache (the cache alone while the upstream fails).
   */
  async function upstreamProject(
    ctx: Ctx,
    gen: CurrentGeneration,
    name: string,
    format: SimpleFormat,
  ): Promise<void> {
    const up = upstream!;
    const local = up.localHolders(gen, name);
    if (local.includes(store.config.approved))
      return sendPageFile(ctx, gen, join(gen.dir, store.config.approved, 'simple', name), format);
    if (local.length > 0) {
      text(
        ctx,
        404,
        `"${name}" is a project of this store (in ${local.map((i) => `/${i}/simple/${name}/`).join(', ')}), not approved yet; a local name is never taken from the upstream`,
      );
      return;
    }
    if (!isAllowed(up.allow, name)) {
      text(
        ctx,
        404,
        `"${name}" is not on the upstream allowlist (${up.allow?.source ?? ''}); add it there to let this server fetch it`,
      );
      return;
    }
    let project: OfferedProject | undefined;
    try {
      project = await up.project(gen, name as NormalizedName);
    } catch (error) {
      text(
        ctx,
        502,
        `the upstream ${up.shown} could not be asked for "${name}" and the store has no copy: ${redactText(error instanceof Error ? error.message : String(error))}`,
      );
      return;
    }
    if (project === undefined) {
      text(ctx, 404, `no project "${name}" here or on the upstream ${up.shown}`);
      return;
    }
    const offered = project;
    const page = await pages.get(
      gen.generation,
      `upstream:${name}:${offered.stamp}:${format}`,
      async () => ({
        body: Buffer.from(
          format === SIMPLE_JSON ? renderOfferedJson(offered) : renderOfferedHtml(offered),
        ),
        lastModified: new Date(gen.catalog.time),
      }),
    );
    await sendPage(ctx, page!, pageType(format), PAGE_CACHE_CONTROL);
  }

  /** `/files/ab/<sha256>/<filename>`: immutable, named by content, so ETag is the SHA-256. */
  async function files(ctx: Ctx): Promise<void> {
    const [, prefix = '', sha = '', filename = '', ...more] = ctx.segments;
    const urlPath = `/${ctx.segments.join('/')}`;
    const path =
      more.length === 0 && HEX64.test(sha) && prefix === sha.slice(0, 2) && filename !== ''
        ? store.filePath(urlPath)
        : undefined;
    let kept = path === undefined ? undefined : smallFiles.get(path);
    // No listing of folders: only a whole /files/ab/<sha256>/<name> is ever answered.
    let info: { size: number; mtime: Date } | undefined =
      kept !== undefined ? { size: kept.body.length, mtime: kept.mtime } : await fileInfo(path);
    if (path !== undefined && info === undefined && upstream !== undefined) {
      if (!(await fromUpstream(ctx, sha, filename))) return;
      info = await fileInfo(path);
    }
    if (path === undefined || info === undefined) {
      text(
        ctx,
        404,
        `no file ${urlPath}; files are linked from the project pages, /<index>/simple/<project>/`,
      );
      return;
    }
    const etag = `"${sha}${filename.endsWith('.metadata') ? '.metadata' : ''}"`;
    const headers: OutgoingHttpHeaders = {
      ETag: etag,
      'Last-Modified': info.mtime.toUTCString(),
      'Cache-Control': FILE_CACHE_CONTROL,
      'Accept-Ranges': 'bytes',
      'Content-Type': contentTypeOf(filename),
    };
    if (notModified(ctx.req.headers, etag, info.mtime)) {
      ctx.res.writeHead(304, headers);
      ctx.res.end();
      return;
    }
    const size = info.size;
    const range = rangeStillValid(header(ctx.req, 'if-range'), etag, info.mtime)
      ? parseRange(ctx.req.headers.range, size)
      : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      send(
        ctx,
        416,
        {
          ...headers,
          'Content-Range': `bytes */${size}`,
          'Content-Type': 'text/plain; charset=utf-8',
        },
        `the file has ${size} bytes\n`,
      );
      return;
    }
    if (kept === undefined && size > 0 && smallFiles.keeps(size)) {
      const body = await readFile(path).catch(() => undefined);
      if (body !== undefined && body.length === size) {
        kept = { body, mtime: info.mtime };
        smallFiles.set(path, kept);
      }
    }
    const [start, end, status] =
      range.kind === 'partial' ? [range.start, range.end, 206] : [0, size - 1, 200];
    ctx.res.writeHead(status, {
      'X-Content-Type-Options': 'nosniff',
      ...headers,
      'Content-Length': size === 0 ? 0 : end - start + 1,
      ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (ctx.head || size === 0) {
      ctx.res.end();
      return;
    }
    if (kept !== undefined) {
      ctx.res.end(kept.body.subarray(start, end + 1));
      return;
    }
    await new Promise<void>((resolve) => {
      // Larger reads than the default 64 KiB: fewer trips through the thread pool per file.
      const stream = createReadStream(path, { start, end, highWaterMark: STREAM_CHUNK });
      stream.on('error', () => {
        ctx.res.destroy();
        resolve();
      });
      ctx.res.on('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(ctx.res);
    });
  }

  /**
   * A file the store lacks, fetched from the upstream into the store (a `.metadata` file by
   * fetching its distribution). False when the request was answered here (refused, failed).
   */
  async function fromUpstream(ctx: Ctx, sha: string, filename: string): Promise<boolean> {
    const up = upstream!;
    const dist = filename.endsWith('.metadata') ? filename.slice(0, -'.metadata'.length) : filename;
    if (dist !== filename) {
      // The distribution is here but has no .metadata (an sdist, a wheel without METADATA).
      const there = store.filePath(`/files/${sha.slice(0, 2)}/${sha}/${dist}`);
      if (there !== undefined && (await stat(there).catch(() => undefined)) !== undefined) {
        text(ctx, 404, `no file /${ctx.segments.join('/')}: ${dist} has no core metadata file`);
        return false;
      }
    }
    try {
      const got = await up.fetchFile(await current(), sha, dist);
      if ('refused' in got) {
        text(ctx, 404, `no file /${ctx.segments.join('/')}: ${got.refused}`);
        return false;
      }
      options.onUpstreamFetch?.(got);
      return true;
    } catch (error) {
      const message = redactText(error instanceof Error ? error.message : String(error));
      // A hash that differs from the upstream page's is refused: the file is not published.
      text(ctx, 502, `${dist} was not taken from the upstream ${up.shown}: ${message}`);
      return false;
    }
  }

  async function ui(ctx: Ctx, gen: CurrentGeneration): Promise<void> {
    const [first = '', second, third, ...more] = ctx.segments;
    const key = `ui:${ctx.segments.join('/')}`;
    const html = 'text/html; charset=utf-8';
    const headers = { 'Content-Security-Policy': UI_CSP };
    const cached = (render: () => string | undefined) =>
      pages.get(gen.generation, key, async () => {
        const body = render();
        return body === undefined
          ? undefined
          : { body: Buffer.from(body), lastModified: new Date(gen.catalog.time) };
      });
    if (ctx.segments.length === 1 && first === '') {
      const q = ctx.query.get('q') ?? undefined;
      // A search is rendered for that request; the plain list is cached with the generation.
      const page =
        q === undefined || q === ''
          ? await cached(() => renderHome(gen.catalog, undefined))
          : undefined;
      if (page !== undefined) return sendPage(ctx, page, html, UI_CACHE_CONTROL, headers);
      send(
        ctx,
        200,
        { 'Content-Type': html, 'Cache-Control': UI_CACHE_CONTROL, ...headers },
        renderHome(gen.catalog, q),
      );
      return;
    }
    if (
      first === 'ui' &&
      second === 'project' &&
      third !== undefined &&
      third !== '' &&
      (more.length === 0 || (more.length === 1 && more[0] === ''))
    ) {
      const normalized = isValidProjectName(third) ? normalizeName(third) : undefined;
      if (normalized !== undefined && normalized !== third) {
        redirect(ctx, `/ui/project/${normalized}`);
        return;
      }
      const page =
        normalized === undefined
          ? undefined
          : await cached(() =>
              renderProject(gen.catalog, normalized, more.length === 1 ? '../../../' : '../../'),
            );
      if (page === undefined) {
        send(
          ctx,
          404,
          { 'Content-Type': html, ...headers },
          renderMissingProject(gen.catalog, third),
        );
        return;
      }
      return sendPage(ctx, page, html, UI_CACHE_CONTROL, headers);
    }
    if (first === 'ui' && (second === 'bundles' || second === 'incoming') && third === undefined) {
      const page = await cached(() =>
        second === 'bundles'
          ? renderBundles(gen.catalog)
          : renderIncoming(gen.catalog, store.config.incoming),
      );
      return sendPage(ctx, page!, html, UI_CACHE_CONTROL, headers);
    }
    notFound(ctx, gen);
  }

  function notFound(ctx: Ctx, gen: CurrentGeneration): void {
    const indexes = indexList(gen);
    text(
      ctx,
      404,
      [
        `nothing at /${ctx.segments.join('/')}. This server has:`,
        ...indexes.map((i) => `  /${i}/simple/   the "${i}" index (pip --index-url)`),
        '  /files/…        the files the index pages link',
        '  /               the projects, for people (/ui/bundles, /ui/incoming)',
      ].join('\n'),
    );
  }

  async function upload(ctx: Ctx, first: string): Promise<void> {
    const { req } = ctx;
    const token = await authenticate(ctx);
    if (token === undefined) return;
    if (!Object.hasOwn(store.config.indexes, first)) {
      text(
        ctx,
        404,
        `no index "${first}" to upload to; the indexes are: ${Object.keys(store.config.indexes)
          .map((i) => `/${i}/`)
          .join(', ')}`,
      );
      return;
    }
    if (upstream !== undefined && first === upstream.index) {
      text(
        ctx,
        403,
        `index "${first}" holds only files fetched from the upstream; upload to /${store.config.incoming}/ instead`,
      );
      return;
    }
    // An upload carries no signature: an index whose policy wants signers (approved) takes
    // bundles only, through `ferry import`.
    const required = store.config.indexes[first]?.requireSigners ?? 0;
    if (required > 0) {
      text(
        ctx,
        403,
        `index "${first}" takes only bundles signed by ${required} trusted key${required === 1 ? '' : 's'} ("ferry import"); upload to /${store.config.incoming}/ instead`,
      );
      return;
    }
    try {
      const done = await receiveUpload(
        req,
        store,
        first,
        token,
        { maxUploadBytes, maxFieldBytes: MAX_FIELD_BYTES, tmpDir: tmp },
        now,
      );
      options.onUpload?.(done);
      text(
        ctx,
        200,
        `OK: ${done.filename} is in "${first}" (generation ${done.result.generation})`,
      );
    } catch (error) {
      if (error instanceof UploadRefused) {
        text(ctx, error.status, error.message);
        return;
      }
      if (error instanceof FerryError) {
        text(
          ctx,
          // 409 for a file name the index has with other bytes, which twine's
          // --skip-existing recognizes as "already there".
          error.code === 'ERR_FERRY_UNTRUSTED'
            ? 403
            : error.code === 'ERR_FERRY_FILE_CONFLICT'
              ? 409
              : 400,
          `${error.message}\n${error.hint}`,
        );
        return;
      }
      throw error;
    }
  }

  async function route(ctx: Ctx): Promise<void> {
    const { req, segments } = ctx;
    const method = req.method ?? 'GET';
    const [first = '', second] = segments;
    const isUpload =
      segments.length <= 2 &&
      first !== '' &&
      first !== 'files' &&
      first !== 'ui' &&
      (second === undefined || second === '');
    if (method === 'POST' && isUpload) {
      try {
        await upload(ctx, first);
      } finally {
        drainOrCut(req);
      }
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      text(
        ctx,
        405,
        `${method} is not served here${isUpload ? '' : '; uploads are POSTs to /<index>/'}`,
        { Allow: isUpload ? 'GET, HEAD, POST' : 'GET, HEAD' },
      );
      return;
    }
    if (options.readAuth === true && (await authenticate(ctx)) === undefined) return;
    if (first === 'files') return files(ctx);
    const gen = await current();
    if (
      second === 'simple' &&
      segments.length === 2 &&
      (Object.hasOwn(gen.catalog.indexes, first) || first === upstream?.index)
    ) {
      redirect(ctx, `/${encodeURIComponent(first)}/simple/${ctx.search}`);
      return;
    }
    if (second === 'simple') return simple(ctx, gen, first, segments.slice(2));
    if (first === '' || first === 'ui') return ui(ctx, gen);
    notFound(ctx, gen);
  }

  return async (req, res) => {
    const started = performance.now();
    const head = req.method === 'HEAD';
    const parsed = parseRequestPath(req.url);
    const target = req.url ?? '';
    try {
      if (!parsed.ok) {
        text({ res, head }, 400, `refused: ${parsed.reason}`);
      } else {
        const q = target.indexOf('?');
        await route({
          req,
          res,
          head,
          segments: parsed.segments,
          query: parsed.query,
          search: q < 0 ? '' : target.slice(q),
        });
      }
    } catch (error) {
      if (!res.headersSent) {
        text(
          { res, head },
          500,
          `internal error: ${error instanceof Error ? error.message : String(error)}`,
        );
      } else {
        res.destroy();
      }
    } finally {
      const path = target.split('?')[0] ?? '';
      options.onRequest?.({
        method: req.method ?? '',
        path,
        status: res.statusCode,
        ms: performance.now() - started,
      });
    }
  };
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** What a refused upload may still send before its connection is cut (not read to the end). */
const DRAIN_LIMIT = 8 * 1024 * 1024;

/**
 * After an upload was answered before its body was read (a refusal), the rest is read and
 * dropped so that the client, which sends the whole body before it reads the answer (as
 * requests does), sees the status instead of a reset; past DRAIN_LIMIT the socket is cut.
 */
function drainOrCut(req: IncomingMessage): void {
  if (req.complete) return;
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_LIMIT) req.socket.destroy();
  });
  req.resume();
}

function contentTypeOf(filename: string): string {
  if (filename.endsWith('.metadata')) return 'text/plain; charset=utf-8';
  if (filename.endsWith('.json')) return 'application/json';
  if (filename.endsWith('.tar.gz')) return 'application/gzip';
  if (filename.endsWith('.zip') || filename.endsWith('.whl')) return 'application/zip';
  return 'application/octet-stream';
}
