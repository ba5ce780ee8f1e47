/**
 * A local package index for tests: real, pip-installable wheels (and sdists) generated with
 * deterministic bytes, served on 127.0.0.1 as PEP 503 HTML and/or PEP 691 JSON (by Accept),
 * with PEP 658 `.metadata` files on request, optional basic auth, and injectable faults.
 *
 *   const index = await startLocalIndex([{ name: 'demo', version: '1.0', requiresDist: ['dep>=2'] }]);
 *   // index.url === 'http://127.0.0.1:PORT/simple'
 *   index.fault('/simple/demo/', { status: 500, times: 2 });
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import type { IndexSettings } from '../../src/index/pip-config.js';

export interface FakeDist {
  name: string;
  version: string;
  requiresDist?: string[];
  requiresPython?: string;
  extras?: string[];
  /** Default 'py3-none-any'. */
  tag?: string;
  /** true, or the reason. */
  yanked?: string | boolean;
  /** Extra files in the wheel, path → text (e.g. 'pkg/__init__.py'). */
  files?: Record<string, string>;
  /** Only an sdist (.tar.gz), no wheel. */
  sdistOnly?: boolean;
  /** Bytes of incompressible filler stored in the wheel before METADATA (a "big wheel"). */
  padding?: number;
  /** PEP 700 upload-time served in JSON pages (RFC 3339). */
  uploadTime?: string;
}

export interface BuiltFile {
  filename: string;
  path: string;
  sha256: string;
}

const escapeName = (name: string) => name.replace(/[-_.]+/g, '_');
const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const recordHash = (data: Buffer) =>
  `sha256=${createHash('sha256').update(data).digest('base64url')}`;

