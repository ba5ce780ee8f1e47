/**
 * Files ferry reads at run time besides its code: the Python scripts it runs or embeds
 * (src/host/probe.py, src/onhost/smoke/*.py, src/bundle/install-template.py), its data tables
 * (data/*.json) and its version (package.json). A checkout and `tsc`'s dist/ read them from
 * disk; dist/ferry.mjs carries them inside itself (embedded-assets.ts), so that one file runs
 * with nothing beside it. Each loader asks here first and falls back to its own file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EMBEDDED_ASSETS } from './embedded-assets.js';

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
