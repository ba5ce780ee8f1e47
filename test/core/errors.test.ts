/**
 * Every FerryError carries a declared code and a hint that says what to do. The type checker
 * enforces both (npm run typecheck fails on the @ts-expect-error lines below if either check
 * goes away); the cases here hold a few of the hints that used to be missing to their word.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSize } from '../../src/archive/size.js';
import { parseVolumesFile } from '../../src/archive/volumes.js';
import { formatSha256Sums, parseSha256Sums } from '../../src/bundle/sha256sums.js';
import { FerryError } from '../../src/core/errors.js';
import { parseMinisignSignature } from '../../src/trust/ed25519-minisign.js';
import { parseSm2PublicKey } from '../../src/trust/sm2.js';
import { verifySignatures } from '../../src/trust/verify-signatures.js';

function thrown(fn: () => unknown): FerryError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FerryError, String(error));
    return error;
  }
  assert.fail('expected a FerryError');
}

describe('FerryError codes and hints', () => {
  it('an undeclared code or a missing hint does not type-check', () => {
    // @ts-expect-error: a misspelt code is not an ErrorCode
    const misspelt = new FerryError('ERR_FERRY_HASH_MISMATCHH', 'x', { hint: 'y' });
    // @ts-expect-error: the hint is required
    const hintless = new FerryError('ERR_FERRY_USAGE', 'x', {});
    assert.equal(misspelt.hint, 'y');
    assert.equal(hintless.hint, undefined);
  });

  it('errors that had no hint now say what to do', () => {
    const cases: [() => unknown, string, RegExp][] = [
      [
        () => parseVolumesFile('{', 'x.volumes.json'),
        'ERR_FERRY_VOLUME_DAMAGED',
        /ferry pack --split/,
      ],
      [() => parseSize('100'), 'ERR_FERRY_BAD_SIZE', /--split/],
      [
        () => formatSha256Sums([{ path: 'a', sha256: 'A'.repeat(64) }]),
        'ERR_FERRY_BAD_HASH',
        /64 lower-case hex/,
      ],
      [() => parseSha256Sums('nonsense\n'), 'ERR_FERRY_BAD_SHA256SUMS', /SHA256 {2}PATH/],
      [() => verifySignatures(new Uint8Array(), [], [], 0), 'ERR_FERRY_USAGE', /--require-signers/],
      [() => parseMinisignSignature('hello\n'), 'ERR_FERRY_BAD_SIGNATURE', /ferry sign/],
      [() => parseSm2PublicKey('hello'), 'ERR_FERRY_BAD_KEY', /ferry keygen --sm2/],
    ];
    for (const [fn, code, hint] of cases) {
      const error = thrown(fn);
      assert.equal(error.code, code, error.message);
      assert.match(error.hint, hint, error.message);
    }
  });
});
