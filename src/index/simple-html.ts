/**
 * PEP 503 HTML pages (with PEP 592 data-yanked, PEP 345 data-requires-python, PEP 658/714
 * data-core-metadata / data-dist-info-metadata): anchors only, attributes HTML-unescaped, URLs
 * resolved against `<base href>` or the page URL, hashes from `#<algo>=<hex>` fragments.
 * This is not a general HTML parser; it tokenizes tags the way index pages write them.
 */

/** A link on a simple page, before the client filters it by project and filename. */
export interface RawLink {
  /** The last path segment of the URL, percent-decoded (pip's Link.filename). */
  readonly filename: string;
  /** Absolute URL without the fragment. */
  readonly url: string;
  readonly hashes: Readonly<Record<string, string>>;
  readonly requiresPython?: string;
  readonly yanked: false | string;
  readonly coreMetadata: false | Readonly<Record<string, string>>;
  readonly size?: number;
  readonly uploadTime?: string;
  /** The anchor's text (project names on the root page). */
  readonly text: string;
}

/** Hash names pip accepts in fragments (hashlib's guaranteed algorithms). */
const FRAGMENT_HASHES = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function unescapeHtml(text: string): string {
  return text.replace(/&(#[0-9]+|#x[0-9a-f]+|[a-z]+);?/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number.parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Attributes of one start tag: names lower-cased, values unescaped; valueless → ''. */
export function parseAttributes(source: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  for (const m of source.matchAll(re)) {
    const name = m[1]!.toLowerCase();
    if (attrs.has(name)) continue; // HTML: the first occurrence wins
    attrs.set(name, unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return attrs;
}

/** Splits a URL into its fragment-free form and the hashes named in the fragment. */
export function splitHashFragment(url: string): { url: string; hashes: Record<string, string> } {
  const hashAt = url.indexOf('#');
  if (hashAt < 0) return { url, hashes: {} };
  const hashes: Record<string, string> = {};
  const m = /^([a-z0-9]+)=([0-9a-f]+)$/i.exec(url.slice(hashAt + 1));
  if (m && FRAGMENT_HASHES.has(m[1]!.toLowerCase()))
    hashes[m[1]!.toLowerCase()] = m[2]!.toLowerCase();
  return { url: url.slice(0, hashAt), hashes };
}

/** `true` → {} (offered, no hash), `sha256=abc` → { sha256: 'abc' }, absent/`false` → false. */
export function parseMetadataAttribute(value: string | undefined): false | Record<string, string> {
  if (value === undefined) return false;
  const v = value.trim();
  if (v.toLowerCase() === 'false') return false;
  const m = /^([a-z0-9]+)=([0-9a-f]+)$/i.exec(v);
  return m ? { [m[1]!.toLowerCase()]: m[2]!.toLowerCase() } : {};
}

export function filenameOfUrl(url: string): string {
  const path = new URL(url).pathname;
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

export function parseSimpleHtml(html: string, pageUrl: string): RawLink[] {
  const text = html.replace(/<!--[\s\S]*?-->/g, '');
  let base = pageUrl;
  const baseTag = /<base\b([^>]*)>/i.exec(text);
  if (baseTag) {
    const href = parseAttributes(baseTag[1]!).get('href');
    if (href !== undefined && href !== '') {
      try {
        base = new URL(href, pageUrl).href;
      } catch {
        // an unusable <base> is ignored, as browsers do
      }
    }
  }
  const links: RawLink[] = [];
  for (const m of text.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const attrs = parseAttributes(m[1]!);
    const href = attrs.get('href');
    if (href === undefined || href.trim() === '') continue;
    let absolute: string;
    try {
      absolute = new URL(href.trim(), base).href;
    } catch {
      continue;
    }
    const { url, hashes } = splitHashFragment(absolute);
    let filename: string;
    try {
      filename = filenameOfUrl(url);
    } catch {
      continue;
    }
    const requiresPython = attrs.get('data-requires-python');
    const yanked = attrs.get('data-yanked');
    links.push({
      filename,
      url,
      hashes,
      ...(requiresPython !== undefined && requiresPython.trim() !== ''
        ? { requiresPython: requiresPython.trim() }
        : {}),
      yanked: yanked === undefined ? false : yanked,
      // PEP 714: data-core-metadata is the name; data-dist-info-metadata the older spelling.
      coreMetadata: parseMetadataAttribute(
        attrs.get('data-core-metadata') ?? attrs.get('data-dist-info-metadata'),
      ),
      text: unescapeHtml(m[2]!.replace(/<[^>]*>/g, '')).trim(),
    });
  }
  return links;
}
