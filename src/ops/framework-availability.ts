/**
 * `--framework`: which releases of the chosen build exist, read from the build's own index
 * through the index client (so pip's configuration, TLS, proxies and the HTTP page cache
 * apply), and what the configured indexes (pip's, find-links included) hold of the same
 * project. An index that cannot be reached is named, and what ferry last read from it (cached
 * under the cache folder), else the recorded availability (data/framework-availability.json),
 * stands in for it (src/frameworks/availability.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import {
  type Availability,
  availabilityKey,
  describeOrigin,
  type ProjectFiles,
  recordedAvailability,
} from '../frameworks/availability.js';
import { IndexClient } from '../index/client.js';
import { effectiveTableIndexUrl, type IndexConfig } from '../index/index-config.js';
import type { NetSettings } from '../net/settings.js';
import { normalizeName } from '../standards/name.js';

/** Reads the wheel file names a project has on one index ('default': the configured ones). */
export type ListFiles = (index: string, project: string) => Promise<readonly string[]>;

export interface DiscoverOptions {
  /** pip's configured indexes and find-links, with no vendor pins. */
  readonly configured: () => Promise<IndexConfig>;
  readonly cacheDir?: string;
  readonly net?: NetSettings;
  readonly maxPageBytes?: number;
  /** Reads a table index from another URL (a mirror of it, or a test's local index). */
  readonly redirect?: (index: string) => string | undefined;
}

/** A ListFiles over the index client: a vendor URL alone, or the configured indexes. */
export function indexListFiles(options: DiscoverOptions): ListFiles {
  let configured: Promise<IndexConfig> | undefined;
  return async (index, project) => {
    if (configured === undefined) configured = options.configured();
    const config = await configured;
    // The user's own index for the project (--index-for PROJECT=NAME) wins over the table's, as
    // it does in the lock; `--index pytorch-cu126=URL` replaces a table index with a mirror.
    const pinned = config.pins[normalizeName(project)];
    const pinnedUrl = config.indexes.find((i) => i.name === pinned)?.url;
    const url =
      index === 'default'
        ? index
        : (options.redirect?.(index) ?? pinnedUrl ?? effectiveTableIndexUrl(config, index));
    const settings: IndexConfig =
      index === 'default'
        ? config
        : {
            indexes: [
              {
                name: 'framework',
                url,
                fallbacks: [],
                explicit: false,
                origin: 'table',
              },
            ],
            findLinks: [],
            pins: {},
            strategy: 'first-index',
            sources: [
              url === index
                ? `${redactUrl(index)} from ferry's framework table`
                : `${redactUrl(url)} in place of ${redactUrl(index)} from ferry's framework table`,
            ],
          };
    const client = new IndexClient({
      settings,
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.net === undefined ? {} : { net: options.net }),
      ...(options.maxPageBytes === undefined ? {} : { maxPageBytes: options.maxPageBytes }),
    });
    const page = await client.getProject(project);
    return (page?.files ?? []).map((f) => f.filename).filter((f) => f.endsWith('.whl'));
  };
}

/** Errors that mean "could not be reached", not "the index answered that it has nothing". */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof FerryError)) return undefined;
  if (error.code !== 'ERR_FERRY_INDEX_UNREACHABLE' && error.code !== 'ERR_FERRY_HTTP_STATUS')
    return undefined;
  return error.message;
}

/**
 * The last list read from each (index, project), kept so that an index unreachable later (a
 * jump host that lost its proxy, a vendor outage) is answered by what ferry saw there, with its
 * date, before the older recorded snapshot. A damaged entry is ignored, never trusted.
 */
export class AvailabilityCache {
  readonly #dir: string;

  constructor(cacheDir: string) {
    this.#dir = join(cacheDir, 'framework-availability');
  }

  #path(key: string): string {
    return join(this.#dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async save(list: ProjectFiles, today: string): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const entry = { index: list.index, project: list.project, files: list.files, read: today };
    await writeFileAtomic(
      this.#path(availabilityKey(list.index, list.project)),
      JSON.stringify(entry),
    );
  }

