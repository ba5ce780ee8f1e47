/**
 * Credentials in index URLs (https://user:token@host/simple) must never reach output, logs,
 * manifests or lock files. Everything that displays or records a URL passes it through here.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = parsed.username === '' ? '' : '****';
    parsed.password = parsed.password === '' ? '' : '****';
    return parsed.toString();
  } catch {
    // Not a URL we can parse: strip anything that looks like userinfo.
    return url.replace(/\/\/[^/@\s]*@/, '//****@');
  }
}

/** Redacts every URL found inside free text (error messages from libraries, pip output). */
export function redactText(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1****@');
}
