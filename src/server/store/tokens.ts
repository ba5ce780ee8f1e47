/**
 * Upload and admin tokens. A token is shown once, when it is made; tokens.json keeps only its
 * SHA-256 (a stolen tokens.json lets nobody upload), and a check compares digests with
 * crypto.timingSafeEqual against every record, matched or not, so the time taken says nothing
 * about which record, or how much of one, matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { FerryError } from '../../core/errors.js';
import { STORE_FILES } from './layout.js';
import type { TokenInfo, TokenRecord, TokenScope } from './types.js';

/** Tokens start with this, so a leaked one is easy to recognize (and to search for). */
export const TOKEN_PREFIX = 'ferry-';
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TOKEN_SCOPES: readonly TokenScope[] = ['upload', 'admin'];

interface TokenFile {
  readonly formatVersion: 1;
  readonly tokens: readonly TokenRecord[];
}

const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export async function readTokens(store: string): Promise<TokenRecord[]> {
  const path = join(store, STORE_FILES.tokens);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return [];
  try {
    const parsed = JSON.parse(text) as TokenFile;
    if (parsed.formatVersion !== 1 || !Array.isArray(parsed.tokens))
      throw new Error('not format 1');
    return parsed.tokens.filter(
      (t) => typeof t.sha256 === 'string' && /^[0-9a-f]{64}$/.test(t.sha256),
    );
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_STORE_DAMAGED',
      `${path} cannot be read: ${(error as Error).message}`,
      {
        hint: 'Restore tokens.json from a backup, or remove it and create the tokens again.',
      },
    );
  }
}

export async function writeTokens(store: string, tokens: readonly TokenRecord[]): Promise<void> {
  const file: TokenFile = { formatVersion: 1, tokens };
  // Digests only, but still nobody else's business: owner-only.
  await writeFileAtomic(join(store, STORE_FILES.tokens), `${JSON.stringify(file, null, 2)}\n`, {
    mode: 0o600,
  });
}

export function assertTokenRequest(name: string, scope: string): asserts scope is TokenScope {
  if (!TOKEN_NAME.test(name))
    throw new FerryError('ERR_FERRY_USAGE', `"${name}" cannot name a token`, {
      hint: 'A token name is up to 64 letters, digits, ".", "_" and "-".',
    });
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope))
    throw new FerryError('ERR_FERRY_USAGE', `"${scope}" is not a token scope`, {
      hint: `Give --scope ${TOKEN_SCOPES.join(' or ')}.`,
    });
}

/** A new token and the record to keep for it. */
export function makeToken(
  name: string,
  scope: TokenScope,
  created: string,
): { token: string; record: TokenRecord } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, record: { name, scope, created, sha256: digestOf(token).toString('hex') } };
}

/** What a record grants: admin covers upload. */
const grants = (have: TokenScope, want: TokenScope): boolean => have === 'admin' || have === want;

/** The matching record's info, comparing against every record in constant time per record. */
export function findToken(
  records: readonly TokenRecord[],
  token: string,
  scope: TokenScope,
): TokenInfo | undefined {
  const presented = digestOf(token);
  let found: TokenRecord | undefined;
  for (const record of records) {
    const stored = Buffer.from(record.sha256, 'hex');
    // Both are 32 bytes (the file is filtered on read), as timingSafeEqual requires.
    if (timingSafeEqual(stored, presented) && found === undefined) found = record;
  }
  if (found === undefined || !grants(found.scope, scope)) return undefined;
  return { name: found.name, scope: found.scope, created: found.created };
}

export const tokenInfo = (r: TokenRecord): TokenInfo => ({
  name: r.name,
  scope: r.scope,
  created: r.created,
});
