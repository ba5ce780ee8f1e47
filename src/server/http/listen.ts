/**
 * The listening socket of `ferry serve`: plain HTTP or HTTPS on node:http / node:https, and a
 * graceful stop (no new connections, idle keep-alive connections closed at once, requests in
 * flight given a few seconds to finish, then the rest cut).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FerryError } from '../../core/errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:80`, `:8080` (all interfaces) or `8080` (loopback).
 * Port 0 picks a free port.
 */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$|^(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3] ?? m?.[4]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new FerryError('ERR_FERRY_USAGE', `--listen "${text}" is not HOST:PORT`, {
      hint: 'Give an address and port such as 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080 or :8080.',
    });
  }
  const host = m[1] ?? (m[4] !== undefined ? '127.0.0.1' : m[2] === '' ? '0.0.0.0' : m[2]!);
  return { host, port };
}

export interface Listening {
  readonly server: Server;
  /** The base URL, e.g. http://127.0.0.1:8080 (the real port when 0 was asked). */
  readonly base: string;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  address: ListenAddress,
  tls?: TlsFiles,
): Promise<Listening> {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handler(req, res);
  };
  const server: Server =
    tls === undefined
      ? createHttpServer(onRequest)
      : (createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest) as unknown as Server);
  // Slow clients must not hold a socket forever; large uploads still have all the time they
  // need while bytes keep coming (requestTimeout 0 leaves that to the socket's idle timeout).
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(120_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
      reject(
        new FerryError(
          'ERR_FERRY_USAGE',
          error.code === 'EADDRINUSE'
            ? `${where} is already in use`
            : `cannot listen on ${where}: ${error.message}`,
          {
            hint:
              error.code === 'EACCES'
                ? 'Ports below 1024 need privileges: use a port such as 8080, or a front server.'
                : 'Choose another address or port with --listen HOST:PORT.',
            cause: error,
          },
        ),
      );
    });
    server.listen(address.port, address.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const base = `${tls === undefined ? 'http' : 'https'}://${host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    server,
    base,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
