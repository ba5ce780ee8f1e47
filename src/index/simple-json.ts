/**
 * PEP 691 JSON pages (`application/vnd.pypi.simple.v1+json`), validated with zod at the
 * boundary and mapped to the same RawLink the HTML parser yields. One malformed file entry is
 * dropped and reported; a page that is not a PEP 691 page at all is an error naming the URL.
 */
import { z } from 'zod';
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { RawLink } from './simple-html.js';

const hashesSchema = z.record(z.string(), z.string());
const metadataSchema = z.union([z.boolean(), hashesSchema]);

const fileSchema = z.object({
  filename: z.string().min(1),
  url: z.string().min(1),
  hashes: hashesSchema,
  'requires-python': z.string().nullish(),
  'core-metadata': metadataSchema.optional(),
  'dist-info-metadata': metadataSchema.optional(),
  yanked: z.union([z.boolean(), z.string()]).optional(),
  size: z.number().int().nonnegative().optional(),
  'upload-time': z.string().optional(),
});

const metaSchema = z.object({ 'api-version': z.string() });

const projectPageSchema = z.object({
  meta: metaSchema,
  name: z.string(),
  files: z.array(z.unknown()),
});

const rootPageSchema = z.object({
  meta: metaSchema,
  projects: z.array(z.unknown()),
});

type FileEntry = z.infer<typeof fileSchema>;

const isStringRecord = (value: unknown): value is Record<string, string> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value)
    if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
};

const isMetadata = (value: unknown): boolean =>
  value === undefined || typeof value === 'boolean' || isStringRecord(value);

/**
 * The same test as fileSchema, written out: a big project's page has thousands of entries
 * (numpy's is 2 MB), and running zod over each one cost more than the rest of the parse in a
 * warm `ferry lock`. It accepts a subset of what fileSchema accepts, so an entry it refuses is
 * handed to zod, which gives the reason.
 */
function isFileEntry(value: unknown): value is FileEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const rp = v['requires-python'];
  const yanked = v.yanked;
  const size = v.size;
  const uploaded = v['upload-time'];
  return (
    typeof v.filename === 'string' &&
    v.filename !== '' &&
    typeof v.url === 'string' &&
    v.url !== '' &&
    isStringRecord(v.hashes) &&
    (rp === undefined || rp === null || typeof rp === 'string') &&
    isMetadata(v['core-metadata']) &&
    isMetadata(v['dist-info-metadata']) &&
    (yanked === undefined || typeof yanked === 'boolean' || typeof yanked === 'string') &&
    (size === undefined || (Number.isSafeInteger(size) && (size as number) >= 0)) &&
    (uploaded === undefined || typeof uploaded === 'string')
  );
}

export interface JsonPage {
  readonly links: RawLink[];
  /** Entries that were dropped, with why (the client reports them as warnings). */
  readonly dropped: readonly { readonly index: number; readonly reason: string }[];
  /** Names of the entries the `wanted` filter set aside. */
  readonly skipped: readonly string[];
}

function malformed(pageUrl: string, reason: string): FerryError {
  const shown = redactUrl(pageUrl);
  return new FerryError(
    'ERR_FERRY_MALFORMED_PAGE',
    `${shown} is not a valid PEP 691 JSON page: ${reason}`,
    {
      hint: 'The index answered with JSON that ferry cannot read; try its HTML pages or another mirror.',
      details: { url: shown, reason },
    },
  );
}

function parseJson(text: string, pageUrl: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(pageUrl, (error as Error).message);
  }
}

/** PEP 691: a client must refuse a major version it does not know. */
function checkApiVersion(version: string, pageUrl: string): void {
  const major = /^(\d+)\./.exec(version);
  if (major?.[1] !== '1') throw malformed(pageUrl, `unsupported api-version "${version}"`);
}

function toMetadata(
  value: z.infer<typeof metadataSchema> | undefined,
): false | Record<string, string> {
  if (value === undefined || value === false) return false;
  if (value === true) return {};
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]),
  );
}

