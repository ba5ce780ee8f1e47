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

/** HTML whitespace (the characters html.parser's `\\s` means in a tag). */
const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;

const isAsciiLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/**
 * Scans the attributes of a start tag from `from` (just after the tag name) to its closing `>`,
 * the way Python's html.parser (which pip's HTMLLinkParser uses) reads them: a name runs to
 * whitespace, `/`, `=` or `>`; a value is quoted (a `>` inside quotes does not end the tag) or
 * runs to whitespace or `>`. Every character is looked at once, so a hostile tag costs time in
 * proportion to its length. Returns the index of the `>`, or -1 when the page ends inside the
 * tag. With `attrs`, fills it: names lower-cased, values unescaped, the first occurrence wins.
 */
function scanTag(html: string, from: number, attrs?: Map<string, string>): number {
  const n = html.length;
  let i = from;
  for (;;) {
    while (i < n && (isSpace(html.charCodeAt(i)) || html.charCodeAt(i) === 0x2f)) i++;
    if (i >= n) return -1;
    if (html.charCodeAt(i) === 0x3e) return i;
    const nameStart = i;
    i++; // the first character of a name may be '='
    while (i < n) {
      const c = html.charCodeAt(i);
      if (isSpace(c) || c === 0x2f || c === 0x3d || c === 0x3e) break;
      i++;
    }
    const nameEnd = i;
    let j = i;
    while (j < n && isSpace(html.charCodeAt(j))) j++;
    let value = '';
    if (j < n && html.charCodeAt(j) === 0x3d) {
      while (j < n && html.charCodeAt(j) === 0x3d) j++;
      while (j < n && isSpace(html.charCodeAt(j))) j++;
      const q = html.charCodeAt(j);
      if (q === 0x22 || q === 0x27) {
        const close = html.indexOf(q === 0x22 ? '"' : "'", j + 1);
        if (close === -1) return -1; // the page ends inside a quoted value
        value = html.slice(j + 1, close);
        i = close + 1;
      } else {
        const valueStart = j;
        while (j < n && !isSpace(html.charCodeAt(j)) && html.charCodeAt(j) !== 0x3e) j++;
        value = html.slice(valueStart, j);
        i = j;
      }
    }
    if (attrs !== undefined) {
      const name = html.slice(nameStart, nameEnd).toLowerCase();
      if (!attrs.has(name)) attrs.set(name, unescapeHtml(value));
    }
  }
}

/** Attributes of one start tag (the text between its name and `>`): names lower-cased, values unescaped; valueless → ''. */
export function parseAttributes(source: string): Map<string, string> {
  const attrs = new Map<string, string>();
  scanTag(`${source}>`, 0, attrs);
  return attrs;
}

/** Text with its tags removed (`a<b>c</b>` → `ac`); a `<` that no `>` follows stays. Linear. */
function stripTags(text: string): string {
  let out = '';
  let pos = 0;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt === -1) break;
    const gt = text.indexOf('>', lt + 1);
    if (gt === -1) break;
    out += text.slice(pos, lt);
    pos = gt + 1;
  }
  return out + text.slice(pos);
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

/** A tag's name ends at whitespace, `/` or `>` (html.parser's tagfind), so `<a<a` is no anchor. */
function tagNameEnd(html: string, from: number): number {
  let i = from;
  while (i < html.length) {
    const c = html.charCodeAt(i);
    if (isSpace(c) || c === 0x2f || c === 0x3e) break;
    i++;
  }
  return i;
}

/** Is html[start, end) the tag name `name` (lower-case), in any case? */
const isTagName = (html: string, start: number, end: number, name: string): boolean =>
  end - start === name.length && html.slice(start, end).toLowerCase() === name;

/**
 * The links of a simple page, found by one left-to-right scan: every step moves forward and
 * every search (`indexOf`, a sticky regular expression) starts where the last one stopped, so
 * a page costs time in proportion to its length however it is built (an unclosed `<!--`, a
 * million `<a`, a quote that never closes). As in Python's html.parser, which pip uses: a
 * comment with no `-->` runs to the end of the page; every `<a>` start tag with an href is a
 * link, closed or not (its text runs to `</a>` or the next `<a>`); only the first `<base>`
 * counts; script and style contents are not markup; a page that ends inside a tag ends there.
 */
