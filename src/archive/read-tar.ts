/**
 * Reading a small tar archive held in memory (an sdist's PKG-INFO and pyproject.toml), with
 * the same header checks (tar.ts) and safety rules (rules.ts) as extracting a bundle: nothing
 * is written, but an entry that would be unsafe to write is refused all the same, so every
 * tar ferry reads passes one set of rules.
 *
 * Beyond what ferry writes, this reader takes what sdist builders write: GNU long names
 * (type 'L', as GNU tar and Python's tarfile GNU_FORMAT make them) and a leading "./" (as
 * `tar -C dir .` makes it). Links are refused by default; a caller that only reads files may
 * pass `links: 'skip'` (pip unpacks an sdist's links that stay inside it, and ferry never needs
 * their targets).
 */
import { gunzipBounded } from './gunzip.js';
import {
  damaged,
  EntryPaths,
  entryKindName,
  entrySize,
  isLink,
  pathProblem,
  shown,
  unsafe,
} from './rules.js';
import {
  BLOCK,
  MAX_PATH_BYTES,
  MAX_PAX_BYTES,
  padding,
  parseHeader,
  parsePax,
  TarFormatError,
} from './tar.js';

export interface ReadTarOptions {
  /** The archive, for messages. */
  readonly name: string;
  /** Which files to keep (paths without a leading "./"); all when absent. */
  readonly wanted?: (path: string) => boolean;
  /** Refuse the archive for a link (the default), or pass over the link. */
  readonly links?: 'refuse' | 'skip';
  /** The hint for a refused entry. */
  readonly hint?: string;
}

/** A leading "./" (repeated) and trailing slashes are not part of an entry's name. */
const cleanPath = (path: string): string => path.replace(/^(?:\.\/+)+/, '').replace(/\/+$/, '');

/**
 * The plain files of an uncompressed tar archive, path → bytes, in archive order. Throws
 * ERR_FERRY_ARCHIVE_DAMAGED for a header that does not check out or an archive cut short, and
 * ERR_FERRY_ARCHIVE_UNSAFE for an entry that breaks a rule (rules.ts).
 */
export function readTarFiles(tar: Buffer, options: ReadTarOptions): Map<string, Buffer> {
  const { name } = options;
  const found = new Map<string, Buffer>();
  const paths = new EntryPaths(name, options.hint);
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let offset = 0;
  const take = (size: number, what: string): Buffer => {
    const start = offset + BLOCK;
    if (start + size > tar.length)
      throw damaged(name, `it ends inside ${what} at byte ${offset} (the archive is truncated)`);
    offset = start + size + padding(size);
    return tar.subarray(start, start + size);
  };
  for (;;) {
    if (offset + BLOCK > tar.length)
      throw damaged(
        name,
        offset === 0 ? 'it is empty' : `it ends at byte ${offset} with no end-of-archive marker`,
      );
    const header = tar.subarray(offset, offset + BLOCK);
    // One zero block ends the archive for ferry, as it does for Python's tarfile; some writers
    // leave out the second.
    if (header.every((b) => b === 0)) break;
    let entry: ReturnType<typeof parseHeader>;
    try {
      entry = parseHeader(header);
    } catch (error) {
      if (!(error instanceof TarFormatError)) throw error;
      throw damaged(name, `${error.message} at byte ${offset}`);
    }
    const { type } = entry;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const limit = type === 'L' || type === 'K' ? MAX_PATH_BYTES + 1 : MAX_PAX_BYTES;
      if (entry.size > limit)
        throw damaged(
          name,
          `the header at byte ${offset} claims ${entry.size} bytes (at most ${limit})`,
        );
      const at = offset;
      const data = take(entry.size, 'an extended header');
      if (type === 'L') {
        const nul = data.indexOf(0);
        longName = data.subarray(0, nul === -1 ? data.length : nul).toString('utf8');
      } else if (type === 'x') {
        try {
          pax = parsePax(data);
        } catch (error) {
          if (!(error instanceof TarFormatError)) throw error;
          throw damaged(name, `${error.message} (the pax header at byte ${at})`);
        }
      }
      // 'g' (global pax) and 'K' (a GNU long link target) say nothing ferry uses.
      continue;
    }
    const path = pax.get('path') ?? longName ?? entry.path;
    const size = entrySize(name, path, entry.size, pax.get('size'));
    pax = new Map();
    longName = undefined;
    const isFile = type === '0' || type === '\0';
    if (!isFile && type !== '5') {
      if (isLink(type) && options.links === 'skip') {
        take(0, 'a link');
        continue;
      }
      throw unsafe(name, path, `it is ${entryKindName(type)}`, options.hint);
    }
    if (type === '5' && size !== 0) throw damaged(name, `the folder "${shown(path)}" has a size`);
    const clean = cleanPath(path);
    const data = take(isFile ? size : 0, `"${shown(path)}"`);
    if (type === '5' && clean === '') continue; // "./", the folder the archive was made from
    const problem = pathProblem(clean);
    if (problem !== undefined) throw unsafe(name, path, problem, options.hint);
    paths.add(clean, isFile ? 'file' : 'dir', path);
    if (isFile && (options.wanted?.(clean) ?? true)) found.set(clean, Buffer.from(data));
  }
  return found;
}

/** `readTarFiles` over gzip-compressed bytes, inflating at most `maxUnpacked` bytes. */
export function readTarGzFiles(
  bytes: Uint8Array,
  options: ReadTarOptions & { readonly maxUnpacked: number },
): Map<string, Buffer> {
  const tar = gunzipBounded(bytes, { maxBytes: options.maxUnpacked, name: options.name });
  return readTarFiles(tar, options);
}
