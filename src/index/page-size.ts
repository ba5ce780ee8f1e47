/**
 * The bound on the size of an index or find-links page: a page is held in memory while it is
 * read and parsed, so an 800 MiB page would otherwise exhaust it.
 */
import { FERRY_ENV } from '../core/env.js';
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

/** Index and find-links pages larger than this are refused unless the limit is raised. */
export const DEFAULT_MAX_PAGE_BYTES = 64 * 1024 * 1024;

export function pageTooLarge(url: string, kind: 'index' | 'find-links', max: number): FerryError {
  const limit = formatBytes(max);
  return new FerryError(
    'ERR_FERRY_PAGE_TOO_LARGE',
    `the ${kind === 'index' ? 'index' : 'find-links'} page ${redactUrl(url)} is larger than ${limit}, the limit on page size`,
    {
      hint: `If this index really serves pages that big, raise the limit with --max-page-size SIZE or ${FERRY_ENV.maxPageSize}=SIZE (e.g. 256M); the page is held in memory while it is read.`,
      details: { url: redactUrl(url), maxBytes: max },
    },
  );
}

/** 67108864 → "64 MiB". */
function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}
