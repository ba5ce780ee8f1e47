/**
 * Credentials in index URLs (https://user:token@host/simple) must never reach output, logs,
 * manifests or lock files. Everything that displays or records a URL passes it through here.
 *
 * A password with an unencoded `/` (https://u:pa/ss@host/simple) ends the authority early for
 * every URL parser (WHATWG and Python's urlsplit alike): the URL then fails to parse (port "pa")
 * or parses with the user name as its host and the rest of the secret in its path
 * (https://u:12/ss@host/). Both are treated as credentials up to the last `@`: showing too
 * little of a broken URL is better than showing a secret.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can parse: everything between "//" and the last "@" may be userinfo.
    return redactAuthority(url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && parsed.protocol !== 'file:') {
    // "u:pa/ss@host/simple" (a scheme forgotten) parses as scheme "u": nothing here is a host.
    return url.includes('@')
      ? url.replace(/^([a-z][a-z0-9+.-]*:)(?:\/\/)?[^\s]*@/i, '$1****@')
      : url;
  }
  if (parsed.username === '' && parsed.password === '') {
    return cutShort(parsed) ? redactAuthority(url) : url;
  }
  parsed.username = parsed.username === '' ? '' : '****';
  parsed.password = parsed.password === '' ? '' : '****';
  return parsed.toString();
}

/** Redacts every URL found inside free text (error messages from libraries, pip output). */
export function redactText(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url));
}

/** `scheme://` + anything up to the last `@` before a query, fragment or space → `****`. */
function redactAuthority(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^?#\s]*@/i, '$1****@');
}

/**
 * An authority cut short by a `/` in the password: a single-label host with a port, and an `@`
 * in the path (https://user:12/3abc@host/simple). Real hosts with `@` in their paths (Azure
 * Artifacts' `feed@Local` views) have dotted names and are left alone.
 */
function cutShort(url: URL): boolean {
  if (!url.pathname.includes('@')) return false;
  const host = url.hostname;
  return url.port !== '' && !host.includes('.') && !host.includes(':') && host !== 'localhost';
}
