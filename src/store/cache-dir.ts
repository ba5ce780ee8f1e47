/** Where ferry's cache lives; below index/ and fetch/ so both find the same folder. */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { FERRY_ENV, readEnv } from '../core/env.js';

/** `$FERRY_CACHE_DIR`, else `$XDG_CACHE_HOME/ferry`, else `~/.cache/ferry`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = readEnv(FERRY_ENV.cacheDir, env);
  if (explicit !== undefined) return explicit;
  // XDG Base Directory spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = readEnv('XDG_CACHE_HOME', env);
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'ferry');
  return join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.cache', 'ferry');
}
