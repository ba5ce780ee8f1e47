import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import {
  baseVersion,
  compareVersions,
  formatVersion,
  isPostrelease,
  isPrerelease,
  normalizeVersion,
  parseVersion,
  publicVersion,
  tryParseVersion,
} from '../../src/standards/version.js';

describe('parseVersion / formatVersion', () => {
  const normal: [string, string][] = [
    ['1.0', '1.0'],
    ['1.0.0', '1.0.0'],
    ['v1.0', '1.0'],
    ['V1.0', '1.0'],
    ['  1.0\n', '1.0'],
    ['01.002.0003', '1.2.3'],
    ['1!2.0', '1!2.0'],
    ['0!2.0', '2.0'],
    ['1.0a1', '1.0a1'],
    ['1.0alpha1', '1.0a1'],
    ['1.0.BETA.2', '1.0b2'],
    ['1.0c1', '1.0rc1'],
    ['1.0pre1', '1.0rc1'],
    ['1.0-preview_1', '1.0rc1'],
    ['1.0a', '1.0a0'],
    ['1.0.POST1', '1.0.post1'],
    ['1.0-1', '1.0.post1'],
    ['1.0-r2', '1.0.post2'],
    ['1.0rev', '1.0.post0'],
    ['1.0.post', '1.0.post0'],
    ['1.0dev', '1.0.dev0'],
    ['1.0-dev-3', '1.0.dev3'],
    ['1.0rc1.post2.dev3', '1.0rc1.post2.dev3'],
    ['2.1.2+cu118', '2.1.2+cu118'],
    ['1.0+Ubuntu-1_007', '1.0+ubuntu.1.7'],
    ['2.6.2.post112', '2.6.2.post112'],
  ];
  for (const [input, expected] of normal) {
    it(`normalises ${JSON.stringify(input)} to ${expected}`, () => {
      assert.equal(formatVersion(parseVersion(input)), expected);
      assert.equal(normalizeVersion(input), expected);
    });
  }

  it('exposes the parts', () => {
    assert.deepEqual(parseVersion('1!2.0rc3.post4.dev5+cu118.1'), {
      epoch: 1,
      release: [2, 0],
      pre: ['rc', 3],
      post: 4,
      dev: 5,
      local: ['cu118', 1],
    });
    assert.deepEqual(parseVersion('2.6.2'), { epoch: 0, release: [2, 6, 2] });
  });

  const invalid = [
    '',
    ' ',
    'foo',
    '1.0-foo',
    '1.0.x',
    '1..0',
    '.1',
    '1.',
    '1.0+',
    '1.0+cu118+x',
    '!1.0',
    '1.0.*',
    '1.0 a1',
    '١.0',
    '1.0+loca\u017f',
    '\ufeff1.0',
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.equal(tryParseVersion(input), undefined);
      assert.throws(
        () => parseVersion(input),
        (e: unknown) =>
          e instanceof FerryError &&
          e.code === 'ERR_FERRY_INVALID_VERSION' &&
          e.message.includes(JSON.stringify(input)) &&
          e.hint !== undefined,
      );
    });
  }

  it('points at the first character a version cannot contain', () => {
    assert.throws(
      () => parseVersion('2.6.2 post1'),
      (e: unknown) => e instanceof FerryError && e.message.endsWith('2.6.2 post1\n     ^'),
    );
  });

  it('rejects numbers JS cannot hold exactly instead of rounding them', () => {
    assert.deepEqual(tryParseVersion('9007199254740991'), parseVersion('9007199254740991'));
    assert.equal(tryParseVersion('1.9007199254740993'), undefined);
    assert.throws(() => parseVersion('1.0+99999999999999999999'), /larger than/);
  });
});

describe('compareVersions', () => {
  // Each list is strictly increasing (PEP 440 "Summary of permitted suffixes and relative ordering").
  const ascending = [
    '1.0.dev0',
    '1.0.dev456',
    '1.0a1.dev1',
    '1.0a1',
    '1.0a1+local',
    '1.0a1.post1.dev1',
    '1.0a1.post1',
    '1.0a2.dev456',
    '1.0a12',
    '1.0b1.dev456',
    '1.0b2',
    '1.0b2.post345.dev456',
    '1.0b2.post345',
    '1.0rc1.dev456',
    '1.0rc1',
    '1.0',
    '1.0+abc.5',
    '1.0+abc.7',
    '1.0+5',
    '1.0+5.abc',
    '1.0.post456.dev34',
    '1.0.post456',
    '1.0.15',
    '1.1.dev1',
    '2.6.2',
    '2.6.2.post112',
    '2.6.2.post118',
    '2.6.2.post120',
    '1!0.1',
  ];
  it('orders PEP 440 examples', () => {
    for (let i = 0; i < ascending.length; i++) {
      for (let j = 0; j < ascending.length; j++) {
        const got = compareVersions(parseVersion(ascending[i]!), parseVersion(ascending[j]!));
        assert.equal(got, Math.sign(i - j), `${ascending[i]} vs ${ascending[j]}`);
      }
    }
  });

  it('ignores trailing zeros in the release but not in local labels', () => {
    assert.equal(compareVersions(parseVersion('1.0.0'), parseVersion('1')), 0);
    assert.equal(compareVersions(parseVersion('1.0'), parseVersion('1.0.0.post0')), -1);
    assert.equal(compareVersions(parseVersion('1.0+1.0'), parseVersion('1.0+1')), 1);
    assert.equal(compareVersions(parseVersion('1.0+CU118'), parseVersion('1.0+cu118')), 0);
  });

  it('sorts a Paddle/PyTorch listing', () => {
    const listing = [
      '2.6.2.post120',
      '2.6.2',
      '2.1.2+cu118',
      '2.6.2.post112',
      '2.6.1',
      '2.1.2',
      '3.0.0rc1',
    ];
    const sorted = listing.map(parseVersion).sort(compareVersions).map(formatVersion);
    assert.deepEqual(sorted, [
      '2.1.2',
      '2.1.2+cu118',
      '2.6.1',
      '2.6.2',
      '2.6.2.post112',
      '2.6.2.post120',
      '3.0.0rc1',
    ]);
  });
});

describe('version predicates and projections', () => {
  it('isPrerelease follows packaging (pre or dev; post alone is final)', () => {
    assert.equal(isPrerelease(parseVersion('1.0a1')), true);
    assert.equal(isPrerelease(parseVersion('1.0.dev1')), true);
    assert.equal(isPrerelease(parseVersion('1.0.post1.dev1')), true);
    assert.equal(isPrerelease(parseVersion('2.6.2.post118')), false);
    assert.equal(isPrerelease(parseVersion('2.1.2+cu118')), false);
    assert.equal(isPostrelease(parseVersion('2.6.2.post118')), true);
  });

  it('publicVersion drops the local label and baseVersion keeps epoch and release', () => {
    assert.equal(formatVersion(publicVersion(parseVersion('2.1.2+cu118'))), '2.1.2');
    assert.equal(formatVersion(publicVersion(parseVersion('1!1.0rc1.dev2'))), '1!1.0rc1.dev2');
    assert.equal(formatVersion(baseVersion(parseVersion('1!2.0rc1.post3.dev4+x'))), '1!2.0');
    assert.deepEqual(publicVersion(parseVersion('2.1.2+cu118')), { epoch: 0, release: [2, 1, 2] });
  });
});
