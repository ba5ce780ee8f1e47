/**
 * The serve use case: open an existing index store, listen, and report what happens as
 * events. The CLI decides when to stop (SIGINT/SIGTERM) and renders the events.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import {
  createServeHandler,
  DEFAULT_MAX_UPLOAD,
  type Listening,
  listen,
  parseListen,
  type TlsFiles,
} from '../server/http/index.js';
import { formatConfig, readConfig } from '../server/store/config.js';
import { type IndexStore, openIndexStore } from '../server/store/index.js';
import { STORE_FILES } from '../server/store/layout.js';
import { readUpstreamAllow, UPSTREAM_INDEX, Upstream } from '../server/upstream/index.js';
import { withFileLock } from '../store/index.js';

export const DEFAULT_LISTEN = '127.0.0.1:8080';

export interface ServeRequest {
  readonly storeDir: string;
  /** HOST:PORT (default 127.0.0.1:8080; port 0 picks a free one). */
  readonly listen?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly readAuth?: boolean;
  readonly maxUploadBytes?: number;
  /** Emit a serve-request event for every request. */
  readonly accessLog?: boolean;
  readonly events: EventSink;
  /**
   * `--upstream URL`: a pull-through cache of this index (credentials in it are used, never
   * shown); its files are published into the store's `upstream` index.
   */
  readonly upstream?: string;
  /** `--upstream-allow FILE`: project names, a requirements file or a pylock.toml. */
  readonly upstreamAllow?: string;
  /** How long an upstream page is used before it is asked again (default 60 s). */
  readonly upstreamPageTtlMs?: number;
  /** Tests pass a store they made. */
  readonly store?: IndexStore;
}

/**
 * Adds the `upstream` index to store.json when it lacks one (an index without signers: the
 * files in it carry the upstream's hashes, not signatures). Under the store's lock, so that a
 * writer in between reads either the old file or the new one.
 */
export async function ensureUpstreamIndex(storeDir: string): Promise<void> {
  const dir = resolve(storeDir);
  await withFileLock(join(dir, STORE_FILES.lock), async () => {
    const config = await readConfig(dir);
    if (config === undefined || Object.hasOwn(config.indexes, UPSTREAM_INDEX)) return;
    await writeFileAtomic(
      join(dir, STORE_FILES.config),
      formatConfig({ ...config, indexes: { ...config.indexes, [UPSTREAM_INDEX]: {} } }),
    );
  });
}

export interface RunningServer {
  readonly base: string;
  /** The base URL of each index's simple API, then the pages for people. */
  readonly urls: readonly string[];
  readonly store: IndexStore;
  stop(reason: string): Promise<void>;
}

async function readTls(
  cert: string | undefined,
  key: string | undefined,
): Promise<TlsFiles | undefined> {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `--tls-${cert === undefined ? 'cert' : 'key'} is missing`,
      {
        hint: 'HTTPS needs both --tls-cert FILE (PEM, the chain) and --tls-key FILE (PEM).',
      },
    );
  }
  const read = async (path: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new FerryError(
        'ERR_FERRY_CERT_FILE',
        `cannot read the TLS ${what} "${path}": ${(error as Error).message}`,
        {
          hint: `Give --tls-${what === 'certificate' ? 'cert' : 'key'} a readable PEM file.`,
          cause: error,
        },
      );
    }
  };
  return { cert: await read(cert, 'certificate'), key: await read(key, 'key') };
}

export async function startServe(request: ServeRequest): Promise<RunningServer> {
  let upstreamAllow: Awaited<ReturnType<typeof readUpstreamAllow>> | undefined;
  const address = parseListen(request.listen ?? DEFAULT_LISTEN);
  const tls = await readTls(request.tlsCert, request.tlsKey);
  const { events } = request;
  if (request.upstream !== undefined) {
    // Read before anything is written: a bad allowlist must not change the store.
    const allow =
      request.upstreamAllow === undefined
        ? undefined
        : await readUpstreamAllow(request.upstreamAllow);
    await openIndexStore(resolve(request.storeDir));
    await ensureUpstreamIndex(request.storeDir);
    upstreamAllow = allow;
  } else if (request.upstreamAllow !== undefined) {
    throw new FerryError('ERR_FERRY_USAGE', '--upstream-allow is given without --upstream', {
      hint: 'Give the upstream index with --upstream URL (or FERRY_UPSTREAM_URL), or drop --upstream-allow.',
    });
  }
  const store = request.store ?? (await openIndexStore(resolve(request.storeDir)));
  const upstream =
    request.upstream === undefined
      ? undefined
      : new Upstream({
          url: request.upstream,
          store,
          ...(upstreamAllow === undefined ? {} : { allow: upstreamAllow }),
          ...(request.upstreamPageTtlMs === undefined
            ? {}
            : { pageTtlMs: request.upstreamPageTtlMs }),
          workDir: join(store.dir, 'upstream-downloads'),
          events,
        });
  const gen = await store.current();
  const handler = createServeHandler({
    store,
    readAuth: request.readAuth === true,
    maxUploadBytes: request.maxUploadBytes ?? DEFAULT_MAX_UPLOAD,
    ...(request.accessLog === true
      ? { onRequest: (entry) => events({ type: 'serve-request', ...entry }) }
      : {}),
    ...(upstream === undefined
      ? {}
      : {
          upstream,
          onUpstreamFetch: (fetched) => events({ type: 'serve-upstream', ...fetched }),
        }),
    onUpload: (upload) =>
      events({
        type: 'serve-upload',
        index: upload.index,
        filename: upload.filename,
        sha256: upload.sha256,
        size: upload.size,
        actor: upload.actor,
        generation: upload.result.generation,
      }),
  });
  let listening: Listening;
  try {
    listening = await listen(handler, address, tls);
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw new FerryError(
      'ERR_FERRY_CERT_FILE',
      `the TLS certificate or key is not usable: ${(error as Error).message}`,
      {
        hint: 'Give --tls-cert the PEM certificate (chain) and --tls-key its PEM private key.',
        cause: error,
      },
    );
  }
  const indexes = Object.keys(store.config.indexes);
  if (upstream !== undefined && !indexes.includes(upstream.index)) indexes.push(upstream.index);
  const urls = [...indexes.map((i) => `${listening.base}/${i}/simple/`), `${listening.base}/`];
  events({
    type: 'serve-listening',
    urls,
    store: store.dir,
    generation: gen.generation,
    ...(upstream === undefined ? {} : { upstream: upstream.shown }),
  });
  return {
    base: listening.base,
    urls,
    store,
    async stop(reason) {
      await listening.close();
      events({ type: 'serve-stopped', reason });
    },
  };
}
