/**
 * A small client for S3 and S3-compatible object stores (MinIO, Ceph RGW, an intranet store),
 * enough to publish a static index tree: PUT object, HEAD, GET, ListObjectsV2, signed with
 * AWS Signature Version 4 on node:crypto, over net/request.ts (so proxies, CA bundles and
 * timeouts are the ones every other request uses).
 *
 * `uploadTree` is incremental: it lists what is already under the prefix and sends only files
 * whose size or MD5 differs from the stored object's ETag (a single-part PUT's ETag is the
 * MD5 of its bytes; a multipart or SSE-KMS ETag is not, so such an object is sent again).
 * Index pages go last, so a reader never sees a page naming a file not yet uploaded.
 *
 * Addressing: with AWS_ENDPOINT_URL, path-style (ENDPOINT/BUCKET/KEY), which every
 * S3-compatible store serves without wildcard DNS; without it, AWS's regional endpoint,
 * virtual-hosted style when the bucket name is a plain DNS label.
 * Signing: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { createHash, createHmac } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FERRY_ENV, readEnv } from '../core/env.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import { type NetRequestBody, type NetResponse, netRequest } from './request.js';
import type { NetSettings } from './settings.js';

export interface S3Config {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly region: string;
  /** An S3-compatible endpoint (http(s)://host[:port]); path-style addressing. */
  readonly endpoint?: string;
}

export interface S3Location {
  readonly bucket: string;
  /** The key prefix, without leading or trailing "/" ('' for the bucket's root). */
  readonly prefix: string;
}

export interface S3Object {
  readonly key: string;
  /** The ETag without its quotes. */
  readonly etag: string;
  readonly size: number;
}

