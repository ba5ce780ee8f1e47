/**
 * Core metadata (METADATA / PKG-INFO, Metadata-Version 1.0 to 2.4) as written by build tools:
 * RFC 822 style headers, one per line, continuation lines starting with a space or tab,
 * repeatable fields, then a blank line and the description as the body (2.1+).
 *
 * Two layers, as packaging.metadata has them: `parseMetadataHeaders` reads the headers the way
 * Python's `email.parser` with the compat32 policy does (what `packaging.metadata.parse_email`
 * builds on), keeping values exactly as written; `parseCoreMetadata` then picks the fields
 * ferry uses and undoes setuptools' multi-line escaping.
 * Spec: https://packaging.python.org/specifications/core-metadata/
 */
import { FerryError } from '../core/errors.js';

export interface CoreMetadata {
  readonly metadataVersion: string;
  readonly name: string;
  readonly version: string;
  readonly summary?: string;
  readonly requiresDist: readonly string[];
  readonly requiresPython?: string;
  readonly providesExtra: readonly string[];
  readonly license?: string;
  readonly licenseExpression?: string;
  readonly licenseFiles: readonly string[];
  readonly classifiers: readonly string[];
  readonly homePage?: string;
  /** 'Label, URL' as written (Project-URL, metadata 1.2+). */
  readonly projectUrls: readonly string[];
  readonly author?: string;
  readonly authorEmail?: string;
  readonly maintainer?: string;
  readonly maintainerEmail?: string;
  readonly description?: string;
  readonly descriptionContentType?: string;
  readonly keywords?: string;
  readonly requiresExternal: readonly string[];
  readonly dynamic: readonly string[];
}

export interface MetadataHeaders {
  /** Lowercased field name -> every value in order, as email.message.Message.get_all returns them. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  /** The message body (the description in metadata 2.1+); '' when there is none. */
  readonly body: string;
}

// email.feedparser.headerRE: a header line, a continuation line, or a Unix 'From ' line.
const HEADER_LINE = /^(From |[\x21-\x39\x3b-\x7e]*:|[\t ])/;

/**
 * Splits the text into headers and body like email.parser.Parser(policy=compat32): headers end
 * at the first blank line, or at the first line that is not a header (which then starts the
 * body). A value keeps its continuation lines with their line breaks, as compat32 does.
 * Line breaks are normalized to '\n' first.
 */
export function parseMetadataHeaders(text: string): MetadataHeaders {
  const lines = text.replace(/\r\n?/g, '\n').split(/(?<=\n)/);
  const headerLines: string[] = [];
  let index = 0;
  for (; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (!HEADER_LINE.test(line)) {
      // The blank separator line is dropped; any other line belongs to the body.
      if (line.startsWith('\n')) index++;
      break;
    }
    headerLines.push(line);
  }
  let body = lines.slice(index).join('');
  const fields = new Map<string, string[]>();
  let current: string[] | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const [first = '', ...rest] = current;
    const colon = first.indexOf(':');
    const name = first.slice(0, colon).toLowerCase();
    // email.policy.compat32.header_source_parse
    const value = (first.slice(colon + 1).replace(/^[ \t]+/, '') + rest.join('')).replace(
      /[\r\n]+$/,
      '',
    );
    const list = fields.get(name);
    if (list === undefined) fields.set(name, [value]);
    else list.push(value);
    current = undefined;
  };
  for (const [lineNumber, line] of headerLines.entries()) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // A continuation with no header before it is a defect that the parser skips.
      current?.push(line);
      continue;
    }
    flush();
    // An mbox envelope 'From ' line never becomes a field (email.feedparser._parse_headers
    // pushes it back into the body when it is the last header line); ':value' is invalid.
    if (line.startsWith('From ')) {
      if (lineNumber > 0 && lineNumber === headerLines.length - 1) body = line + body;
      continue;
    }
    if (line.indexOf(':') <= 0) continue;
    current = [line];
  }
  flush();
  return { fields, body };
}

/**
 * setuptools' rfc822_unescape: multi-line values are written with every continuation line
 * indented by 8 spaces; the first line loses its leading spaces, the rest are dedented.
 */
