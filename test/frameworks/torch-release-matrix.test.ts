/**
 * The torch CUDA builds in data/frameworks.json against PyTorch's RELEASE.md release
 * compatibility matrix (read 2026-11-30): 2.10 and 2.11 have CUDA 12.6, 12.8 and 13.0 builds;
 * 2.12, 2.13 and 2.14 have 12.6 and 13.0 (and 13.2, not in ferry's table yet) but no 12.8.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { chooseVariant } from '../../src/frameworks/choose.js';
import { hostProfile } from './target-profiles.js';

const RHEL9 = { os: 'RHEL 9', libc: 'glibc 2.34', glibcxx: '3.4.29' } as const;
const profile = hostProfile({ ...RHEL9, python: '3.12.1', driver: '580.65.06' });

describe('torch CUDA builds per release, as RELEASE.md lists them', () => {
  for (const release of ['2.12', '2.13', '2.14']) {
    it(`${release} has no CUDA 12.8 build: --cuda 12.8 is refused`, () => {
      assert.throws(
        () => chooseVariant({ framework: 'torch', version: release, cuda: '12.8', profile }),
        (e: unknown) => e instanceof FerryError && e.code.startsWith('ERR_FERRY_VARIANT_'),
      );
    });
    it(`${release} has CUDA 13.0 and 12.6 builds`, () => {
      for (const [cuda, tag] of [
        ['13.0', 'cu130'],
        ['12.6', 'cu126'],
      ] as const) {
        const choice = chooseVariant({ framework: 'torch', version: release, cuda, profile });
        assert.match(choice.requirement, new RegExp(`^torch==${release}\\.\\d+\\+${tag}$`));
      }
    });
  }
  for (const release of ['2.10', '2.11']) {
    it(`${release} keeps its CUDA 12.8 build`, () => {
      const choice = chooseVariant({ framework: 'torch', version: release, cuda: '12.8', profile });
      assert.match(choice.requirement, new RegExp(`^torch==${release}\\.\\d+\\+cu128$`));
    });
  }
});
