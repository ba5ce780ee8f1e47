import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The digest (hex) of a file, streamed: wheels and bundles may be several GB. */
export async function hashFile(
  path: string,
  algorithm: 'sha256' | 'sm3' = 'sha256',
): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