/** Names and digests in lower case; the object itself when it already is (the usual case). */
function lowerCased(hashes: Readonly<Record<string, string>>): Record<string, string> {
  let lower = true;
  for (const key in hashes) {
    const value = hashes[key]!;
    if (key !== key.toLowerCase() || value !== value.toLowerCase()) {
      lower = false;
      break;
    }
  }
  if (lower) return hashes;
  const out: Record<string, string> = {};
  for (const key in hashes) out[key.toLowerCase()] = hashes[key]!.toLowerCase();
  return out;
}

/**
 * A PEP 691 project page's files. `wanted` (the index client's filter) sets entries aside by
 * file name, before their URL and hashes are worked on: on a page of 15,000 wheels most are for
 * platforms no target takes. Their names are returned in `skipped`.
 */
export function parseSimpleJson(
  text: string,
  pageUrl: string,
  wanted?: (filename: string) => boolean,
): JsonPage {
  const parsed = projectPageSchema.safeParse(parseJson(text, pageUrl));
  if (!parsed.success) throw malformed(pageUrl, z.prettifyError(parsed.error).replace(/\s+/g, ' '));
  checkApiVersion(parsed.data.meta['api-version'], pageUrl);
  const links: RawLink[] = [];
  const dropped: { index: number; reason: string }[] = [];
  const skipped: string[] = [];
  const files = parsed.data.files;
  // The page URL parsed once, not once per entry (a bad one is reported per entry, as before).
  let base: URL | string = pageUrl;
  try {
    base = new URL(pageUrl);
  } catch {
    // each relative entry URL is then reported as not a URL
  }
  for (let index = 0; index < files.length; index++) {
    const entry = files[index];
    let f: FileEntry;
    if (isFileEntry(entry)) {
      f = entry;
    } else {
      // Only an entry that fails the quick check meets zod, which says what is wrong with it.
      const file = fileSchema.safeParse(entry);
      if (!file.success) {
        dropped.push({ index, reason: z.prettifyError(file.error).replace(/\s+/g, ' ') });
        continue;
      }
      f = file.data;
    }
    if (wanted !== undefined && !wanted(f.filename)) {
      skipped.push(f.filename);
      continue;
    }
    let url: URL;
    try {
      // Without its fragment: the same URL as clearing `hash` afterwards, for less work.
      const hashAt = f.url.indexOf('#');
      url = new URL(hashAt === -1 ? f.url : f.url.slice(0, hashAt), base);
    } catch {
      dropped.push({ index, reason: `url "${redactUrl(f.url)}" is not a URL` });
      continue;
    }
    // pip (Link.from_json): a true/non-empty-string "yanked" means yanked; "" and false do not.
    const yanked =
      f.yanked === undefined || f.yanked === false || f.yanked === ''
        ? false
        : f.yanked === true
          ? ''
          : f.yanked;
    const requiresPython = f['requires-python']?.trim();
    // Optional fields are set one by one: object spreads per entry cost more than the rest.
    const link: { -readonly [K in keyof RawLink]: RawLink[K] } = {
      filename: f.filename,
      url: url.href,
      hashes: lowerCased(f.hashes),
      yanked,
      // PEP 714: "core-metadata" is the name; "dist-info-metadata" the older spelling.
      coreMetadata: toMetadata(f['core-metadata'] ?? f['dist-info-metadata']),
      text: f.filename,
    };
    if (requiresPython) link.requiresPython = requiresPython;
    if (f.size !== undefined) link.size = f.size;
    if (f['upload-time'] !== undefined) link.uploadTime = f['upload-time'];
    links.push(link);
  }
  return { links, dropped, skipped };
}

/** Project names from a PEP 691 root page (`/simple/`); malformed entries are skipped. */
export function parseSimpleJsonRoot(text: string, pageUrl: string): string[] {
  const parsed = rootPageSchema.safeParse(parseJson(text, pageUrl));
  if (!parsed.success) throw malformed(pageUrl, z.prettifyError(parsed.error).replace(/\s+/g, ' '));
  checkApiVersion(parsed.data.meta['api-version'], pageUrl);
  const names: string[] = [];
  for (const entry of parsed.data.projects) {
    const p = z.object({ name: z.string() }).safeParse(entry);
    if (p.success) names.push(p.data.name);
  }
  return names;
}
