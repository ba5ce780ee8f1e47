/**
 * Names mean one thing across src/: no declaration shadows one of TypeScript's own utility
 * types, and `Target` is only the target host of src/standards/target.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return entry.endsWith('.ts') ? [path] : [];
  });
}

const UTILITY_TYPES =
  'Partial|Required|Readonly|Record|Pick|Omit|Exclude|Extract|NonNullable|ReturnType|Parameters|Awaited';

function declarations(pattern: RegExp): string[] {
  return sourceFiles('src').flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(pattern)].map(
      (m) => `${file.replaceAll('\\', '/')}: ${m[0].trim()}`,
    ),
  );
}

describe('type names', () => {
  it("no declaration shadows a TypeScript utility type (the partial download was 'Partial')", () => {
    const found = declarations(
      new RegExp(`^\\s*(export\\s+)?(interface|type|class)\\s+(${UTILITY_TYPES})\\b`, 'gm'),
    );
    assert.deepEqual(found, []);
  });

  it("only src/standards/target.ts declares a Target (a download's URL was one too)", () => {
    const found = declarations(/^\s*(export\s+)?(interface|type|class)\s+Target\b/gm).filter(
      (d) => !d.startsWith('src/standards/target.ts:'),
    );
    assert.deepEqual(found, []);
  });
});
