/**
 * For the tests of `ferry serve`: a store with files published through the store's own API
 * (a signed bundle imported as `ferry import` does, or plain publishes), a listening server on
 * 127.0.0.1, and a raw HTTP client that sends the request target exactly as written (no
 * normalization of '..' or percent-encoding, unlike fetch and URL).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWheelMetadata } from '../../src/index/wheel-metadata.js';
import { importBundle } from '../../src/ops/import.js';
import { createServeHandler, listen, type ServeOptions } from '../../src/server/http/index.js';
import { type IndexStore, openIndexStore, type Provenance } from '../../src/server/store/index.js';
import { generateKeyPair, parseSecretKey } from '../../src/trust/keys.js';
import { buildWheel, type FakeDist } from '../helpers/local-index.js';
import { writeBundle } from '../onhost/fake-bundle.js';

export const sha256 = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('hex');

export interface Work {
  readonly dir: string;
  cleanup(): Promise<void>;
}

export async function workDir(prefix = 'ferry-serve-'): Promise<Work> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface SignedStore {
  readonly store: IndexStore;
  readonly storeDir: string;
  readonly bundleDir: string;
  readonly publicKeyFile: string;
  readonly keyId: string;
}

/** A new store holding one signed bundle of `dists`, imported into `approved` as `ferry import` does. */
export async function storeWithSignedBundle(
  dir: string,
  dists: readonly FakeDist[],
  name = 'demo-bundle',
): Promise<SignedStore> {
  const pair = generateKeyPair('ed25519');
  const publicKeyFile = join(dir, 'builder.pub');
  await writeFile(publicKeyFile, pair.publicKeyText);
  const bundleDir = await writeBundle(
    join(dir, name),
    dists,
    [],
    parseSecretKey(pair.secretKeyText),
  );
  const storeDir = join(dir, 'store');
  await importBundle({
    bundle: bundleDir,
    store: storeDir,
    keyFiles: [publicKeyFile],
    actor: 'importer',
  });
  const store = await openIndexStore(storeDir);
  return { store, storeDir, bundleDir, publicKeyFile, keyId: pair.keyId };
}

/** Publishes generated wheels straight through store.publish (an upload-like provenance). */
export async function publishWheels(
  store: IndexStore,
  index: string,
  dists: readonly FakeDist[],
  dir: string,
  provenance: Partial<Provenance> = {},
): Promise<number> {
  const files = [];
  for (const dist of dists) {
    const built = await buildWheel(dist, dir);
    const data = await readFile(built.path);
    files.push({
      path: built.path,
      filename: built.filename,
      sha256: built.sha256,
      size: data.length,
      uploadTime: '2026-03-01T10:00:00.000Z',
      coreMetadata: Buffer.from(await readWheelMetadata(data)),
      ...(dist.requiresPython === undefined ? {} : { requiresPython: dist.requiresPython }),
    });
  }
  const result = await store.publish(index, files, {
    kind: 'upload',
    signers: [],
    actor: 'tester',
    time: '2026-03-01T10:00:00.000Z',
    ...provenance,
  });
  return result.generation;
}

export interface TestServer {
  readonly base: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startTestServer(options: ServeOptions): Promise<TestServer> {
  const listening = await listen(createServeHandler(options), { host: '127.0.0.1', port: 0 });
  return {
    base: listening.base,
    port: Number(new URL(listening.base).port),
    close: () => listening.close(1000),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

export interface RawRequest {
  readonly method?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: Buffer | string | AsyncIterable<Buffer>;
}

/** One request with the target sent byte for byte as given. */
export function raw(port: number, target: string, request: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: target,
        method: request.method ?? 'GET',
        headers: request.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: body.toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = request.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      void (async () => {
        try {
          for await (const chunk of body) {
            if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
          }
          req.end();
        } catch (error) {
          req.destroy(error as Error);
        }
      })();
    }
  });
}

/** A multipart/form-data body as twine builds it (requests-toolbelt's encoder). */
export function uploadForm(
  fields: Record<string, string>,
  file?: { filename: string; data: Buffer },
  boundary = `----ferrytest${Math.random().toString(16).slice(2)}`,
): { body: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  if (file !== undefined) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export const basicAuth = (user: string, token: string): string =>
  `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
