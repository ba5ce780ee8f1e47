/**
 * What a node needs to install from `ferry serve`: the pip.conf and uv.toml snippets for one
 * index, with the CA to trust when the server speaks TLS. Pure: URLs in, text out.
 */
import { FerryError } from '../../core/errors.js';

export interface ClientConfigRequest {
  /** The server (http(s)://host:port) or an index URL on it (…/approved/simple/). */
  readonly server: string;
  /** The index nodes install from, when `server` does not name one (default: approved). */
  readonly index?: string;
  /** Where the CA certificate lies on the node (absolute path), for a server with TLS. */
  readonly ca?: string;
}

export interface ClientConfig {
  readonly indexUrl: string;
  readonly pipConf: string;
  readonly uvToml: string;
  /** What else to set: environment variables, warnings. */
  readonly notes: readonly string[];
}

// pip's own secure origins (pip/_internal/index/package_finder.py SECURE_ORIGINS): plain
// HTTP to anything else is ignored unless listed as a trusted-host.
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

const tomlString = (text: string): string => JSON.stringify(text);

export function clientConfig(request: ClientConfigRequest): ClientConfig {
  let url: URL;
  try {
    url = new URL(request.server);
  } catch {
    throw new FerryError('ERR_FERRY_BAD_URL', `--server "${request.server}" is not a URL`, {
      hint: 'Give the address ferry serve printed, e.g. https://index.intranet:8443 or http://10.0.0.5:8080/approved/simple/.',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FerryError('ERR_FERRY_BAD_URL', `--server "${request.server}" is not http(s)`, {
      hint: 'ferry serve speaks http:// or, with --tls-cert, https://.',
    });
  }
  url.search = '';
  url.hash = '';
  if (!/\/simple\/?$/.test(url.pathname)) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(request.index ?? 'approved')}/simple/`;
  } else if (!url.pathname.endsWith('/')) {
    url.pathname += '/';
  }
  const indexUrl = url.href;
  const notes: string[] = [];
  const pip = ['[global]', `index-url = ${indexUrl}`];
  const uv = ['[[index]]', `url = ${tomlString(indexUrl)}`, 'default = true'];
  if (url.protocol === 'https:' && request.ca !== undefined) {
    pip.push(`cert = ${request.ca}`);
    notes.push(
      `uv reads the CA from the environment: export SSL_CERT_FILE=${request.ca} (or add it to the system trust store and set UV_NATIVE_TLS=1)`,
    );
  } else if (url.protocol === 'http:') {
    if (request.ca !== undefined) notes.push('--ca is ignored: the server URL is http://');
    if (!LOOPBACK.test(url.hostname)) {
      pip.push(`trusted-host = ${url.hostname}`);
      uv.splice(1, 0, '# plain HTTP: uv warns; serve with --tls-cert for a production network');
      notes.push(
        `plain HTTP to ${url.hostname}: pip needs trusted-host for it; prefer ferry serve --tls-cert/--tls-key and --ca here`,
      );
    }
  }
  if (url.username !== '' || url.password !== '') {
    notes.push(
      'the URL carries credentials: keep this pip.conf readable by its users only (chmod 600)',
    );
  }
  return {
    indexUrl,
    pipConf: `${pip.join('\n')}\n`,
    uvToml: `${uv.join('\n')}\n`,
    notes,
  };
}