export function unescapeMultiline(value: string): string {
  const lines = value.split('\n');
  if (lines.length === 1) return (lines[0] ?? '').trimStart();
  const rest = lines.slice(1);
  const indents = rest
    .filter((line) => line.trim() !== '')
    .map((line) => /^[ \t]*/.exec(line)?.[0].length ?? 0);
  const common = indents.length === 0 ? 0 : Math.min(...indents);
  const dedented = rest.map((line) => (line.trim() === '' ? '' : line.slice(common)));
  return [(lines[0] ?? '').trimStart(), ...dedented].join('\n');
}

function invalidMetadata(message: string, source: string | undefined): FerryError {
  const where = source === undefined ? 'The metadata' : `The metadata in ${source}`;
  return new FerryError('ERR_FERRY_INVALID_METADATA', `${where} ${message}`, {
    hint: 'Core metadata (METADATA, PKG-INFO) starts with "Metadata-Version:", "Name:" and "Version:" lines; the file may be damaged or not metadata at all.',
    details: source === undefined ? {} : { source },
  });
}

/**
 * Parses METADATA / PKG-INFO text. Throws ERR_FERRY_INVALID_METADATA (naming `source`) when it has
 * no headers or lacks Name or Version. Single-use fields take their first value.
 */
export function parseCoreMetadata(text: string, source?: string): CoreMetadata {
  const { fields, body } = parseMetadataHeaders(text.startsWith('\ufeff') ? text.slice(1) : text);
  if (fields.size === 0)
    throw invalidMetadata('has no header fields; it is not core metadata', source);
  const all = (name: string): string[] =>
    [...(fields.get(name) ?? [])].map((v) => unescapeMultiline(v).trim());
  const one = (name: string): string | undefined => {
    const value = fields.get(name)?.[0];
    return value === undefined ? undefined : unescapeMultiline(value).trim();
  };
  const name = one('name');
  const version = one('version');
  if (name === undefined || name === '') throw invalidMetadata('has no Name field', source);
  if (version === undefined || version === '')
    throw invalidMetadata(`for "${name}" has no Version field`, source);
  // Metadata 2.1+ puts the description in the body; older files use a Description header.
  const headerDescription = fields.get('description')?.[0];
  const description =
    body !== ''
      ? body
      : headerDescription === undefined
        ? undefined
        : unescapeMultiline(headerDescription);
  const optional = {
    summary: one('summary'),
    requiresPython: one('requires-python'),
    license:
      fields.get('license')?.[0] === undefined
        ? undefined
        : unescapeMultiline(fields.get('license')?.[0] ?? ''),
    licenseExpression: one('license-expression'),
    homePage: one('home-page'),
    author: one('author'),
    authorEmail: one('author-email'),
    maintainer: one('maintainer'),
    maintainerEmail: one('maintainer-email'),
    description,
    descriptionContentType: one('description-content-type'),
    keywords: one('keywords'),
  };
  const present = Object.fromEntries(
    Object.entries(optional).filter(([, value]) => value !== undefined),
  );
  return {
    metadataVersion: one('metadata-version') ?? '',
    name,
    version,
    requiresDist: all('requires-dist'),
    providesExtra: all('provides-extra'),
    licenseFiles: all('license-file'),
    classifiers: all('classifier'),
    projectUrls: all('project-url'),
    requiresExternal: all('requires-external'),
    dynamic: all('dynamic'),
    ...present,
  };
}

/**
 * The license as a person would read it: License-Expression (metadata 2.4, SPDX), else the
 * License field when it is one line, else the 'License :: ' classifiers, else the first line
 * of a pasted license text.
 */
export function licenseOf(m: CoreMetadata): string | undefined {
  if (m.licenseExpression !== undefined && m.licenseExpression !== '') return m.licenseExpression;
  const license = m.license?.trim();
  const known = license !== undefined && license !== '' && license.toUpperCase() !== 'UNKNOWN';
  if (known && !license.includes('\n')) return license;
  const fromClassifiers = m.classifiers
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').at(-1)?.trim() ?? '')
    .filter((c) => c !== '' && c !== 'OSI Approved');
  if (fromClassifiers.length > 0) return fromClassifiers.join('; ');
  // Many projects paste the whole license text into License; its first line is the title.
  return known
    ? license
        .split('\n')
        .find((line) => line.trim() !== '')
        ?.trim()
    : undefined;
}
