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

export interface JsonPage {
  readonly links: RawLink[];
  /** Entries that were dropped, with why (the client reports them as warnings). */
  readonly dropped: readonly { readonly index: number; readonly reason: string }[];
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

export function parseSimpleJson(text: string, pageUrl: string): JsonPage {
  const parsed = projectPageSchema.safeParse(parseJson(text, pageUrl));
  if (!parsed.success) throw malformed(pageUrl, z.prettifyError(parsed.error).replace(/\s+/g, ' '));
  checkApiVersion(parsed.data.meta['api-version'], pageUrl);
  const links: RawLink[] = [];
  const dropped: { index: number; reason: string }[] = [];
  for (const [index, entry] of parsed.data.files.entries()) {
    const file = fileSchema.safeParse(entry);
    if (!file.success) {
      dropped.push({ index, reason: z.prettifyError(file.error).replace(/\s+/g, ' ') });
      continue;
    }
    const f = file.data;
    let url: URL;
    try {
      url = new URL(f.url, pageUrl);
    } catch {
      dropped.push({ index, reason: `url "${redactUrl(f.url)}" is not a URL` });
      continue;
    }
    url.hash = '';
    // pip (Link.from_json): a true/non-empty-string "yanked" means yanked; "" and false do not.
    const yanked =
      f.yanked === undefined || f.yanked === false || f.yanked === ''
        ? false
        : f.yanked === true
          ? ''
          : f.yanked;
    const requiresPython = f['requires-python']?.trim();
    links.push({
      filename: f.filename,
      url: url.href,
      hashes: Object.fromEntries(
        Object.entries(f.hashes).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]),
      ),
      ...(requiresPython ? { requiresPython } : {}),
      yanked,
      // PEP 714: "core-metadata" is the name; "dist-info-metadata" the older spelling.
      coreMetadata: toMetadata(f['core-metadata'] ?? f['dist-info-metadata']),
      ...(f.size === undefined ? {} : { size: f.size }),
      ...(f['upload-time'] === undefined ? {} : { uploadTime: f['upload-time'] }),
      text: f.filename,
    });
  }
  return { links, dropped };
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
