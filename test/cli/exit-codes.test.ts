/**
 * Every error code ferry throws maps to one of the documented exit statuses (README, "Output
 * for people and scripts"), so a new or misspelt code cannot fall back to 1 unnoticed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT, EXIT_BY_CODE, exitCodeFor, WARNING_CODES } from '../../src/cli/exit-codes.js';
import { ERROR_CODES } from '../../src/core/error-codes.js';

const DECLARATIONS = ['src/core/error-codes.ts', 'src/cli/exit-codes.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|py)$/.test(entry) ? [path] : [];
  });
}

describe('exit statuses', () => {
  it('every ERR_FERRY_ code under src/ has an explicit status or is a warning code', () => {
    const where = new Map<string, string>();
    for (const file of sourceFiles('src')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/ERR_FERRY_[A-Z0-9_]*[A-Z0-9]/g))
        if (!where.has(m[0])) where.set(m[0], file);
    }
    assert.ok(where.size > 50, `found only ${where.size} codes`);
    const missing = [...where]
      .filter(([code]) => !Object.hasOwn(EXIT_BY_CODE, code) && !WARNING_CODES.has(code))
      .map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(missing, [], 'add these to EXIT_BY_CODE in src/cli/exit-codes.ts');
  });

  it('only documented statuses are used, and framework refusals are resolution failures', () => {
    const documented = new Set<number>(Object.values(EXIT));
    for (const [code, status] of Object.entries(EXIT_BY_CODE))
      assert.ok(documented.has(status), `${code} → ${status}`);
    for (const code of Object.keys(EXIT_BY_CODE).filter((c) => c.startsWith('ERR_FERRY_VARIANT_')))
      assert.equal(
        exitCodeFor(code),
        code === 'ERR_FERRY_VARIANT_UNKNOWN' ? EXIT.usage : EXIT.resolution,
        code,
      );
    for (const code of WARNING_CODES) assert.ok(!Object.hasOwn(EXIT_BY_CODE, code), code);
    assert.equal(exitCodeFor('ERR_FERRY_NO_SUCH_CODE'), EXIT.failure);
    assert.equal(exitCodeFor('toString'), EXIT.failure);
  });

  it('every declared error and warning code is used somewhere under src/ besides its declaration', () => {
    const text = sourceFiles('src')
      .filter((file) => !DECLARATIONS.includes(file.replaceAll('\\', '/')))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const declared = [...Object.keys(ERROR_CODES), ...WARNING_CODES];
    assert.ok(declared.length > 50, `found only ${declared.length} codes`);
    const unused = declared.filter((code) => !new RegExp(`'${code}'`).test(text));
    assert.deepEqual(unused, [], 'remove these from src/core/error-codes.ts');
  });

  it('every declared error code has a documented status', () => {
    for (const code of Object.keys(ERROR_CODES)) assert.ok(Object.hasOwn(EXIT_BY_CODE, code), code);
    assert.equal(exitCodeFor('ERR_FERRY_HASH_MISMATCH'), EXIT.integrity);
    assert.equal(exitCodeFor('ERR_FERRY_DOCTOR'), EXIT.doctor);
  });
});
