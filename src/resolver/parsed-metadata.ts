/**
 * A wheel's dependencies as parsed, kept by the wheel's SHA-256 beside its METADATA text
 * (`<cache>/parsed-metadata/`, src/store/ derived data). Parsing every Requires-Dist line of a
 * closure (pandas alone declares some ninety, mostly behind extras) is a tenth of a warm lock;
 * reading them back as JSON is a fraction of that. The entry holds plain data only
 * (Requirement, its SpecifierSet and Marker are interfaces of strings, numbers and arrays) and
 * is checked for shape when read back; one that does not fit is parsed again.
 */
import { createHash } from 'node:crypto';
import type { NormalizedName } from '../standards/name.js';
import type { Requirement } from '../standards/requirement.js';
import { BackgroundWrites } from '../store/background-writes.js';
import { ContentStore } from '../store/store.js';

/** Bumped whenever the parse (PEP 508, core metadata) or the entry's shape changes. */
const FORMAT = 'ferry-parsed-metadata-1';
const KIND = 'parsed-metadata';

export interface ParsedMetadata {
  /** The Name field as written (the provider checks it against the candidate). */
  readonly name: string;
  readonly requiresDist: readonly Requirement[];
  readonly requiresPython?: string;
  readonly providesExtra: readonly NormalizedName[];
}

export class ParsedMetadataCache {
  readonly #store: ContentStore;
  readonly #writes = new BackgroundWrites();

  constructor(cacheDir: string) {
    this.#store = new ContentStore(cacheDir);
  }

  async read(fileSha256: string): Promise<ParsedMetadata | undefined> {
    const text = await this.#store.readDerived(KIND, key(fileSha256));
    if (text === undefined) return undefined;
    try {
      const entry = JSON.parse(text) as ParsedMetadata;
      const fits =
        typeof entry.name === 'string' &&
        Array.isArray(entry.providesExtra) &&
        Array.isArray(entry.requiresDist) &&
        entry.requiresDist.every(
          (r) =>
            typeof r?.normalizedName === 'string' &&
            Array.isArray(r.extras) &&
            Array.isArray(r.specifier?.specifiers),
        );
      return fits ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts writing the entry and returns at once; `settled()` waits for every write started. */
  write(fileSha256: string, entry: ParsedMetadata): void {
    const text = JSON.stringify(entry);
    this.#writes.start(() => this.#store.writeDerived(KIND, key(fileSha256), text));
  }

  settled(): Promise<void> {
    return this.#writes.settled();
  }
}

const key = (fileSha256: string): string =>
  createHash('sha256').update(`${FORMAT}\0${fileSha256.toLowerCase()}`).digest('hex');