  async load(index: string, project: string): Promise<ProjectFiles | undefined> {
    let entry: unknown;
    try {
      entry = JSON.parse(await readFile(this.#path(availabilityKey(index, project)), 'utf8'));
    } catch {
      return undefined;
    }
    const e = entry as { index?: unknown; project?: unknown; files?: unknown; read?: unknown };
    if (
      e.index !== index ||
      e.project !== project ||
      typeof e.read !== 'string' ||
      !Array.isArray(e.files) ||
      !e.files.every((f) => typeof f === 'string')
    )
      return undefined;
    return { index, project, files: e.files as string[], origin: 'cached', recorded: e.read };
  }
}

/**
 * Availability that grows as the chooser names indexes: each (index, project) is read once.
 * What could not be read keeps its cached or recorded list, if there is one, and is said once.
 */
export class AvailabilityDiscovery {
  readonly #list: ListFiles;
  readonly #events: EventSink | undefined;
  readonly #lists = new Map<string, ProjectFiles>();
  readonly #unreachable = new Map<string, string>();
  readonly #configured = new Map<string, readonly string[]>();
  readonly #recorded: Availability;
  readonly #asked = new Set<string>();
  readonly #cache: AvailabilityCache | undefined;

  /**
   * `recorded`: what stands in for an unreachable index (default: data/framework-availability.json);
   * `cache`: where lists read from indexes are kept for a later run that cannot reach them.
   */
  constructor(
    list: ListFiles,
    events?: EventSink,
    recorded: Availability = recordedAvailability(),
    cache?: AvailabilityCache,
  ) {
    this.#list = list;
    this.#events = events;
    this.#recorded = recorded;
    this.#cache = cache;
  }

  get availability(): Availability {
    return { lists: this.#lists, unreachable: this.#unreachable, configured: this.#configured };
  }

  /** Reads what is not yet known for the index and project; true when something was learnt. */
  async learn(index: string, project: string): Promise<boolean> {
    const key = availabilityKey(index, project);
    if (this.#asked.has(key)) return false;
    this.#asked.add(key);
    try {
      const files = await this.#list(index, project);
      const list: ProjectFiles = { index, project, files, origin: 'index' };
      this.#lists.set(key, list);
      if (index === 'default') this.#configured.set(project, files);
      // A cache that cannot be written costs only the fallback, never the lock.
      await this.#cache?.save(list, new Date().toISOString().slice(0, 10)).catch(() => undefined);
      return true;
    } catch (error) {
      const why = unreachable(error);
      if (why === undefined) throw error;
      this.#unreachable.set(index, why);
      const recorded = (await this.#cache?.load(index, project)) ?? this.#recorded.lists.get(key);
      if (recorded !== undefined) {
        this.#lists.set(key, recorded);
        // What the configured indexes held last stands in for a vendor index too (a find-links
        // +cpu build on a jump host that has lost its network).
        if (index === 'default') this.#configured.set(project, recorded.files);
      }
      this.#events?.({
        type: 'warning',
        code: 'W_FERRY_VARIANT_INDEX_UNREACHABLE',
        message:
          recorded === undefined
            ? `${redactUrl(index)} could not be reached (${why}); nothing is recorded for ${project} there, so the configured indexes are searched for the same build`
            : `using ${describeOrigin({ ...recorded, index: redactUrl(index) })}: ${why}`,
      });
      // The configured indexes may hold the same build (a find-links folder, a mirror).
      if (index !== 'default') await this.learn('default', project);
      return true;
    }
  }
}

/**
 * The discovery `ferry lock` and `ferry frameworks choose` use: the build indexes read through
 * the index client, each list kept in the cache folder for a later run that cannot reach it.
 */
export function availabilityDiscovery(
  options: DiscoverOptions & { readonly cacheDir: string },
  events?: EventSink,
): AvailabilityDiscovery {
  return new AvailabilityDiscovery(
    indexListFiles(options),
    events,
    undefined,
    new AvailabilityCache(options.cacheDir),
  );
}
