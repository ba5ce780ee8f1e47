/**
 * compareVersions is ferry's one version comparison: PEP 440 versions, and the dotted numbers
 * of Python, CUDA, NVIDIA drivers and glibc, given parsed or as text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareDottedVersions } from '../../src/frameworks/cuda.js';
import { compareVersions, parseVersion } from '../../src/standards/version.js';

describe('compareVersions on text', () => {
  it('orders dotted numbers part by part, missing parts as 0', () => {
    assert.equal(compareVersions('3.9', '3.13'), -1);
    assert.equal(compareVersions('535.54.03', '535.54.3'), 0);
    assert.equal(compareVersions('470.82.01', '470.9'), 1);
    assert.equal(compareVersions('2.28', '2.28.0'), 0);
    assert.equal(compareVersions('12.10', '12.9'), 1);
  });

  it('orders framework releases as PEP 440 does, post and pre releases included', () => {
    // The old framework-table sort read "post120" and "rc1" as 0: these compared equal.
    assert.equal(compareVersions('2.6.2.post112', '2.6.2.post120'), -1);
    assert.equal(compareVersions('3.0.0rc1', '3.0.0'), -1);
    assert.equal(compareVersions('2.1.2+cu118', '2.1.2'), 1);
    const sorted = ['2.6.2', '3.0.0rc1', '2.6.2.post120', '3.0.0', '2.6.2.post112'].sort(
      compareVersions,
    );
    assert.deepEqual(sorted, ['2.6.2', '2.6.2.post112', '2.6.2.post120', '3.0.0rc1', '3.0.0']);
  });

  it('gives the same answer for text and parsed versions', () => {
    for (const [a, b] of [
      ['1.0', '1.0.post1'],
      ['1!0.1', '2.0'],
      ['1.0.dev1', '1.0a1'],
    ] as const)
      assert.equal(compareVersions(a, b), compareVersions(parseVersion(a), parseVersion(b)));
  });

  it('refuses text that is not a version; driver versions are refused by name', () => {
    assert.throws(() => compareVersions('r470', '1'), { code: 'ERR_FERRY_INVALID_VERSION' });
    assert.throws(() => compareDottedVersions('470.x', '1'), /is not a driver version/);
  });
});
