/**
 * Files ferry reads at run time besides its code: the Python scripts it runs or embeds
 * (src/host/probe.py, src/onhost/smoke/*.py, src/bundle/install-template.py), its data tables
 * (data/*.json) and its version (package.json). A checkout and `tsc`'s dist/ read them from
 * disk; dist/ferry.mjs carries them inside itself (embedded-assets.ts), so that one file runs
 * with nothing beside it. Each loader asks here first and falls back to its own file.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_ASSETS } from './embedded-assets.js';
import type { ErrorCode } from './error-codes.js';
import { FerryError } from './errors.js';

/** The embedded text of `repoPath` (e.g. "data/targets.json"), or undefined when not embedded. */
export function embeddedAsset(repoPath: string): string | undefined {
  return EMBEDDED_ASSETS?.[repoPath];
}

let materialized: string | undefined;

/**
 * A path on disk for an embedded script that Python must run as a file (it imports its
 * siblings by path, as harness.py does with a checks file). Every embedded script is written
 * once per process under one private temporary folder (mkdtemp: mode 0700), keeping its
 * repository path so siblings stay siblings, and the folder is removed when the process exits.
 * Undefined when ferry runs from a checkout: the caller uses the file beside its module.
 */
export function embeddedAssetFile(repoPath: string): string | undefined {
  if (!repoPath.endsWith('.py') || EMBEDDED_ASSETS?.[repoPath] === undefined) return undefined;
  if (materialized === undefined) {
    const root = mkdtempSync(join(tmpdir(), 'ferry-assets-'));
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    for (const [path, text] of Object.entries(EMBEDDED_ASSETS)) {
      if (!path.endsWith('.py')) continue;
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text, { mode: 0o644 });
    }
    materialized = root;
  }
  return join(materialized, repoPath);
}

/**
 * Where a file that ships in ferry's source tree (`repoPath`, e.g. "src/host/probe.py") is on
 * disk: the embedded copy written out when ferry is one file, else the file beside the module
 * that uses it, else the one in src/ (tsc's dist/ holds only the compiled code; the scripts
 * stay in src/). Missing means a damaged installation: `code` names which file.
 */
export function shippedFile(repoPath: string, code: ErrorCode): string {
  const embedded = embeddedAssetFile(repoPath);
  if (embedded !== undefined) return embedded;
  // This module is src/core/assets.ts (or dist/core/assets.js): two levels below the root.
  const candidates = [
    new URL(`../${repoPath.replace(/^src\//, '')}`, import.meta.url),
    new URL(`../../${repoPath}`, import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  const name = repoPath.slice(repoPath.lastIndexOf('/') + 1);
  throw new FerryError(code, `${name} is missing from this ferry installation`, {
    hint: `Reinstall ferry; ${name} ships in ${repoPath}.`,
  });
}