export function metadataText(dist: FakeDist): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${dist.name}`, `Version: ${dist.version}`];
  if (dist.requiresPython !== undefined) lines.push(`Requires-Python: ${dist.requiresPython}`);
  for (const extra of dist.extras ?? []) lines.push(`Provides-Extra: ${extra}`);
  for (const req of dist.requiresDist ?? []) lines.push(`Requires-Dist: ${req}`);
  return `${lines.join('\n')}\n\n`;
}

/** A zip with fixed timestamps (1980-01-01) and deflated entries: same input, same bytes. */
export function buildZip(
  entries: readonly { name: string; data: Buffer; stored?: boolean }[],
): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, stored } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const method = stored ? 0 : 8;
    const compressed = stored ? data : deflateRawSync(data, { level: 9 });
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8); // 8 deflate, 0 stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: unix, 3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file 0644
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

export function wheelFilename(dist: FakeDist): string {
  return `${escapeName(dist.name)}-${dist.version}-${dist.tag ?? 'py3-none-any'}.whl`;
}

export function wheelBytes(dist: FakeDist): Buffer {
  const pkg = escapeName(dist.name).toLowerCase();
  const distInfo = `${escapeName(dist.name)}-${dist.version}.dist-info`;
  const files: [string, Buffer][] = [
    [`${pkg}/__init__.py`, Buffer.from(`__version__ = ${JSON.stringify(dist.version)}\n`)],
    ...(dist.padding ? [[`${pkg}/_filler.bin`, filler(dist.padding)] as [string, Buffer]] : []),
    ...Object.entries(dist.files ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([p, text]): [string, Buffer] => [p, Buffer.from(text)]),
    [`${distInfo}/METADATA`, Buffer.from(metadataText(dist))],
    [
      `${distInfo}/WHEEL`,
      Buffer.from(
        `Wheel-Version: 1.0\nGenerator: ferry-test\nRoot-Is-Purelib: true\nTag: ${dist.tag ?? 'py3-none-any'}\n\n`,
      ),
    ],
  ];
  const record = `${files.map(([p, d]) => `${p},${recordHash(d)},${d.length}`).join('\n')}\n${distInfo}/RECORD,,\n`;
  files.push([`${distInfo}/RECORD`, Buffer.from(record)]);
  return buildZip(
    files.map(([name, data]) => ({ name, data, stored: name.endsWith('_filler.bin') })),
  );
}

/** Deterministic incompressible bytes (xorshift32). */
function filler(size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = 2463534242;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}

export async function buildWheel(dist: FakeDist, dir: string): Promise<BuiltFile> {
  const filename = wheelFilename(dist);
  const data = wheelBytes(dist);
  const path = join(dir, filename);
  await mkdir(dir, { recursive: true });
  await writeFile(path, data);
  return { filename, path, sha256: sha256(data) };
}

/** A ustar archive (deterministic: mtime 0, root owner) of the given files. */
function buildTar(files: readonly [string, Buffer][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of files) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export async function buildSdist(dist: FakeDist, dir: string): Promise<BuiltFile> {
  const base = `${escapeName(dist.name).toLowerCase()}-${dist.version}`;
  const filename = `${base}.tar.gz`;
  const pkg = escapeName(dist.name).toLowerCase();
  const pkgInfo = metadataText(dist);
  const setup = `from setuptools import setup\nsetup(name=${JSON.stringify(dist.name)}, version=${JSON.stringify(dist.version)}, packages=[${JSON.stringify(pkg)}])\n`;
  const tar = buildTar([
    [`${base}/PKG-INFO`, Buffer.from(pkgInfo)],
    [`${base}/setup.py`, Buffer.from(setup)],
    [`${base}/${pkg}/__init__.py`, Buffer.from('')],
  ]);
  // gzip header mtime is 0 by default in node's gzipSync: deterministic.
  const data = gzipSync(tar, { level: 9 });
  const path = join(dir, filename);
  await mkdir(dir, { recursive: true });
  await writeFile(path, data);
  return { filename, path, sha256: sha256(data) };
}

/** pip's settings with this one index and nothing else (no extra indexes, no find-links). */
export function onlyIndex(url: string): IndexSettings {
  return { indexUrl: url, extraIndexUrls: [], findLinks: [], noIndex: false, sources: [] };
}

/** Short timeouts and one retry: a local index answers at once or not at all. */
export const FAST_HTTP = { retries: 1, backoffMs: 5, timeoutMs: 3000 } as const;

export interface Fault {
  status?: number;
  body?: string;
  contentType?: string;
  /** Answer with the fault this many times, then normally (default: always). */
  times?: number;
  /** Wait this long before answering (for timeouts). */
  delayMs?: number;
  /** Only for requests whose Accept header contains this. */
  whenAccept?: string;
}

export interface LocalIndexOptions {
  /** Serve PEP 691 JSON (default true). */
  json?: boolean;
  /** Serve PEP 503 HTML (default true). */
  html?: boolean;
  /** Offer and serve PEP 658 `.metadata` files (default false). */
  metadataFiles?: boolean;
  auth?: { user: string; pass: string };
  /** Answer `Range` requests for files with 206 (default true); false: ignore Range (200). */
  range?: boolean;
}

export interface LocalIndex {
  /** http://127.0.0.1:PORT/simple (no trailing slash, no credentials). */
  url: string;
  /** Where the files lie; a find-links directory too. */
  dir: string;
  /** Request paths in arrival order. */
  requests: string[];
  /** Request headers by arrival order (to check Accept, Authorization). */
  headers: IncomingMessage['headers'][];
  files: Map<string, BuiltFile & { dist: FakeDist }>;
  /** Body bytes sent, by request path (summed over requests). */
  bytesServed: Map<string, number>;
  /** Range headers received, in arrival order (undefined: none). */
  ranges: (string | undefined)[];
  fault(path: string, fault: Fault): void;
  close(): Promise<void>;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startLocalIndex(
  dists: FakeDist[],
  opts: LocalIndexOptions = {},
): Promise<LocalIndex> {
  const json = opts.json ?? true;
  const html = opts.html ?? true;
  const dir = await mkdtemp(join(tmpdir(), 'ferry-index-'));
  const filesDir = join(dir, 'files');
  const files = new Map<string, BuiltFile & { dist: FakeDist }>();
  const projects = new Map<string, { name: string; files: string[] }>();
  for (const dist of dists) {
    const built = dist.sdistOnly
      ? await buildSdist(dist, filesDir)
      : await buildWheel(dist, filesDir);
    files.set(built.filename, { ...built, dist });
    const key = normalize(dist.name);
    const project = projects.get(key) ?? { name: dist.name, files: [] };
    project.files.push(built.filename);
    projects.set(key, project);
  }
  const metadataSha = (f: BuiltFile & { dist: FakeDist }) => sha256(metadataText(f.dist));

  const requests: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const faults = new Map<string, Fault & { used: number }>();
  const bytesServed = new Map<string, number>();
  const ranges: (string | undefined)[] = [];
  const count = (path: string, n: number) =>
    bytesServed.set(path, (bytesServed.get(path) ?? 0) + n);

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    headers.push(req.headers);
    ranges.push(req.headers.range);
    const fault = faults.get(path);
    if (
      fault !== undefined &&
      (fault.times === undefined || fault.used < fault.times) &&
      (fault.whenAccept === undefined ||
        String(req.headers.accept ?? '').includes(fault.whenAccept))
    ) {
      fault.used++;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (res.destroyed) return;
      res.writeHead(fault.status ?? 200, { 'content-type': fault.contentType ?? 'text/plain' });
      res.end(fault.body ?? '');
      return;
    }
    if (opts.auth) {
      const expected = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="ferry-test"' });
        res.end('unauthorized');
        return;
      }
    }
    const accept = String(req.headers.accept ?? '');
    const wantJson = json && (accept.includes('application/vnd.pypi.simple.v1+json') || !html);
    const send = (status: number, type: string, body: string | Buffer) => {
      count(path, Buffer.byteLength(body));
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (path === '/simple/' || path === '/simple') {
      const names = [...projects.values()].map((p) => p.name).sort();
      if (wantJson) {
        send(
          200,
          'application/vnd.pypi.simple.v1+json',
          JSON.stringify({
            meta: { 'api-version': '1.1' },
            projects: names.map((name) => ({ name })),
          }),
        );
      } else {
        send(
          200,
          'text/html',
          `<!DOCTYPE html><html><body>\n${names.map((n) => `<a href="${normalize(n)}/">${escapeHtml(n)}</a>`).join('\n')}\n</body></html>`,
        );
      }
      return;
    }
    const projectMatch = /^\/simple\/([^/]+)\/$/.exec(path);
    if (projectMatch) {
      const project = projects.get(projectMatch[1]!);
      if (project === undefined || normalize(projectMatch[1]!) !== projectMatch[1]) {
        send(404, 'text/plain', 'not found');
        return;
      }
      const entries = project.files.map((filename) => files.get(filename)!);
      if (wantJson) {
        const body = {
          meta: { 'api-version': '1.1' },
          name: normalize(project.name),
          files: entries.map((f) => ({
            filename: f.filename,
            url: `../../files/${encodeURIComponent(f.filename)}`,
            hashes: { sha256: f.sha256 },
            ...(f.dist.requiresPython === undefined
              ? {}
              : { 'requires-python': f.dist.requiresPython }),
            ...(f.dist.yanked === undefined || f.dist.yanked === false
              ? {}
              : { yanked: f.dist.yanked }),
            ...(opts.metadataFiles && f.filename.endsWith('.whl')
              ? { 'core-metadata': { sha256: metadataSha(f) } }
              : {}),
            ...(f.dist.uploadTime === undefined ? {} : { 'upload-time': f.dist.uploadTime }),
          })),
          versions: [...new Set(entries.map((f) => f.dist.version))],
        };
        send(200, 'application/vnd.pypi.simple.v1+json', JSON.stringify(body));
      } else {
        const anchors = entries.map((f) => {
          const attrs = [`href="../../files/${encodeURIComponent(f.filename)}#sha256=${f.sha256}"`];
          if (f.dist.requiresPython !== undefined)
            attrs.push(`data-requires-python="${escapeHtml(f.dist.requiresPython)}"`);
          if (f.dist.yanked !== undefined && f.dist.yanked !== false) {
            attrs.push(`data-yanked="${f.dist.yanked === true ? '' : escapeHtml(f.dist.yanked)}"`);
          }
          if (opts.metadataFiles && f.filename.endsWith('.whl')) {
            attrs.push(
              `data-core-metadata="sha256=${metadataSha(f)}"`,
              `data-dist-info-metadata="sha256=${metadataSha(f)}"`,
            );
          }
          return `<a ${attrs.join(' ')}>${escapeHtml(f.filename)}</a><br/>`;
        });
        send(
          200,
          'application/vnd.pypi.simple.v1+html',
          `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1"></head><body>\n${anchors.join('\n')}\n</body></html>\n`,
        );
      }
      return;
    }
    const fileMatch = /^\/files\/([^/]+)$/.exec(path);
    if (fileMatch) {
      const name = fileMatch[1]!;
      if (opts.metadataFiles && name.endsWith('.whl.metadata')) {
        const f = files.get(name.slice(0, -'.metadata'.length));
        if (f) {
          send(200, 'application/octet-stream', metadataText(f.dist));
          return;
        }
      }
      const f = files.get(name);
      if (f) {
        const data = await readFile(f.path);
        const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
        if ((opts.range ?? true) && range && (range[1] !== '' || range[2] !== '')) {
          // RFC 9110: "bytes=a-b", "bytes=a-", or a suffix "bytes=-n".
          let start: number;
          let end: number;
          if (range[1] === '') {
            start = Math.max(0, data.length - Number(range[2]));
            end = data.length - 1;
          } else {
            start = Number(range[1]);
            end = range[2] === '' ? data.length - 1 : Math.min(Number(range[2]), data.length - 1);
          }
          if (start >= data.length || end < start) {
            res.writeHead(416, { 'content-range': `bytes */${data.length}` });
            res.end();
            return;
          }
          const part = data.subarray(start, end + 1);
          count(path, part.length);
          res.writeHead(206, {
            'content-type': 'application/octet-stream',
            'content-length': part.length,
            'content-range': `bytes ${start}-${end}/${data.length}`,
          });
          res.end(part);
          return;
        }
        send(200, 'application/octet-stream', data);
        return;
      }
    }
    send(404, 'text/plain', 'not found');
  };

  const server = createServer((req, res) => {
    handler(req, res).catch((error) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    dir: filesDir,
    requests,
    headers,
    files,
    bytesServed,
    ranges,
    fault(path, fault) {
      faults.set(path, { ...fault, used: 0 });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
