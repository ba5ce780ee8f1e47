/**
 * The intranet index store: a static PEP 503/691 tree that changes only by whole generations.
 *
 * Bytes first, then the pointer. A change (an import, an upload, an approval) puts its files
 * into the ContentStore (objects/, verified writes) and links them under files/, then writes a
 * complete new folder generations/<N+1>/ (catalog.json and every page) under a temporary name,
 * renames it into place, and finally renames a new symlink over `current`. rename(2) is
 * atomic, so a reader (`ferry serve`, nginx, a kill -9 at any moment) sees generation N or
 * N+1 whole, and every file a page names is already there. Writers take the store's lock file
 * (a killed writer's lock is taken over, src/store/lock.ts); leftovers of a killed writer (a
 * temporary generation, an unpublished one, objects no page names) are swept or reused by the
 * next writer.
 *
 * Pages are rendered once per change: a project whose data did not change gets the previous
 * generation's page files as hard links, as Warehouse serves a project's cached page until
 * that project changes (warehouse/api/simple.py).
 */
import { randomBytes } from 'node:crypto';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
} from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { syncDir, writeFileAtomic } from '../../core/atomic-write.js';
import { FerryError } from '../../core/errors.js';
import { processAlive } from '../../core/process.js';
import { ContentStore, linkOrCopy, withFileLock } from '../../store/index.js';
import { appendAudit, lastAuditedGeneration, readAudit } from './audit.js';
import {
  addFiles,
  emptyCatalog,
  type PlacedFile,
  parseCatalog,
  projectOf,
  removeBundleFiles,
  sameData,
  unknownIndex,
  withBundle,
  withConfiguredIndexes,
} from './catalog.js';
import { DEFAULT_CONFIG, formatConfig, readConfig } from './config.js';
import {
  assertIndexName,
  filePathIn,
  fileUrl,
  generationDir,
  isSha256,
  metadataUrl,
  STORE_FILES,
} from './layout.js';
import {
  renderIndexHtml,
  renderIndexJson,
  renderProjectHtml,
  renderProjectJson,
} from './render.js';
import {
  assertTokenRequest,
  findToken,
  makeToken,
  readTokens,
  tokenInfo,
  writeTokens,
} from './tokens.js';
import type {
  AuditEntry,
  Catalog,
  CatalogBundle,
  CatalogFile,
  CurrentGeneration,
  IndexStore,
  Provenance,
  PublishFile,
  PublishResult,
  StoreConfig,
  TokenScope,
  TokenStore,
} from './types.js';

export interface OpenIndexStoreOptions {
  /** Make the store (store.json, an empty generation 0) when `dir` holds none. */
  readonly create?: boolean;
  /** Who is acting, for the audit log of a store made here (default: the OS user). */
  readonly actor?: string;
}

/** Old generations kept for readers still on them (a request that began before a switch). */
export const KEEP_GENERATIONS = 8;

/** One change to the store, made as one generation. */
export interface StoreChange {
  /** Files to add, each batch to one index with its provenance. */
  readonly add?: readonly {
    readonly index: string;
    readonly files: readonly PublishFile[];
    readonly provenance: Provenance;
  }[];
  /** A bundle's files to withdraw from an index. */
  readonly remove?: readonly { readonly index: string; readonly bundleDigest: string }[];
  /** The bundle record to set (an import, an approval). */
  readonly bundle?: CatalogBundle;
  /** The audit entry; generation, added and removed are filled in. */
  readonly audit: AuditEntry;
}

export interface ChangeResult extends PublishResult {
  readonly removed: number;
}

const errno = (error: unknown): string | undefined =>
  (error as NodeJS.ErrnoException | undefined)?.code;

