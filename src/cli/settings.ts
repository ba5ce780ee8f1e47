/**
 * Settles where packages come from, in one place: command-line flags over requirements-file
 * options over pip's configuration (files and PIP_* variables), exactly as pip orders them.
 */
import { loadIndexSettings, type IndexSettings } from '../index/pip-config.js';
import type { RequirementsFileResult } from '../resolver/requirements-file.js';
import { list, type ParsedArgs, str } from './command.js';

export const INDEX_OPTIONS = {
  'index-url': { type: 'string', short: 'i' },
  'extra-index-url': { type: 'string', multiple: true },
  'find-links': { type: 'string', short: 'f', multiple: true },
  'no-index': { type: 'boolean' },
  isolated: { type: 'boolean' },
} as const;

export const INDEX_HELP = `Where packages come from (pip's configuration is honoured by default):
  -i, --index-url URL        the main index (PEP 503/691), instead of pip's
      --extra-index-url URL  another index to search (repeatable)
  -f, --find-links PATH|URL  a folder or HTML page of files (repeatable)
      --no-index             use only --find-links
      --isolated             ignore pip's configuration files and PIP_* variables`;

export async function settleIndexSettings(
  args: ParsedArgs,
  fromFiles?: RequirementsFileResult,
): Promise<IndexSettings> {
  const v = args.values;
  const indexUrl = str(v['index-url']) ?? fromFiles?.indexUrl;
  const extra = [...(fromFiles?.extraIndexUrls ?? []), ...list(v['extra-index-url'])];
  const findLinks = [...(fromFiles?.findLinks ?? []), ...list(v['find-links'])];
  const noIndex = v['no-index'] === true || fromFiles?.noIndex === true;
  return loadIndexSettings({
    ...(indexUrl === undefined ? {} : { indexUrl }),
    ...(extra.length > 0 ? { extraIndexUrls: extra } : {}),
    ...(findLinks.length > 0 ? { findLinks } : {}),
    ...(noIndex ? { noIndex } : {}),
    ...(v.isolated === true ? { isolated: true } : {}),
  });
}