export function parseSimpleHtml(html: string, pageUrl: string): RawLink[] {
  const n = html.length;
  let base: string | undefined;
  const anchors: { attrs: Map<string, string>; text: string }[] = [];
  // The anchor whose text is being collected: its parts outside comments, and where the
  // current part began.
  let open: { attrs: Map<string, string>; parts: string[]; from: number } | undefined;
  const closeAnchor = (at: number): void => {
    if (open === undefined) return;
    open.parts.push(html.slice(open.from, at));
    anchors.push({ attrs: open.attrs, text: open.parts.join('') });
    open = undefined;
  };
  let pos = 0;
  // Where the page's text ends: its end, or the start of a tag the page ends inside.
  let stop = n;
  while (pos < n) {
    const lt = html.indexOf('<', pos);
    if (lt === -1) break;
    const next = html.charCodeAt(lt + 1);
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (open !== undefined) open.parts.push(html.slice(open.from, lt));
      if (end === -1) {
        if (open !== undefined) open.from = n;
        break;
      }
      pos = end + 3;
      if (open !== undefined) open.from = pos;
      continue;
    }
    if (isAsciiLetter(next)) {
      const nameEnd = tagNameEnd(html, lt + 1);
      const isAnchor = isTagName(html, lt + 1, nameEnd, 'a');
      const isBase = base === undefined && isTagName(html, lt + 1, nameEnd, 'base');
      const attrs = isAnchor || isBase ? new Map<string, string>() : undefined;
      const gt = scanTag(html, nameEnd, attrs);
      if (gt === -1) {
        stop = lt; // the page ends inside this tag
        break;
      }
      pos = gt + 1;
      if (isAnchor) {
        closeAnchor(lt);
        open = { attrs: attrs!, parts: [], from: pos };
      } else if (isBase) {
        base = attrs!.get('href') ?? '';
      } else if (
        isTagName(html, lt + 1, nameEnd, 'script') ||
        isTagName(html, lt + 1, nameEnd, 'style')
      ) {
        // Raw text: nothing inside is markup until the matching end tag.
        const endTag = new RegExp(`</${html.slice(lt + 1, nameEnd)}[\\s/>]`, 'gi');
        endTag.lastIndex = pos;
        const m = endTag.exec(html);
        if (m === null) {
          stop = pos;
          break;
        }
        pos = m.index;
      }
      continue;
    }
    if (next === 0x2f && isAsciiLetter(html.charCodeAt(lt + 2))) {
      const nameEnd = tagNameEnd(html, lt + 2);
      const gt = html.indexOf('>', nameEnd);
      if (gt === -1) {
        stop = lt;
        break;
      }
      if (isTagName(html, lt + 2, nameEnd, 'a')) closeAnchor(lt);
      pos = gt + 1;
      continue;
    }
    if (next === 0x21 || next === 0x3f || next === 0x2f) {
      // <!DOCTYPE ...>, <?...>, </ ...>: skipped to their '>'.
      const gt = html.indexOf('>', lt + 2);
      if (gt === -1) {
        stop = lt;
        break;
      }
      pos = gt + 1;
      continue;
    }
    pos = lt + 1; // a '<' that starts no tag is text
  }
  closeAnchor(stop);

  let resolvedBase = pageUrl;
  if (base !== undefined && base !== '') {
    try {
      resolvedBase = new URL(base, pageUrl).href;
    } catch {
      // an unusable <base> is ignored, as browsers do
    }
  }
  const links: RawLink[] = [];
  for (const { attrs, text } of anchors) {
    const href = attrs.get('href');
    if (href === undefined || href.trim() === '') continue;
    let absolute: string;
    try {
      absolute = new URL(href.trim(), resolvedBase).href;
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
      text: unescapeHtml(stripTags(text)).trim(),
    });
  }
  return links;
}