/** Writes and flushes a new file (the generation folder is renamed into place after). */
async function writeFlushed(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

class Store implements IndexStore {
  readonly content: ContentStore;
  readonly tokens: TokenStore;
  readonly #catalogs = new Map<number, Catalog>();

  constructor(
    readonly dir: string,
    public config: StoreConfig,
  ) {
    this.content = new ContentStore(join(dir, STORE_FILES.objects));
    this.tokens = {
      create: (name, scope, actor) => this.#createToken(name, scope, actor),
      check: async (token, scope) => findToken(await readTokens(this.dir), token, scope),
      list: async () => (await readTokens(this.dir)).map(tokenInfo),
      revoke: (name, actor) => this.#revokeToken(name, actor),
    };
  }

  filePath(urlPath: string): string | undefined {
    return filePathIn(this.dir, urlPath);
  }

  audit(): AsyncIterable<AuditEntry> {
    return readAudit(join(this.dir, STORE_FILES.audit));
  }

  async current(): Promise<CurrentGeneration> {
    const target = await readlink(join(this.dir, STORE_FILES.current)).catch((error: unknown) => {
      throw new FerryError(
        'ERR_FERRY_STORE_DAMAGED',
        `${join(this.dir, STORE_FILES.current)} cannot be read (${errno(error) ?? String(error)})`,
        {
          hint: 'Point it at the newest whole generation: ln -sfn generations/N current.new && mv -T current.new current.',
        },
      );
    });
    const match = /^generations\/(0|[1-9][0-9]*)$/.exec(target);
    if (match === null)
      throw new FerryError(
        'ERR_FERRY_STORE_DAMAGED',
        `${join(this.dir, STORE_FILES.current)} points at "${target}", not at generations/N`,
        {
          hint: 'Point it at the newest whole generation: ln -sfn generations/N current.new && mv -T current.new current.',
        },
      );
    const generation = Number(match[1]);
    const dir = generationDir(this.dir, generation);
    let catalog = this.#catalogs.get(generation);
    if (catalog === undefined) {
      const path = join(dir, STORE_FILES.catalog);
      catalog = parseCatalog(await readFile(path, 'utf8'), path);
      // Generations never change, so a parsed catalog is good for as long as it is current.
      this.#catalogs.clear();
      this.#catalogs.set(generation, catalog);
    }
    return { generation, dir, catalog };
  }

  async publish(
    index: string,
    files: readonly PublishFile[],
    provenance: Provenance,
  ): Promise<PublishResult> {
    const result = await this.change({
      add: [{ index, files, provenance }],
      audit: {
        time: provenance.time,
        actor: provenance.actor,
        action: provenance.kind === 'bundle' ? 'import' : provenance.kind,
        index,
        ...(provenance.bundle === undefined ? {} : { bundle: provenance.bundle }),
        signers: provenance.signers,
      },
    });
    return { generation: result.generation, added: result.added, changed: result.changed };
  }

  /**
   * Puts a file into objects/ (copied, hashed on the way in) and links it under files/;
   * nothing is written when both are there already. Returns its URL path.
   */
  async putFile(sha256: string, filename: string, from: string): Promise<string> {
    const url = fileUrl(sha256, filename);
    if (!(await this.content.has(sha256))) {
      const tmpDir = join(this.content.dir, 'tmp');
      await mkdir(tmpDir, { recursive: true });
      const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
      try {
        await copyFile(from, tmp);
        await this.content.putFile(sha256, tmp);
      } finally {
        await rm(tmp, { force: true });
      }
    }
    await this.#linkInto(sha256, url);
    return url;
  }

  /** Like putFile for bytes in memory (core metadata, an SBOM). */
  async putBytes(bytes: Uint8Array, filename: string): Promise<{ sha256: string; url: string }> {
    const { digest } = await this.content.putBytes(bytes);
    const url = fileUrl(digest, filename);
    await this.#linkInto(digest, url);
    return { sha256: digest, url };
  }

  async #linkInto(sha256: string, url: string, as = url): Promise<void> {
    const dest = join(this.dir, as);
    const there = await lstat(dest).catch(() => undefined);
    if (there?.isFile() === true && there.size > 0) return;
    await mkdir(join(dest, '..'), { recursive: true });
    await linkOrCopy(this.content.pathFor(sha256), dest);
  }

  /** The store's files for a PublishFile (and its .metadata), as the catalog records them. */
  async #place(file: PublishFile, provenance: Provenance): Promise<PlacedFile> {
    if (!isSha256(file.sha256))
      throw new FerryError(
        'ERR_FERRY_INVALID_SHA256',
        `"${file.sha256}" is not a SHA-256 (${file.filename})`,
        {
          hint: 'Give the lower-case hex SHA-256 of the file.',
        },
      );
    const { display, version } = projectOf(file.filename, file.project, file.coreMetadata);
    const url = await this.putFile(file.sha256, file.filename, file.path);
    let coreMetadata: CatalogFile['coreMetadata'];
    if (file.coreMetadata !== undefined) {
      const { digest } = await this.content.putBytes(file.coreMetadata);
      await this.#linkInto(digest, metadataUrl(url));
      coreMetadata = { sha256: digest };
    }
    return {
      project: display,
      file: {
        filename: file.filename,
        version,
        sha256: file.sha256,
        size: file.size,
        ...(file.requiresPython === undefined ? {} : { requiresPython: file.requiresPython }),
        ...(file.yanked === undefined ? {} : { yanked: file.yanked }),
        uploadTime: file.uploadTime,
        ...(coreMetadata === undefined ? {} : { coreMetadata }),
        url,
        provenance,
      },
    };
  }

  /**
   * Makes one change as one generation: files into objects/ and files/ first (outside the
   * lock: content-addressed writes are safe side by side), then, holding the lock, the new
   * catalog and pages, the switch of `current`, and the audit entry. When the catalog would
   * not change, nothing is written and the current generation is returned.
   */
  async change(change: StoreChange): Promise<ChangeResult> {
    const placed: { index: string; files: PlacedFile[] }[] = [];
    for (const batch of change.add ?? []) {
      assertIndexName(batch.index);
      const files: PlacedFile[] = [];
      for (const file of batch.files) files.push(await this.#place(file, batch.provenance));
      placed.push({ index: batch.index, files });
    }
    return this.#locked(async () => {
      this.config = (await readConfig(this.dir)) ?? this.config;
      const now = await this.current();
      await this.#reconcileAudit(now);
      let catalog = withConfiguredIndexes(now.catalog, this.config);
      let added = 0;
      let removed = 0;
      for (const r of change.remove ?? []) {
        const out = removeBundleFiles(catalog, r.index, r.bundleDigest);
        catalog = out.catalog;
        removed += out.removed;
      }
      for (const batch of placed) {
        if (catalog.indexes[batch.index] === undefined) throw unknownIndex(batch.index, catalog);
        const out = addFiles(catalog, batch.index, batch.files);
        catalog = out.catalog;
        added += out.added;
      }
      const known = change.bundle === undefined ? undefined : catalog.bundles[change.bundle.digest];
      // The same record but for who and when (the same bundle imported twice at once): keep the first.
      const sameRecord =
        known !== undefined &&
        JSON.stringify({ ...known, actor: '', time: '' }) ===
          JSON.stringify({ ...change.bundle, actor: '', time: '' });
      if (change.bundle !== undefined && !sameRecord) catalog = withBundle(catalog, change.bundle);
      if (sameData(catalog, now.catalog))
        return { generation: now.generation, added: 0, removed: 0, changed: false };
      const generation = now.generation + 1;
      const entry: AuditEntry = {
        ...change.audit,
        generation,
        added,
        ...(removed > 0 ? { removed } : {}),
      };
      const next: Catalog = { ...catalog, generation, time: change.audit.time, change: entry };
      await this.#writeGeneration(next, now);
      await appendAudit(join(this.dir, STORE_FILES.audit), entry);
      await this.#prune(generation);
      return { generation, added, removed, changed: true };
    });
  }

  #locked<T>(task: () => Promise<T>): Promise<T> {
    return withFileLock(join(this.dir, STORE_FILES.lock), async () => {
      await this.#sweep();
      return task();
    });
  }

  /** Removes what a killed writer left: temporary generations and pointers, unpublished generations. */
  async #sweep(): Promise<void> {
    const generations = join(this.dir, STORE_FILES.generations);
    const current = await this.current().then(
      (c) => c.generation,
      () => undefined,
    );
    for (const name of await readdir(generations).catch(() => [] as string[])) {
      const unpublished = /^[0-9]+$/.test(name) && current !== undefined && Number(name) > current;
      if (name.startsWith('.tmp-') || unpublished)
        await rm(join(generations, name), { recursive: true, force: true });
    }
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.current-tmp-')) await rm(join(this.dir, name), { force: true });
    }
    const tmp = join(this.content.dir, 'tmp');
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const pid = Number(name.split('-')[0]);
      if (!Number.isInteger(pid) || !processAlive(pid)) await rm(join(tmp, name), { force: true });
    }
  }

  /** An entry lost between a switch and its append (a crash) is appended from the catalog. */
  async #reconcileAudit(now: CurrentGeneration): Promise<void> {
    const entry = now.catalog.change;
    if (entry === undefined) return;
    const last = await lastAuditedGeneration(join(this.dir, STORE_FILES.audit));
    if (last === undefined || last < now.generation)
      await appendAudit(join(this.dir, STORE_FILES.audit), entry);
  }

  async #writeGeneration(catalog: Catalog, previous: CurrentGeneration | undefined): Promise<void> {
    const generations = join(this.dir, STORE_FILES.generations);
    await mkdir(generations, { recursive: true });
    const tmp = join(
      generations,
      `.tmp-${catalog.generation}-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    await mkdir(tmp);
    for (const [index, data] of Object.entries(catalog.indexes)) {
      const simple = join(tmp, index, 'simple');
      await mkdir(simple, { recursive: true });
      const names = Object.keys(data.projects);
      const projects = names.map((n) => data.projects[n]!);
      await writeFlushed(join(simple, 'index.html'), renderIndexHtml(projects, names));
      await writeFlushed(join(simple, 'index.json'), renderIndexJson(projects));
      const before = previous?.catalog.indexes[index]?.projects;
      for (const name of names) {
        const project = data.projects[name]!;
        await mkdir(join(simple, name));
        const old = before?.[name];
        if (
          old !== undefined &&
          JSON.stringify(old) === JSON.stringify(project) &&
          previous !== undefined
        ) {
          const from = join(previous.dir, index, 'simple', name);
          const linked = await Promise.all(
            ['index.html', 'index.json'].map((page) =>
              link(join(from, page), join(simple, name, page)).then(
                () => true,
                () => false,
              ),
            ),
          );
          if (linked.every(Boolean)) continue;
          for (const page of ['index.html', 'index.json'])
            await rm(join(simple, name, page), { force: true });
        }
        await writeFlushed(join(simple, name, 'index.html'), renderProjectHtml(project));
        await writeFlushed(join(simple, name, 'index.json'), renderProjectJson(project));
      }
      await syncDir(simple);
    }
    // generations/<N>/files -> ../../files: `current` is then a whole site root, the pages'
    // relative links resolve on disk as they do in URLs, and a static server can serve it as is.
    await symlink(`../../${STORE_FILES.files}`, join(tmp, STORE_FILES.files));
    await writeFlushed(join(tmp, STORE_FILES.catalog), `${JSON.stringify(catalog, null, 1)}\n`);
    await syncDir(tmp);
    const final = generationDir(this.dir, catalog.generation);
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    await syncDir(generations);
    // The switch: a new symlink renamed over the old one (rename(2) replaces it atomically).
    const pointer = join(this.dir, `.current-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    await symlink(`${STORE_FILES.generations}/${catalog.generation}`, pointer);
    await rename(pointer, join(this.dir, STORE_FILES.current));
    await syncDir(this.dir);
    this.#catalogs.clear();
    this.#catalogs.set(catalog.generation, catalog);
  }

  /** Drops generations older than the newest KEEP_GENERATIONS (never the current one). */
  async #prune(current: number): Promise<void> {
    const generations = join(this.dir, STORE_FILES.generations);
    for (const name of await readdir(generations)) {
      if (/^[0-9]+$/.test(name) && Number(name) <= current - KEEP_GENERATIONS)
        await rm(join(generations, name), { recursive: true, force: true });
    }
  }

  /** Writes generation 0 of a new store (called holding the lock). */
  async init(actor: string): Promise<void> {
    const time = new Date().toISOString();
    const entry: AuditEntry = { time, actor, action: 'create', generation: 0 };
    await this.#writeGeneration({ ...emptyCatalog(this.config, time), change: entry }, undefined);
    await appendAudit(join(this.dir, STORE_FILES.audit), entry);
  }

  async #createToken(name: string, scope: TokenScope, actor = defaultActor()): Promise<string> {
    assertTokenRequest(name, scope);
    return this.#locked(async () => {
      const records = await readTokens(this.dir);
      if (records.some((r) => r.name === name))
        throw new FerryError('ERR_FERRY_TOKEN_EXISTS', `a token named "${name}" exists already`, {
          hint: `Revoke it first (ferry token revoke ${name}), or choose another name.`,
        });
      const time = new Date().toISOString();
      const { token, record } = makeToken(name, scope, time);
      await writeTokens(this.dir, [...records, record]);
      await appendAudit(join(this.dir, STORE_FILES.audit), {
        time,
        actor,
        action: 'token-create',
        token: name,
        scope,
      });
      return token;
    });
  }

  async #revokeToken(name: string, actor = defaultActor()): Promise<boolean> {
    return this.#locked(async () => {
      const records = await readTokens(this.dir);
      const kept = records.filter((r) => r.name !== name);
      if (kept.length === records.length) return false;
      await writeTokens(this.dir, kept);
      await appendAudit(join(this.dir, STORE_FILES.audit), {
        time: new Date().toISOString(),
        actor,
        action: 'token-revoke',
        token: name,
      });
      return true;
    });
  }

  /** bundles/<digest>/: the imported bundle's SHA256SUMS, manifest and signatures. */
  bundleDir(digest: string): string {
    if (!isSha256(digest)) throw new TypeError(`"${digest}" is not a SHA-256`);
    return join(this.dir, STORE_FILES.bundles, digest);
  }

  /** Keeps a bundle's signed files; a file already kept is left alone (signatures are added). */
  async keepBundleFiles(
    digest: string,
    files: readonly { name: string; bytes: Uint8Array }[],
  ): Promise<void> {
    const dir = this.bundleDir(digest);
    for (const file of files) {
      if (!/^(signatures\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file.name)) continue;
      const path = join(dir, file.name);
      if ((await lstat(path).catch(() => undefined)) !== undefined) continue;
      await mkdir(join(path, '..'), { recursive: true });
      await writeFileAtomic(path, file.bytes, { mode: 0o444 });
    }
  }
}

