import { readFileSync } from 'node:fs';
import { embeddedAsset } from '../core/assets.js';

/** ferry's version, from package.json (one source of truth; embedded in dist/ferry.mjs). */
export const VERSION: string = (
  JSON.parse(
    embeddedAsset('package.json') ??
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as {
    version: string;
  }
).version;
