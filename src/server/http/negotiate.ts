/**
 * Content negotiation for the simple API (PEP 691) and for compression: which representation
 * of a page a client gets, from its `Accept` / `Accept-Encoding` headers with their q-values
 * (RFC 9110 §12.5), or from a `?format=` override.
 */

export const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
export const SIMPLE_HTML = 'application/vnd.pypi.simple.v1+html';
export const TEXT_HTML = 'text/html';

export type SimpleFormat = typeof SIMPLE_JSON | typeof SIMPLE_HTML | typeof TEXT_HTML;

/**
 * Offers in the order Warehouse lists them (warehouse/api/simple.py `_select_content_type`):
 * when a client accepts several at the same q, the first wins, so `*\/*` (curl) and a browser
 * get HTML, and only a client that asks for JSON by name gets JSON.
 */
const OFFERS: readonly SimpleFormat[] = [TEXT_HTML, SIMPLE_HTML, SIMPLE_JSON];

/** PEP 691 also names the moving `latest` aliases; they mean v1 today. */
const ALIASES: Readonly<Record<string, SimpleFormat>> = {
  'application/vnd.pypi.simple.latest+json': SIMPLE_JSON,
  'application/vnd.pypi.simple.latest+html': SIMPLE_HTML,
};

interface Range {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseQ(params: readonly string[]): number {
  for (const param of params) {
    const [key, value] = param.split('=').map((s) => s.trim());
    if (key?.toLowerCase() === 'q' && value !== undefined) {
      const q = Number(value);
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}

function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  for (const part of header.split(',')) {
    const [media = '', ...params] = part.split(';');
    let [type, subtype] = media.trim().toLowerCase().split('/');
    if (type === undefined || subtype === undefined || type === '' || subtype === '') continue;
    const alias = ALIASES[`${type}/${subtype}`];
    if (alias !== undefined) [type, subtype] = alias.split('/') as [string, string];
    ranges.push({ type, subtype, q: parseQ(params) });
  }
  return ranges;
}

/** The q a list of ranges gives one offer: the most specific range that matches wins. */
function qualityOf(offer: string, ranges: readonly Range[]): number {
  const [type, subtype] = offer.split('/') as [string, string];
  let best = -1;
  let q = 0;
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 2
        : range.type === type && range.subtype === '*'
          ? 1
          : range.type === '*' && range.subtype === '*'
            ? 0
            : -1;
    if (specificity > best) {
      best = specificity;
      q = range.q;
    }
  }
  return best < 0 ? 0 : q;
}

/**
 * The representation of a simple page for this `Accept` header, or undefined when the client
 * accepts none of them (answered with 406). No header at all means text/html, as PEP 503
 * clients that predate PEP 691 send none.
 */
export function negotiateSimple(accept: string | undefined): SimpleFormat | undefined {
  if (accept === undefined || accept.trim() === '') return TEXT_HTML;
  const ranges = parseAccept(accept);
  let chosen: SimpleFormat | undefined;
  let bestQ = 0;
  for (const offer of OFFERS) {
    const q = qualityOf(offer, ranges);
    if (q > bestQ) {
      bestQ = q;
      chosen = offer;
    }
  }
  return chosen;
}

/**
 * `?format=` as Warehouse takes it (the full content type), plus the short words `json` and
 * `html`; undefined when the value is none of them.
 */
export function formatOverride(value: string): SimpleFormat | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'json') return SIMPLE_JSON;
  if (v === 'html') return SIMPLE_HTML;
  if (v === SIMPLE_JSON || v === SIMPLE_HTML || v === TEXT_HTML) return v;
  return ALIASES[v];
}

export const FORMAT_VALUES = ['json', 'html', SIMPLE_JSON, SIMPLE_HTML, TEXT_HTML] as const;

export type Encoding = 'br' | 'gzip' | 'identity';

/**
 * The encoding to send a compressible page in: br over gzip at equal q (smaller), identity
 * when the client names neither (or refuses them with q=0).
 */
export function negotiateEncoding(header: string | undefined): Encoding {
  if (header === undefined) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';');
    const coding = name.trim().toLowerCase();
    if (coding !== '') q.set(coding, parseQ(params));
  }
  const star = q.get('*');
  const of = (coding: string): number => q.get(coding) ?? star ?? 0;
  const br = of('br');
  const gzip = Math.max(of('gzip'), q.get('x-gzip') ?? 0);
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return 'identity';
}
