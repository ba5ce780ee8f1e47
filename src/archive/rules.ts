/**
 * The safety rules every tar entry passes before ferry uses it, whether it is written to disk
 * (extract.ts) or only read into memory (read-tar.ts): no absolute paths, no "..", no NUL or
 * control characters, no names longer than a file system allows, no links or devices, no
 * entry that appears twice or is both a file and a folder. The errors name the archive and
 * the entry, with control characters shown as escapes.
 */
import { FerryError } from '../core/errors.js';
import { MAX_NAME_BYTES, MAX_PATH_BYTES, paxSize } from './tar.js';

const isControl = (code: number): boolean => code < 0x20 || code === 0x7f;

/** Paths in messages: control characters shown as escapes, and never more than 200 characters. */
export function shown(path: string): string {
  let safe = '';
  for (const ch of path.length > 400 ? path.slice(0, 400) : path) {
    const code = ch.charCodeAt(0);
    safe += isControl(code) ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
  }
  return safe.length > 200 ? `${safe.slice(0, 200)}…` : safe;
}

export const damaged = (archive: string, message: string): FerryError =>
  new FerryError('ERR_FERRY_ARCHIVE_DAMAGED', `${archive} is damaged: ${message}`, {
    hint: 'Copy the archive again from the source media.',
  });

const BUNDLE_HINT =
  'A ferry bundle holds only plain files and folders under one root folder. Do not use this archive.';

export const unsafe = (
  archive: string,
  path: string,
  message: string,
  hint = BUNDLE_HINT,
): FerryError =>
  new FerryError(
    'ERR_FERRY_ARCHIVE_UNSAFE',
    `${archive} contains "${shown(path)}": ${message}; nothing was extracted`,
    { hint },
  );

/** Why an entry's path (without trailing slashes) cannot be used, or undefined. */
export function pathProblem(clean: string): string | undefined {
  if (clean === '') return 'it has an empty name';
  if (clean.startsWith('/')) return 'it is an absolute path';
  for (let i = 0; i < clean.length; i++)
    if (isControl(clean.charCodeAt(i))) return 'its name holds a NUL or control character';
  if (clean.includes('\\')) return 'its name holds a backslash';
  const segments = clean.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    return 'it has an empty, "." or ".." path segment';
  if (segments.some((s) => Buffer.byteLength(s) > MAX_NAME_BYTES))
    return `a name in it is longer than ${MAX_NAME_BYTES} bytes`;
  if (Buffer.byteLength(clean) > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;
  return undefined;
}

/** What a tar type flag other than a plain file or folder is, in words. */
export function entryKindName(type: string): string {
  switch (type) {
    case '1':
      return 'a hard link';
    case '2':
      return 'a symbolic link';
    case '3':
      return 'a character device';
    case '4':
      return 'a block device';
    case '6':
      return 'a FIFO';
    default:
      return `an entry of type '${shown(type)}'`;
  }
}

export const isLink = (type: string): boolean => type === '1' || type === '2';

/**
 * Tracks the entries of one archive: each path may appear once, and never as both a file and a
 * folder (a file where a folder is would make the file system refuse, or would quietly put one
 * entry's contents inside another's). `add` throws ERR_FERRY_ARCHIVE_UNSAFE.
 */
export class EntryPaths {
  /** Every path so far, explicit or implied by a deeper one: a file, or a folder. */
  readonly #kinds = new Map<string, 'file' | 'dir'>();
  readonly #explicit = new Set<string>();

  constructor(
    private readonly archive: string,
    private readonly hint?: string,
  ) {}

  add(clean: string, kind: 'file' | 'dir', path = clean): void {
    const refuse = (message: string): FerryError => unsafe(this.archive, path, message, this.hint);
    if (this.#explicit.has(clean)) throw refuse('it appears twice');
    this.#explicit.add(clean);
    const segments = clean.split('/');
    for (let i = 1; i < segments.length; i++) {
      const ancestor = segments.slice(0, i).join('/');
      if (this.#kinds.get(ancestor) === 'file')
        throw refuse(`it lies inside the file "${shown(ancestor)}"`);
      this.#kinds.set(ancestor, 'dir');
    }
    const earlier = this.#kinds.get(clean);
    if (earlier !== undefined && earlier !== kind) throw refuse('it is both a file and a folder');
    this.#kinds.set(clean, kind);
  }
}

/**
 * An entry's size: a pax `size` record overrides the header's field (POSIX.1-2001 pax, for
 * files past the ustar limit); one that is not plain digits makes the archive damaged.
 */
export function entrySize(
  archive: string,
  path: string,
  headerSize: number,
  paxSizeText: string | undefined,
): number {
  if (paxSizeText === undefined) return headerSize;
  const n = paxSize(paxSizeText);
  if (n === undefined)
    throw damaged(
      archive,
      `"${shown(path)}" has an unreadable pax size "${shown(paxSizeText.slice(0, 40))}"`,
    );
  return n;
}
