/**
 * A streaming multipart/form-data reader (RFC 7578) for the legacy upload API: text fields
 * into memory (capped), the one file part (`content`) straight to a temporary file while its
 * SHA-256 and MD5 are computed, and a cap on the file's bytes as they arrive, not as the
 * client announces them, so an oversized upload is stopped early and never fills the disk.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

export class FormError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly md5: string;
}

export interface UploadForm {
  /** Every text field, repeated names (classifiers) in order. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  readonly file: UploadedFile | undefined;
}

export interface FormLimits {
  readonly maxFileBytes: number;
  /** All text fields together (a long description included). */
  readonly maxFieldBytes: number;
  /** A fresh folder for this request, where the file part is written; the caller removes it. */
  readonly tmpDir: string;
  /** The form field that carries the file. */
  readonly fileField: string;
}

/** The boundary of a multipart/form-data Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/s, '$1');
    // RFC 2046 §5.1.1: 1 to 70 characters.
    return value.length >= 1 && value.length <= 70 ? value : undefined;
  }
  return undefined;
}

/** `form-data; name="content"; filename="x.whl"` → its parameters (quoted strings unescaped). */
export function dispositionParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (const m of header.matchAll(re)) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    params.set(m[1]!.toLowerCase(), value);
  }
  return params;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Reads a whole multipart body. Throws FormError: 400 for a malformed body, a second file
 * part, or a file in another field; 413 when the file or the fields pass their cap.
 */
export async function readUploadForm(
  body: AsyncIterable<Buffer>,
  boundary: string,
  limits: FormLimits,
): Promise<UploadForm> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields = new Map<string, string[]>();
  let fieldBytes = 0;
  let file: UploadedFile | undefined;
  // A leading CRLF lets the first boundary be found like every other one.
  let buf: Buffer = Buffer.from('\r\n');
  type State = 'preamble' | 'after-boundary' | 'headers' | 'body' | 'done';
  // Widened on purpose: step() changes it, which narrowing cannot see.
  let state = 'preamble' as State;
  let part:
    | {
        name: string;
        filename: string | undefined;
        chunks: Buffer[];
        handle: Awaited<ReturnType<typeof open>> | undefined;
        path: string | undefined;
        size: number;
        sha256: ReturnType<typeof createHash>;
        md5: ReturnType<typeof createHash>;
      }
    | undefined;

  const emit = async (data: Buffer): Promise<void> => {
    if (part === undefined || data.length === 0) return;
    part.size += data.length;
    if (part.handle !== undefined) {
      if (part.size > limits.maxFileBytes) {
        throw new FormError(
          413,
          `the uploaded file is larger than the server's limit of ${limits.maxFileBytes} bytes`,
        );
      }
      part.sha256.update(data);
      part.md5.update(data);
      await part.handle.write(data);
    } else {
      fieldBytes += data.length;
      if (fieldBytes > limits.maxFieldBytes) {
        throw new FormError(
          413,
          `the form's text fields are larger than the limit of ${limits.maxFieldBytes} bytes`,
        );
      }
      part.chunks.push(data);
    }
  };

  const finishPart = async (): Promise<void> => {
    if (part === undefined) return;
    if (part.handle !== undefined) {
      await part.handle.close();
      file = {
        field: part.name,
        filename: part.filename ?? '',
        path: part.path!,
        size: part.size,
        sha256: part.sha256.digest('hex'),
        md5: part.md5.digest('hex'),
      };
    } else {
      const list = fields.get(part.name) ?? [];
      list.push(Buffer.concat(part.chunks).toString('utf8'));
      fields.set(part.name, list);
    }
    part = undefined;
  };

  const startPart = async (headerText: string): Promise<void> => {
    let disposition: string | undefined;
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'content-disposition') {
        disposition = line.slice(colon + 1).trim();
      }
    }
    if (disposition === undefined || !/^form-data\b/i.test(disposition)) {
      throw new FormError(400, 'a part of the form has no "Content-Disposition: form-data"');
    }
    const params = dispositionParams(disposition);
    const name = params.get('name');
    if (name === undefined) throw new FormError(400, 'a part of the form has no name');
    const filename = params.get('filename');
    const isFile = filename !== undefined;
    if (isFile && name !== limits.fileField) {
      throw new FormError(
        400,
        `the form field "${name}" carries a file; only "${limits.fileField}" may`,
      );
    }
    if (isFile && file !== undefined) {
      throw new FormError(400, `the form carries more than one "${limits.fileField}" file`);
    }
    const path = isFile ? join(limits.tmpDir, 'content') : undefined;
    part = {
      name,
      filename,
      chunks: [],
      handle: path === undefined ? undefined : await open(path, 'wx', 0o600),
      path,
      size: 0,
      sha256: createHash('sha256'),
      md5: createHash('md5'),
    };
  };

  const step = async (final: boolean): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          buf = buf.subarray(Math.max(0, buf.length - delimiter.length));
          return false;
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'after-boundary';
        return true;
      }
      case 'after-boundary': {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done';
          return false;
        }
        // Transport padding (spaces, tabs) may follow a boundary before its CRLF.
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return false;
        if (buf.subarray(0, eol).toString('latin1').trim() !== '') {
          throw new FormError(400, 'the multipart body is malformed after a boundary');
        }
        buf = buf.subarray(eol + 2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        const end = buf.indexOf(HEADER_END);
        if (end < 0) {
          if (buf.length > MAX_HEADER_BYTES)
            throw new FormError(400, 'a part has headers over 16 KiB');
          return false;
        }
        await startPart(buf.subarray(0, end).toString('utf8'));
        buf = buf.subarray(end + HEADER_END.length);
        state = 'body';
        return true;
      }
      case 'body': {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          await emit(buf.subarray(0, at));
          await finishPart();
          buf = buf.subarray(at + delimiter.length);
          state = 'after-boundary';
          return true;
        }
        // Keep what could be the start of a delimiter split across chunks.
        const keep = final ? 0 : delimiter.length - 1;
        if (buf.length > keep) {
          await emit(Buffer.from(buf.subarray(0, buf.length - keep)));
          buf = buf.subarray(buf.length - keep);
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  try {
    for await (const chunk of body) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (await step(false)) {}
      if (state === 'done') break;
    }
    if (state !== 'done')
      throw new FormError(400, 'the multipart body ended before its closing boundary');
  } catch (error) {
    // The file itself goes with the caller's temporary folder.
    if (part?.handle !== undefined) await part.handle.close().catch(() => {});
    throw error;
  }
  return { fields, file };
}

/**
 * The chunks of a request body. Unlike `for await` over the stream itself, stopping early
 * (a refusal) leaves the request open, so that its answer can still be sent on the socket.
 */
export async function* bodyChunks(
  stream: NodeJS.ReadableStream & { readableEnded: boolean; errored?: Error | null },
): AsyncGenerator<Buffer> {
  for (;;) {
    const chunk = stream.read() as Buffer | string | null;
    if (chunk !== null) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      continue;
    }
    if (stream.readableEnded) return;
    if (stream.errored) throw stream.errored;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('readable', done);
        stream.off('end', done);
        stream.off('error', done);
        stream.off('close', done);
        resolve();
      };
      stream.once('readable', done);
      stream.once('end', done);
      stream.once('error', done);
      stream.once('close', done);
    });
    if (stream.errored) throw stream.errored;
    // A request whose connection closed before the end of its body.
    if (!stream.readableEnded && (stream as { destroyed?: boolean }).destroyed === true) {
      throw new FormError(400, 'the connection closed before the end of the upload');
    }
  }
}
