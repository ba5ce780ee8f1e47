/**
 * Network fixtures on 127.0.0.1 for the transport tests: a forward proxy (absolute-form HTTP
 * requests and CONNECT tunnels, optionally wanting credentials) that counts what goes through
 * it, a TLS front that passes every request on to a plain HTTP server, and certificates made
 * with the openssl command line: a CA, a server certificate for 127.0.0.1 and a client one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Absolute-form request targets seen ("http://host/path"). */
  readonly requests: string[];
  /** CONNECT authorities seen ("127.0.0.1:443"). */
  readonly connects: string[];
  /** TestProxy-Authorization headers seen, in order. */
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Send every absolute-form request here instead of to its own host ("127.0.0.1:PORT"). */
  readonly upstream?: string;
  /** Answer 407 unless TestProxy-Authorization is Basic user:pass. */
  readonly auth?: { user: string; pass: string };
}

export async function startProxy(options: ProxyOptions = {}): Promise<TestProxy> {
  const requests: string[] = [];
  const connects: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const sockets = new Set<net.Socket>();
  const expected =
    options.auth === undefined
      ? undefined
      : `Basic ${Buffer.from(`${options.auth.user}:${options.auth.pass}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    authorizations.push(req.headers['proxy-authorization']);
    if (expected !== undefined && req.headers['proxy-authorization'] !== expected) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="proxy"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form expected');
      return;
    }
    const [host, port] = (options.upstream ?? target.host).split(':');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request(
      { host, port: Number(port ?? 80), path: target.pathname + target.search, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end();
  });
  server.on('connect', (req, client: net.Socket, head) => {
    connects.push(req.url ?? '');
    authorizations.push(req.headers['proxy-authorization']);
    sockets.add(client);
    if (expected !== undefined && req.headers['proxy-authorization'] !== expected) {
      client.end('HTTP/1.1 407 TestProxy Authentication Required\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connects,
    authorizations,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Certificates {
  readonly dir: string;
  /** The CA's certificate (PEM): what `cert` names. */
  readonly caFile: string;
  readonly serverKey: string;
  readonly serverCert: string;
  /** One PEM file with the client's key and certificate: what `client-cert` names. */
  readonly clientFile: string;
}

/** The openssl command line, or why it cannot be used (for a test's skip reason). */
export function opensslMissing(): string | undefined {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : 'the openssl command is not installed';
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-certs-'));
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=ferry test CA',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=ferry client');
  openssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
    '-extfile',
    'client.ext',
  );
  const clientFile = join(dir, 'client-key-and-cert.pem');
  writeFileSync(
    clientFile,
    readFileSync(join(dir, 'client.key'), 'utf8') + readFileSync(join(dir, 'client.pem'), 'utf8'),
  );
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.pem'),
    clientFile,
  };
}

export interface TlsFront {
  /** https://127.0.0.1:PORT */
  readonly base: string;
  /** TLS handshakes that reached a request, and client certificates seen (subject CN). */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * HTTPS on 127.0.0.1 in front of a plain HTTP server: every request is passed on unchanged.
 * With `requireClientCert`, a client without a certificate signed by the CA is refused in the
 * handshake.
 */
export async function startTlsFront(
  certs: Certificates,
  upstream: string,
  options: { requireClientCert?: boolean } = {},
): Promise<TlsFront> {
  const requests: string[] = [];
  const target = new URL(upstream);
  const server = https.createServer(
    {
      key: readFileSync(certs.serverKey),
      cert: readFileSync(certs.serverCert),
      ...(options.requireClientCert
        ? { ca: readFileSync(certs.caFile), requestCert: true, rejectUnauthorized: true }
        : {}),
    },
    (req, res) => {
      requests.push(req.url ?? '');
      const up = http.request(
        {
          host: target.hostname,
          port: Number(target.port),
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.writeHead(502).end());
      up.end();
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