/** The OS user running ferry: who the audit log names unless --actor is given. */
export function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    // userInfo() throws for a uid with no passwd entry (a container's arbitrary uid).
    return process.env.USER ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

export type WritableIndexStore = Store;

export async function openIndexStore(
  dir: string,
  options: OpenIndexStoreOptions = {},
): Promise<Store> {
  const root = resolvePath(dir);
  const config = await readConfig(root);
  if (config !== undefined) {
    const store = new Store(root, config);
    // A store made by a killed `create` may lack its first generation.
    if ((await lstat(join(root, STORE_FILES.current)).catch(() => undefined)) !== undefined)
      return store;
  }
  if (options.create !== true)
    throw new FerryError(
      'ERR_FERRY_STORE_NOT_FOUND',
      `${dir} is not a ferry index store (no ${STORE_FILES.config})`,
      {
        hint: 'Check --store; "ferry import BUNDLE --store DIR" makes a store in an empty or missing folder.',
      },
    );
  await mkdir(root, { recursive: true });
  return withFileLock(join(root, STORE_FILES.lock), async () => {
    let made = await readConfig(root);
    if (made === undefined) {
      const entries = (await readdir(root)).filter((n) => n !== STORE_FILES.lock);
      if (entries.length > 0)
        throw new FerryError(
          'ERR_FERRY_STORE_NOT_FOUND',
          `${dir} is not empty and holds no ${STORE_FILES.config}`,
          {
            hint: 'Give --store an empty or missing folder for a new store, or the folder of an existing one.',
          },
        );
      made = DEFAULT_CONFIG;
      await writeFileAtomic(join(root, STORE_FILES.config), formatConfig(made));
    }
    const store = new Store(root, made);
    if ((await lstat(join(root, STORE_FILES.current)).catch(() => undefined)) === undefined)
      await store.init(options.actor ?? defaultActor());
    return store;
  });
}
