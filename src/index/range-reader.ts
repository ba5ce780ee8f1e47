/**
 * A `ByteReader` over a remote file, fetched piecewise with HTTP Range requests, so that a
 * wheel's METADATA can be read without downloading the wheel (the "lazy wheel" idea of pip's
 * network/lazy_wheel.py and uv's range reads). Fetched blocks are kept for the life of one
 * reader, so the zip reader's overlapping reads cost one request each at most.
 *
 * The first request asks for the file's tail (`Range: bytes=-N`), which also tells the total
 * size (Content-Range). A server that ignores Range makes `openRangeReader` throw
 * ERR_FERRY_RANGE_UNSUPPORTED before it has read the body, and the caller falls back to a full
 * download.
 */
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { type FetchOptions, fetchRange } from './http.js';
import type { ByteReader } from './wheel-metadata.js';

const RANGE_HINT =
  'The server cannot serve parts of files; ferry downloads the whole file instead.';

export interface RangeReader extends ByteReader {
  /** Body bytes received so far. */
  readonly bytesFetched: number;
  /** Range requests made so far. */
  readonly requests: number;
}

export interface RangeReaderOptions {
  readonly http?: Pick<FetchOptions, 'retries' | 'timeoutMs' | 'backoffMs' | 'signal' | 'net'>;
  /** Size of the first, tail request (default 16 KiB: EOCD, and for most wheels the directory). */
  readonly tailBytes?: number;
  /** Smallest request made to fill a gap (default 4 KiB), so tiny reads are not one request each. */
  readonly minFetch?: number;
  /** Refuse to fetch more than this in all (default 64 MiB); the caller then downloads. */
  readonly maxBytes?: number;
  /** Runs each request (a concurrency limiter); default: at once. */
  readonly limit?: <T>(task: () => Promise<T>) => Promise<T>;
}

interface Block {
  readonly start: number;
  readonly data: Buffer;
}

export async function openRangeReader(
  url: string,
  options: RangeReaderOptions = {},
): Promise<RangeReader> {
  const shown = redactUrl(url);
  const limit = options.limit ?? (<T>(task: () => Promise<T>) => task());
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  let bytesFetched = 0;
  let requests = 0;
  const get = async (start: number, end: number | undefined) => {
    requests++;
    const result = await limit(() =>
      fetchRange(url, start, end, {
        ...options.http,
        rangeOnly: true,
        onBytes: (n) => {
          bytesFetched += n;
        },
      }),
    );
    if (bytesFetched > maxBytes) {
      throw new FerryError('ERR_FERRY_TOO_LARGE', `reading ${shown} in parts took too much`, {
        hint: 'ferry reads the metadata from the whole file instead.',
        details: { url: shown, maxBytes },
      });
    }
    return result;
  };

  const tail = await get(-(options.tailBytes ?? 16 * 1024), undefined);
  const size = tail.totalSize;
  if (size === undefined || tail.body.length > size) {
    throw new FerryError(
      'ERR_FERRY_RANGE_UNSUPPORTED',
      `${shown} answered a Range request without a usable Content-Range`,
      { hint: RANGE_HINT, details: { url: shown } },
    );
  }
  // Sorted by start, never overlapping.
  const blocks: Block[] = [{ start: size - tail.body.length, data: tail.body }];
  const minFetch = options.minFetch ?? 4096;

  const insert = (block: Block) => {
    blocks.push(block);
    blocks.sort((a, b) => a.start - b.start);
  };

  return {
    size,
    label: shown,
    get bytesFetched() {
      return bytesFetched;
    },
    get requests() {
      return requests;
    },
    async read(start, length) {
      const from = Math.max(0, start);
      const to = Math.min(size, start + length);
      if (to <= from) return Buffer.alloc(0);
      // Fill the gaps in [from, to) that no block covers.
      let cursor = from;
      for (const block of [...blocks]) {
        const blockEnd = block.start + block.data.length;
        if (blockEnd <= cursor) continue;
        if (block.start >= to) break;
        if (block.start > cursor) await fill(cursor, block.start);
        cursor = Math.max(cursor, blockEnd);
        if (cursor >= to) break;
      }
      if (cursor < to) await fill(cursor, Math.min(size, Math.max(to, cursor + minFetch)));
      // Assemble from the (now covering) blocks.
      const parts: Buffer[] = [];
      let at = from;
      for (const block of blocks) {
        const blockEnd = block.start + block.data.length;
        if (blockEnd <= at || block.start > at) continue;
        const piece = block.data.subarray(at - block.start, Math.min(to, blockEnd) - block.start);
        parts.push(piece);
        at += piece.length;
        if (at >= to) break;
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
  };

  async function fill(start: number, end: number): Promise<void> {
    const result = await get(start, end);
    if (result.body.length !== end - start) {
      throw new FerryError(
        'ERR_FERRY_RANGE_UNSUPPORTED',
        `${shown} answered bytes ${start}-${end - 1} with ${result.body.length} bytes`,
        { hint: RANGE_HINT, details: { url: shown } },
      );
    }
    insert({ start, data: result.body });
  }
}