/** Credentials and endpoint from the variables every AWS SDK reads (core/env.ts). */
export function s3ConfigFromEnv(env: NodeJS.ProcessEnv = process.env): S3Config {
  const accessKeyId = readEnv(FERRY_ENV.awsAccessKeyId, env);
  const secretAccessKey = readEnv(FERRY_ENV.awsSecretAccessKey, env);
  if (accessKeyId === undefined || secretAccessKey === undefined)
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `uploading to object storage needs ${FERRY_ENV.awsAccessKeyId} and ${FERRY_ENV.awsSecretAccessKey}`,
      {
        hint: `Set ${FERRY_ENV.awsAccessKeyId} and ${FERRY_ENV.awsSecretAccessKey} (and ${FERRY_ENV.awsEndpointUrl} for an S3-compatible store, ${FERRY_ENV.awsRegion} for its region).`,
      },
    );
  const sessionToken = readEnv(FERRY_ENV.awsSessionToken, env);
  const endpoint = readEnv(FERRY_ENV.awsEndpointUrl, env);
  return {
    accessKeyId,
    secretAccessKey,
    region: readEnv(FERRY_ENV.awsRegion, env) ?? 'us-east-1',
    ...(sessionToken === undefined ? {} : { sessionToken }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

/** `s3://BUCKET/PREFIX` → bucket and prefix. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (match === null)
    throw new FerryError('ERR_FERRY_BAD_URL', `"${url}" is not an s3://BUCKET/PREFIX URL`, {
      hint: 'Write s3://BUCKET or s3://BUCKET/PREFIX; bucket names are 3-63 lower-case letters, digits, dots and hyphens.',
    });
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '..' || part === '.'))
    throw new FerryError('ERR_FERRY_BAD_URL', `"${url}" has "." or ".." in its prefix`, {
      hint: 'Give a plain prefix such as s3://BUCKET/pypi.',
    });
  return { bucket: match[1]!, prefix };
}

// --- Signature Version 4 ---------------------------------------------------------------------

const sha256Hex = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');
const hmac = (key: Uint8Array | string, data: string): Buffer =>
  createHmac('sha256', key).update(data).digest();

/** RFC 3986 percent-encoding of everything but unreserved characters (SigV4's UriEncode). */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out +=
      /[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface SignInput {
  readonly method: string;
  readonly url: URL;
  /** Header names in lower case; `host` is added. */
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body ('e3b0…' for none). */
  readonly payloadSha256: string;
  /** YYYYMMDD'T'HHMMSS'Z'. */
  readonly amzDate: string;
}

/** The headers to add for an AWS SigV4 request (x-amz-date, x-amz-content-sha256, authorization). */
export function signV4(config: S3Config, input: SignInput): Record<string, string> {
  const date = input.amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...input.headers,
    host: input.url.host,
    'x-amz-date': input.amzDate,
    'x-amz-content-sha256': input.payloadSha256,
    ...(config.sessionToken === undefined ? {} : { 'x-amz-security-token': config.sessionToken }),
  };
  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names
    .map((n) => `${n}:${String(lower[n]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const query = [...input.url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  // The path is already encoded once (objectUrl); S3 signs it as sent, not encoded again.
  const canonicalRequest = [
    input.method,
    input.url.pathname,
    query,
    canonicalHeaders,
    names.join(';'),
    input.payloadSha256,
  ].join('\n');
  const scope = `${date}/${config.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const key = hmac(
    hmac(hmac(hmac(`AWS4${config.secretAccessKey}`, date), config.region), 's3'),
    'aws4_request',
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const { host: _host, ...rest } = headers;
  return {
    ...rest,
    authorization: `AWS4-HMAC-SHA256 Credential=${config.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

const EMPTY_SHA256 = sha256Hex('');

const amzDateOf = (now: Date): string =>
  now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

// --- the client --------------------------------------------------------------------------

export class S3Client {
  constructor(
    readonly config: S3Config,
    private readonly settings?: NetSettings,
  ) {}

  /** The URL of a key (or of the bucket, for key ''), encoded as SigV4 signs it. */
  objectUrl(bucket: string, key: string): URL {
    const path = uriEncode(key, true);
    if (this.config.endpoint !== undefined) {
      const base = this.config.endpoint.replace(/\/+$/, '');
      return new URL(`${base}/${bucket}/${path}`);
    }
    const region = this.config.region;
    // Virtual-hosted style where the name is one DNS label; dots would break the TLS match.
    return /^[a-z0-9-]+$/.test(bucket)
      ? new URL(`https://${bucket}.s3.${region}.amazonaws.com/${path}`)
      : new URL(`https://s3.${region}.amazonaws.com/${bucket}/${path}`);
  }

  private async send(
    method: string,
    url: URL,
    options: {
      headers?: Record<string, string>;
      body?: NetRequestBody;
      payloadSha256?: string;
    } = {},
  ): Promise<NetResponse> {
    const headers = signV4(this.config, {
      method,
      url,
      headers: options.headers ?? {},
      payloadSha256: options.payloadSha256 ?? EMPTY_SHA256,
      amzDate: amzDateOf(new Date()),
    });
    return netRequest(url.href, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(this.settings === undefined ? {} : { settings: this.settings }),
    });
  }

  /** PUT one object from a local file (single request: at most 5 GiB, S3's limit for one PUT). */
  async putFile(
    bucket: string,
    key: string,
    file: { path: string; size: number; sha256: string; contentType: string },
  ): Promise<void> {
    if (file.size > 5 * 1024 ** 3)
      throw new FerryError(
        'ERR_FERRY_TOO_LARGE',
        `${file.path} is ${file.size} bytes; one S3 PUT takes at most 5 GiB`,
        {
          hint: 'Serve files that large from another store, or copy them with a multipart-capable tool.',
        },
      );
    const url = this.objectUrl(bucket, key);
    const response = await this.send('PUT', url, {
      headers: { 'content-type': file.contentType },
      payloadSha256: file.sha256,
      body: { length: file.size, open: () => createReadStream(file.path) },
    });
    await this.expectOk(response, 'PUT', url);
  }

  /** GET one object's bytes. */
  async getObject(bucket: string, key: string): Promise<Buffer> {
    const url = this.objectUrl(bucket, key);
    const response = await this.send('GET', url);
    await this.expectOk(response, 'GET', url, true);
    return readAll(response.body);
  }

  /** HEAD one object: its size and ETag, or undefined when there is none. */
  async headObject(bucket: string, key: string): Promise<S3Object | undefined> {
    const url = this.objectUrl(bucket, key);
    const response = await this.send('HEAD', url);
    await response.body.cancel();
    if (response.status === 404) return undefined;
    await this.expectOk(response, 'HEAD', url);
    return {
      key,
      etag: (response.headers.get('etag') ?? '').replace(/"/g, ''),
      size: Number(response.headers.get('content-length') ?? '0'),
    };
  }

  /** Every object under `prefix` (ListObjectsV2, page by page). */
  async *listObjects(bucket: string, prefix: string): AsyncIterable<S3Object> {
    let token: string | undefined;
    do {
      const url = this.objectUrl(bucket, '');
      url.searchParams.set('list-type', '2');
      if (prefix !== '') url.searchParams.set('prefix', prefix);
      if (token !== undefined) url.searchParams.set('continuation-token', token);
      // searchParams encodes spaces as '+'; S3 and SigV4 want %20, so write the query ourselves.
      const query = [...url.searchParams.entries()]
        .map(([k, v]) => `${uriEncode(k, false)}=${uriEncode(v, false)}`)
        .join('&');
      const signed = new URL(`${url.origin}${url.pathname}?${query}`);
      const response = await this.send('GET', signed);
      await this.expectOk(response, 'LIST', signed, true);
      const xml = (await readAll(response.body)).toString('utf8');
      for (const block of xml.match(/<Contents>[\s\S]*?<\/Contents>/g) ?? []) {
        yield {
          key: xmlText(block, 'Key') ?? '',
          etag: (xmlText(block, 'ETag') ?? '').replace(/"/g, ''),
          size: Number(xmlText(block, 'Size') ?? '0'),
        };
      }
      token =
        xmlText(xml, 'IsTruncated') === 'true' ? xmlText(xml, 'NextContinuationToken') : undefined;
    } while (token !== undefined);
  }

  private async expectOk(
    response: NetResponse,
    what: string,
    url: URL,
    keepBody = false,
  ): Promise<void> {
    if (response.status >= 200 && response.status < 300) {
      if (!keepBody) await response.body.cancel();
      return;
    }
    const text = what === 'HEAD' ? '' : (await readAll(response.body)).toString('utf8');
    const code = xmlText(text, 'Code');
    const message = xmlText(text, 'Message');
    throw new FerryError(
      'ERR_FERRY_HTTP_STATUS',
      `${what} ${redactUrl(url.href)} failed: HTTP ${response.status}${code === undefined ? '' : ` ${code}`}${message === undefined ? '' : `: ${message}`}`,
      {
        hint:
          response.status === 403
            ? `Check ${FERRY_ENV.awsAccessKeyId} / ${FERRY_ENV.awsSecretAccessKey}, ${FERRY_ENV.awsRegion} and the bucket's policy.`
            : response.status === 404
              ? 'Check the bucket name (it must exist) and AWS_ENDPOINT_URL.'
              : 'Read what the object store said.',
        details: { status: response.status, ...(code === undefined ? {} : { s3Code: code }) },
      },
    );
  }
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of the first <name> element, entities decoded (S3's XML is flat and regular). */
function xmlText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (match === null) return undefined;
  return match[1]!.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (all, entity: string) =>
    entity.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(entity.slice(2), 16))
      : entity.startsWith('#')
        ? String.fromCodePoint(Number(entity.slice(1)))
        : (ENTITIES[entity] ?? all),
  );
}

// --- uploading a tree --------------------------------------------------------------------

/** The Content-Type an index file is served with. */
export function contentTypeFor(path: string): string {
  if (path.endsWith('.html')) return 'text/html; charset=utf-8';
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.metadata') || path.endsWith('.txt') || path.endsWith('.log'))
    return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export interface UploadTreeOptions {
  readonly config?: S3Config;
  readonly settings?: NetSettings;
  readonly events?: EventSink;
  readonly contentType?: (relativePath: string) => string;
}

export interface UploadTreeResult {
  readonly bucket: string;
  readonly prefix: string;
  /** Relative paths sent. */
  readonly uploaded: readonly string[];
  /** Relative paths already stored with the same size and MD5. */
  readonly unchanged: readonly string[];
}

const MAX_DEPTH = 32;

/** Regular files under `dir` (links followed, as a web server serving the tree would), POSIX paths. */
async function listTree(dir: string): Promise<{ rel: string; size: number }[]> {
  const out: { rel: string; size: number }[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH)
      throw new FerryError(
        'ERR_FERRY_USAGE',
        `${join(dir, rel)} is nested more than ${MAX_DEPTH} deep`,
        {
          hint: 'Upload a folder without link loops.',
        },
      );
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = await stat(join(dir, path));
      if (st.isDirectory()) await walk(path, depth + 1);
      else if (st.isFile()) out.push({ rel: path, size: st.size });
    }
  };
  await walk('', 0);
  return out;
}

async function digests(path: string): Promise<{ sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) {
    sha.update(chunk);
    md5.update(chunk);
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('hex') };
}

/** Pages last: a reader of the bucket never finds a page that names a file not there yet. */
const isPage = (rel: string): boolean => /(^|\/)(index\.html|index\.json|catalog\.json)$/.test(rel);

/**
 * Uploads every file under `localDir` to `s3://BUCKET/PREFIX/<relative path>`, skipping those
 * already stored with the same size and MD5 (ETag). Objects under the prefix that are not in
 * the tree are left alone: an export adds generations, it never deletes what readers may use.
 */
export async function uploadTree(
  localDir: string,
  s3Url: string,
  options: UploadTreeOptions = {},
): Promise<UploadTreeResult> {
  const { bucket, prefix } = parseS3Url(s3Url);
  const client = new S3Client(options.config ?? s3ConfigFromEnv(), options.settings);
  const keyOf = (rel: string): string => (prefix === '' ? rel : `${prefix}/${rel}`);
  const stored = new Map<string, S3Object>();
  for await (const object of client.listObjects(bucket, prefix === '' ? '' : `${prefix}/`))
    stored.set(object.key, object);
  const files = await listTree(localDir);
  files.sort((a, b) => Number(isPage(a.rel)) - Number(isPage(b.rel)));
  const uploaded: string[] = [];
  const unchanged: string[] = [];
  const destination = `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`;
  for (const file of files) {
    const path = join(localDir, file.rel);
    const { sha256, md5 } = await digests(path);
    const have = stored.get(keyOf(file.rel));
    if (have !== undefined && have.size === file.size && have.etag === md5) {
      unchanged.push(file.rel);
      options.events?.({ type: 'upload-done', filename: file.rel, outcome: 'exists' });
      continue;
    }
    options.events?.({ type: 'upload-start', filename: file.rel, size: file.size, destination });
    await client.putFile(bucket, keyOf(file.rel), {
      path,
      size: file.size,
      sha256,
      contentType: (options.contentType ?? contentTypeFor)(file.rel),
    });
    uploaded.push(file.rel);
    options.events?.({ type: 'upload-done', filename: file.rel, outcome: 'uploaded' });
  }
  return { bucket, prefix, uploaded, unchanged };
}
