/**
 * The path of a request, split into decoded segments, or a refusal. Checked on the raw
 * request target before anything resolves it: `new URL()` would fold `/a/../b` into `/b` and
 * so hide a traversal attempt instead of refusing it.
 */

export type RequestPath =
  | {
      readonly ok: true;
      /** Decoded segments; an empty last segment means the path ended with '/'. */
      readonly segments: readonly string[];
      readonly query: URLSearchParams;
    }
  | { readonly ok: false; readonly reason: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Splits a request target such as `/approved/simple/Foo/?format=json`. Refused: a target that
 * is not an origin-form path, a segment that is or decodes to '.' or '..', that decodes to
 * something holding '/' or '\' (an encoded separator), NUL or another control character, and
 * percent-encoding that is not valid UTF-8.
 */
export function parseRequestPath(target: string | undefined): RequestPath {
  if (target === undefined || !target.startsWith('/')) {
    return { ok: false, reason: 'the request target is not a path' };
  }
  const hash = target.indexOf('#');
  const raw = hash < 0 ? target : target.slice(0, hash);
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  if (path.includes('\\')) return { ok: false, reason: 'the path contains "\\"' };
  const segments: string[] = [];
  const parts = path.slice(1).split('/');
  for (const [i, part] of parts.entries()) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return { ok: false, reason: `the path segment "${part}" is not valid percent-encoding` };
    }
    if (decoded === '.' || decoded === '..') {
      return { ok: false, reason: 'the path contains a "." or ".." segment' };
    }
    if (decoded.includes('/') || decoded.includes('\\')) {
      return { ok: false, reason: 'the path contains an encoded "/" or "\\"' };
    }
    if (CONTROL.test(decoded)) {
      return { ok: false, reason: 'the path contains NUL or a control character' };
    }
    // Empty segments are allowed only at the end ('/simple/'), never as '//' in the middle.
    if (decoded === '' && i !== parts.length - 1) {
      return { ok: false, reason: 'the path contains an empty segment ("//")' };
    }
    segments.push(decoded);
  }
  return { ok: true, segments, query };
}
