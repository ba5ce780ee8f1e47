/**
 * Bounded gzip decompression. A few kilobytes of gzip can claim gigabytes (a "gzip bomb": the
 * deflate format compresses runs of one byte about 1000:1, and members can be concatenated),
 * so every `.tar.gz` ferry reads is inflated with a cap on what comes out; zlib stops at the
 * cap (`maxOutputLength`) instead of growing a buffer until the process runs out of memory.
 */
import { gunzipSync } from 'node:zlib';
import { FerryError } from '../core/errors.js';

export interface GunzipOptions {
  /** The most bytes the decompressed data may have. */
  readonly maxBytes: number;
  /** The archive, for messages (a file name, not its bytes). */
  readonly name: string;
  /** What to do about a refused archive; a default hint otherwise. */
  readonly hint?: string;
}

/**
 * Inflates gzip data (one member or several, as gzip(1) concatenates them). Throws
 * ERR_FERRY_ARCHIVE_UNSAFE when the output would pass `maxBytes`, ERR_FERRY_ARCHIVE_DAMAGED
 * when the data is not gzip or is cut short.
 */
export function gunzipBounded(bytes: Uint8Array, options: GunzipOptions): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: options.maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FerryError(
        'ERR_FERRY_ARCHIVE_UNSAFE',
        `${options.name} unpacks to more than ${options.maxBytes} bytes (from ${bytes.length} compressed); ferry stopped reading it`,
        {
          hint:
            options.hint ??
            'An archive that expands this much is damaged or hostile (a compression bomb); do not use it.',
          details: { archive: options.name, maxBytes: options.maxBytes },
          cause: error,
        },
      );
    }
    throw new FerryError(
      'ERR_FERRY_ARCHIVE_DAMAGED',
      `${options.name} is damaged: it is not gzip-compressed data, or it is cut short (${(error as Error).message})`,
      {
        hint: 'Download or copy the file again.',
        details: { archive: options.name },
        cause: error,
      },
    );
  }
}
