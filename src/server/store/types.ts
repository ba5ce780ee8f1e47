/**
 * The intranet index store's data: what `publish` takes, what a generation's catalog.json
 * holds, what the audit log and the token file record. docs/index-server.md describes the
 * layout on disk; this file is the contract between the data side (import, approve, export)
 * and the HTTP side (`ferry serve`), which reads generations and never writes pages itself.
 */

/** One file to publish into an index: a wheel or an sdist, with what its page says about it. */
export interface PublishFile {
  /** Where the bytes are now; they are copied (and hashed again) into the store. */
  readonly path: string;
  /** The distribution's file name (PEP 427 / PEP 625); it names the project. */
  readonly filename: string;
  /** SHA-256 of the bytes, lower-case hex; the copy is refused when it differs. */
  readonly sha256: string;
  readonly size: number;
  /** The file's Requires-Python (from its core metadata), shown as data-requires-python. */
  readonly requiresPython?: string;
  /** PEP 592: the reason, or true for a yank without one. */
  readonly yanked?: string | true;
  /** When the file entered this store (ISO 8601 UTC): PEP 700 upload-time. */
  readonly uploadTime: string;
  /** A wheel's `*.dist-info/METADATA`, served beside it as `<filename>.metadata` (PEP 658/714). */
  readonly coreMetadata?: Buffer;
  /** The project's name as its metadata spells it (default: read from the file name). */
  readonly project?: string;
}

/** Who and what put files into the store. */
export interface Provenance {
  readonly kind: 'bundle' | 'upload' | 'upstream';
  /** The bundle's name and the SHA-256 of its SHA256SUMS (what its signatures cover). */
  readonly bundle?: { readonly name: string; readonly digest: string };
  /** Key ids of the trusted keys whose signatures were verified. */
  readonly signers: readonly string[];
  /** The OS user or --actor. */
  readonly actor: string;
  /** ISO 8601 UTC. */
  readonly time: string;
}

/** A published file as catalog.json records it. */
export interface CatalogFile {
  readonly filename: string;
  readonly version: string;
  readonly sha256: string;
  readonly size: number;
  readonly requiresPython?: string;
  readonly yanked?: string | true;
  readonly uploadTime: string;
  /** SHA-256 of `<filename>.metadata` when the store serves one (PEP 658/714). */
  readonly coreMetadata?: { readonly sha256: string };
  /** `files/ab/<sha256>/<filename>` relative to the store (and to the site root). */
  readonly url: string;
  readonly provenance: Provenance;
}

export interface CatalogProject {
  /** The name as the project spells it; the catalog key is its PEP 503 normalized form. */
  readonly name: string;
  /** PEP 700 `versions`: every version with a file, sorted by PEP 440. */
  readonly versions: readonly string[];
  /** Sorted by file name. */
  readonly files: readonly CatalogFile[];
}

export interface CatalogIndex {
  /** Keyed by PEP 503 normalized name, sorted. */
  readonly projects: Readonly<Record<string, CatalogProject>>;
}

export type BundleState = 'approved' | 'incoming';

/** A bundle the store imported: what the web pages show as "who vouched for this". */
export interface CatalogBundle {
  readonly name: string;
  /** SHA-256 of its SHA256SUMS. */
  readonly digest: string;
  /** The index it is published in now. */
  readonly index: string;
  readonly state: BundleState;
  /** Distinct trusted signers, as key ids, sorted. */
  readonly signers: readonly string[];
  /** The signers' names as the trusted keys named them, in the order of `signers`. */
  readonly signerNames: readonly string[];
  /** Signers `approved` needs (store.json policy when it was last counted). */
  readonly required: number;
  readonly actor: string;
  readonly time: string;
  /** Number of distribution files. */
  readonly files: number;
  /** `files/ab/<sha256>/sbom.cdx.json` when the bundle carried an SBOM. */
  readonly sbom?: string;
}

