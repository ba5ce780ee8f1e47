/** Reads ferry-policy.toml from disk (the rules themselves are in policy.ts, pure). */
import { readFile } from 'node:fs/promises';
import { FerryError } from '../core/errors.js';
import { type Policy, parsePolicy } from './policy.js';

export async function readPolicyFile(path: string): Promise<Policy> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new FerryError(
      'ERR_FERRY_BAD_POLICY',
      `cannot read the policy "${path}": ${error.code ?? error.message}`,
      { hint: 'Give the path of a ferry-policy.toml (docs/audit.md describes it).' },
    );
  });
  return parsePolicy(text, path);
}
