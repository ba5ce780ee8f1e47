/**
 * store.json: the format version, the named indexes and the policy. Written once when a store
 * is made; a person edits it (to require two signers for `approved`, or to list the reviewers'
 * keys) and every command reads it afresh.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../core/errors.js';
import { isIndexName, STORE_FILES } from './layout.js';
import type { StoreConfig } from './types.js';

export const STORE_FORMAT_VERSION = 1;

const schema = z.object({
  formatVersion: z.literal(STORE_FORMAT_VERSION),
  indexes: z.record(
    z.string(),
    z.object({ requireSigners: z.number().int().min(1).optional() }).strict(),
  ),
  approved: z.string(),
  incoming: z.string(),
  trustedKeys: z.array(z.string()).default([]),
});

/** A new store: `approved` needs one trusted signer (what `ferry verify` needs by default). */
export const DEFAULT_CONFIG: StoreConfig = {
  formatVersion: STORE_FORMAT_VERSION,
  indexes: { approved: { requireSigners: 1 }, incoming: {} },
  approved: 'approved',
  incoming: 'incoming',
  trustedKeys: [],
};

export const formatConfig = (config: StoreConfig): string => `${JSON.stringify(config, null, 2)}\n`;

export function parseConfig(text: string, source: string): StoreConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw badConfig(source, (error as Error).message);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badConfig(source, `${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  const config = parsed.data as StoreConfig;
  for (const name of Object.keys(config.indexes))
    if (!isIndexName(name)) throw badConfig(source, `"${name}" cannot name an index`);
  for (const role of ['approved', 'incoming'] as const)
    if (!Object.hasOwn(config.indexes, config[role]))
      throw badConfig(source, `"${role}" names "${config[role]}", which is not in "indexes"`);
  return config;
}

function badConfig(source: string, reason: string): FerryError {
  return new FerryError(
    'ERR_FERRY_STORE_DAMAGED',
    `${source} is not a ferry store.json: ${reason}`,
    {
      hint: 'Fix the file by hand (docs/index-server.md describes it), or restore it from a backup.',
    },
  );
}

export async function readConfig(store: string): Promise<StoreConfig | undefined> {
  const path = join(store, STORE_FILES.config);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text === undefined ? undefined : parseConfig(text, path);
}

/** Signers a bundle needs to be published in `index` (0: none). */
export const requiredSigners = (config: StoreConfig, index: string): number =>
  config.indexes[index]?.requireSigners ?? 0;