/** generations/<N>/catalog.json. */
export interface Catalog {
  readonly formatVersion: 1;
  readonly generation: number;
  /** When this generation was published. */
  readonly time: string;
  readonly indexes: Readonly<Record<string, CatalogIndex>>;
  /** Keyed by digest. */
  readonly bundles: Readonly<Record<string, CatalogBundle>>;
  /** What made this generation (also appended to audit.log). */
  readonly change?: AuditEntry;
}

export type AuditAction =
  | 'create'
  | 'import'
  | 'upload'
  | 'upstream'
  | 'approve'
  | 'token-create'
  | 'token-revoke';

/** One line of audit.log. */
export interface AuditEntry {
  readonly time: string;
  readonly actor: string;
  readonly action: AuditAction;
  readonly index?: string;
  readonly generation?: number;
  readonly bundle?: { readonly name: string; readonly digest: string };
  /** Trusted signer key ids counted for the bundle. */
  readonly signers?: readonly string[];
  /** Files newly published. */
  readonly added?: number;
  /** Files withdrawn from an index (a bundle leaving `incoming` when approved). */
  readonly removed?: number;
  /** approve: the reviewer's key id. */
  readonly reviewer?: string;
  /** token-*: the token's name (never the token). */
  readonly token?: string;
  readonly scope?: TokenScope;
  readonly note?: string;
}

export type TokenScope = 'upload' | 'admin';

export interface TokenInfo {
  readonly name: string;
  readonly scope: TokenScope;
  readonly created: string;
}

/** tokens.json: only the SHA-256 of each token is kept. */
export interface TokenRecord extends TokenInfo {
  readonly sha256: string;
}

export interface IndexConfig {
  /** Distinct trusted signers a bundle needs to be published here (default: none). */
  readonly requireSigners?: number;
}

/** store.json. */
export interface StoreConfig {
  readonly formatVersion: 1;
  readonly indexes: Readonly<Record<string, IndexConfig>>;
  /** The index nodes install from, where a signed bundle goes by default. */
  readonly approved: string;
  /** Where a bundle with fewer signers than `approved` needs waits for `ferry approve`. */
  readonly incoming: string;
  /**
   * Keys whose signatures count (lines of a trust file: NAME ALGORITHM KEY), besides those
   * given with --trusted-key; a reviewer's key must be among them for `ferry approve`.
   */
  readonly trustedKeys: readonly string[];
}

export interface PublishResult {
  readonly generation: number;
  /** Files newly published into the index (0: nothing changed, no generation written). */
  readonly added: number;
  /** false when the store already held all of it: no generation was written. */
  readonly changed: boolean;
}

export interface CurrentGeneration {
  readonly generation: number;
  /** generations/<N>, resolved: every read of one request goes under this folder. */
  readonly dir: string;
  readonly catalog: Catalog;
}

export interface TokenStore {
  /** Makes a token, keeps its SHA-256 and returns the token itself (shown once). */
  create(name: string, scope: TokenScope, actor?: string): Promise<string>;
  /** The token's record when it exists and grants `scope` (admin grants upload); constant time. */
  check(token: string, scope: TokenScope): Promise<TokenInfo | undefined>;
  list(): Promise<TokenInfo[]>;
  /** Whether a token of that name existed. */
  revoke(name: string, actor?: string): Promise<boolean>;
}

export interface IndexStore {
  /** The store's folder (absolute). */
  readonly dir: string;
  readonly config: StoreConfig;
  /** Publishes `files` into `index` as one new generation (nothing new: no generation). */
  publish(
    index: string,
    files: readonly PublishFile[],
    provenance: Provenance,
  ): Promise<PublishResult>;
  current(): Promise<CurrentGeneration>;
  /** '/files/ab/<sha256>/<filename>' → its absolute path; undefined for anything else ('..', NUL, …). */
  filePath(urlPath: string): string | undefined;
  audit(): AsyncIterable<AuditEntry>;
  readonly tokens: TokenStore;
}
