/**
 * multipart/form-data bodies (RFC 7578) for uploads: text fields and one file, streamed from
 * disk with its length known in advance, so a 700 MB wheel is sent with a Content-Length and
 * never held in memory. The legacy upload API that twine and pip's index servers speak is one
 * such POST (twine's repository.py: `_upload`).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { NetRequestBody } from './request.js';

export interface MultipartFile {
  /** The form field's name (`content` for the upload API). */
  readonly field: string;
  readonly filename: string;
  readonly path: string;
  readonly size: number;
  readonly contentType?: string;
}

export interface MultipartBody {
  readonly contentType: string;
  readonly body: NetRequestBody;
}

/**
 * A name or filename inside a quoted Content-Disposition parameter: the WHATWG form encoding
 * percent-encodes `"`, CR and LF (HTML "multipart/form-data encoding algorithm"), which every
 * server then reads back as the literal characters or refuses.
 */
const quoted = (text: string): string =>
  text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/**
 * The body for `fields` (in order; a repeated name is sent once per value, as the upload API
 * expects for `classifiers` and `requires_dist`) followed by `file`.
 */
export function multipartBody(
  fields: readonly (readonly [string, string])[],
  file: MultipartFile,
  boundary = `ferry-${randomBytes(16).toString('hex')}`,
): MultipartBody {
  const parts = fields.map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`,
  );
  const head = Buffer.from(
    `${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.filename)}"\r\nContent-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: {
      length: head.length + file.size + tail.length,
      open: () =>
        Readable.from(
          (async function* () {
            yield head;
            yield* createReadStream(file.path);
            yield tail;
          })(),
        ),
    },
  };
}
