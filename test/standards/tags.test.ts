import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { parseWheelFilename } from '../../src/standards/filename.js';
import {
  bestWheelRank,
  compatibleTags,
  defaultAbis,
  expandTagSet,
  macPlatforms,
  platformTags,
  tagRanking,
} from '../../src/standards/tags.js';

describe('platformTags', () => {
  test('glibc 2.28 x86_64 (openEuler 20.03, Kylin V10): manylinux down to 2_5 with aliases, then linux', () => {
    const tags = platformTags({
      os: 'linux',
      arch: 'x86_64',
      libc: { kind: 'glibc', version: [2, 28] },
    });
    assert.equal(tags[0], 'manylinux_2_28_x86_64');
    assert.equal(tags.at(-1), 'linux_x86_64');
    const at = (t: string): number => tags.indexOf(t);
    assert.equal(at('manylinux2014_x86_64'), at('manylinux_2_17_x86_64') + 1);
    assert.equal(at('manylinux2010_x86_64'), at('manylinux_2_12_x86_64') + 1);
    assert.equal(at('manylinux1_x86_64'), at('manylinux_2_5_x86_64') + 1);
    assert.equal(tags.length, 24 + 3 + 1);
  });

  test('aarch64 stops at 2_17 (Kunpeng / Phytium)', () => {
    const tags = platformTags({
      os: 'linux',
      arch: 'aarch64',
      libc: { kind: 'glibc', version: [2, 17] },
    });
    assert.deepEqual(tags, ['manylinux_2_17_aarch64', 'manylinux2014_aarch64', 'linux_aarch64']);
    assert.deepEqual(
      platformTags({ os: 'linux', arch: 'aarch64', libc: { kind: 'glibc', version: [2, 12] } }),
      ['linux_aarch64'],
    );
  });

  test('loongarch64 glibc 2.38', () => {
    const tags = platformTags({
      os: 'linux',
      arch: 'loongarch64',
      libc: { kind: 'glibc', version: [2, 38] },
    });
    assert.equal(tags[0], 'manylinux_2_38_loongarch64');
    assert.ok(tags.includes('manylinux2014_loongarch64'));
  });

  test('musl, no libc, aliases', () => {
    assert.deepEqual(
      platformTags({ os: 'linux', arch: 'x86_64', libc: { kind: 'musl', version: [1, 2] } }),
      ['musllinux_1_2_x86_64', 'musllinux_1_1_x86_64', 'musllinux_1_0_x86_64', 'linux_x86_64'],
    );
    assert.deepEqual(platformTags({ os: 'linux', arch: 'x86_64' }), ['linux_x86_64']);
    assert.deepEqual(platformTags({ os: 'linux', arch: 'AMD64' }), ['linux_x86_64']);
    assert.deepEqual(
      platformTags({ os: 'linux', arch: 'sparc64', libc: { kind: 'glibc', version: [2, 28] } }),
      ['linux_sparc64'],
    );
  });

  test('windows and macOS', () => {
    assert.deepEqual(platformTags({ os: 'windows', arch: 'AMD64' }), ['win_amd64']);
    assert.deepEqual(platformTags({ os: 'windows', arch: 'x86' }), ['win32']);
    assert.deepEqual(platformTags({ os: 'windows', arch: 'ARM64' }), ['win_arm64']);
    const mac = platformTags({ os: 'macos', arch: 'arm64', macosVersion: [11, 0] });
    assert.deepEqual(mac.slice(0, 3), [
      'macosx_11_0_arm64',
      'macosx_11_0_universal2',
      'macosx_10_16_universal2',
    ]);
    assert.ok(!mac.includes('macosx_10_9_x86_64'));
    assert.deepEqual(macPlatforms([10, 4], 'x86_64').slice(0, 6), [
      'macosx_10_4_x86_64',
      'macosx_10_4_intel',
      'macosx_10_4_fat64',
      'macosx_10_4_fat3',
      'macosx_10_4_universal2',
      'macosx_10_4_universal',
    ]);
  });

  test('bad targets are rejected with ERR_FERRY_INVALID_TARGET', () => {
    for (const p of [
      { os: 'macos', arch: 'arm64' },
      { os: 'windows', arch: 'mips' },
    ] as const) {
      assert.throws(
        () => platformTags(p),
        (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_INVALID_TARGET',
      );
    }
  });
});

describe('compatibleTags', () => {
  const linux = { os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [2, 17] } } as const;

  test('CPython 3.11: cpython tags, abi3 down to cp32, then pure tags', () => {
    const tags = compatibleTags({ implementation: 'cp', version: [3, 11] }, linux);
    assert.equal(tags[0], 'cp311-cp311-manylinux_2_17_x86_64');
    assert.ok(
      tags.indexOf('cp311-abi3-manylinux_2_17_x86_64') <
        tags.indexOf('cp310-abi3-manylinux_2_17_x86_64'),
    );
    assert.ok(tags.includes('cp32-abi3-linux_x86_64'));
    assert.ok(!tags.includes('cp31-abi3-linux_x86_64'));
    assert.equal(tags.at(-1), 'py30-none-any');
    assert.ok(tags.indexOf('cp311-none-any') < tags.indexOf('py3-none-any'));
  });

  test('default ABIs', () => {
    assert.deepEqual(defaultAbis({ implementation: 'cp', version: [3, 7] }), ['cp37m']);
    assert.deepEqual(defaultAbis({ implementation: 'cp', version: [3, 12] }), ['cp312']);
    assert.deepEqual(defaultAbis({ implementation: 'pp', version: [3, 10] }), ['pypy310_pp73']);
  });

  test('free-threaded CPython gets abi3t, not abi3', () => {
    const tags = compatibleTags(
      { implementation: 'cp', version: [3, 13], abis: ['cp313t'] },
      { os: 'windows', arch: 'AMD64' },
    );
    assert.equal(tags[0], 'cp313-cp313t-win_amd64');
    assert.ok(tags.includes('cp313-abi3t-win_amd64'));
    assert.ok(!tags.includes('cp313-abi3-win_amd64'));
  });

  test('PyPy: generic tags, then pp3-none-any', () => {
    const tags = compatibleTags(
      { implementation: 'pp', version: [3, 10] },
      { os: 'windows', arch: 'AMD64' },
    );
    assert.deepEqual(tags.slice(0, 2), ['pp310-pypy310_pp73-win_amd64', 'pp310-none-win_amd64']);
    assert.ok(tags.includes('pp3-none-any'));
  });
});

describe('ranking', () => {
  const ranking = tagRanking(
    compatibleTags(
      { implementation: 'cp', version: [3, 10] },
      { os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [2, 28] } },
    ),
  );
  const rank = (f: string): number | undefined => bestWheelRank(parseWheelFilename(f), ranking);

  test('specific beats generic; incompatible is undefined', () => {
    const native = rank('paddlepaddle-2.6.2-cp310-cp310-manylinux1_x86_64.whl');
    const m228 = rank('torch-2.7.0-cp310-cp310-manylinux_2_28_x86_64.whl');
    const pure = rank('six-1.16.0-py2.py3-none-any.whl');
    const linuxOnly = rank('paddlepaddle_gpu-2.6.2.post112-cp310-cp310-linux_x86_64.whl');
    assert.ok(
      m228 !== undefined && native !== undefined && pure !== undefined && linuxOnly !== undefined,
    );
    assert.ok(m228 < native && native < linuxOnly && linuxOnly < pure);
    assert.equal(rank('torch-2.7.0-cp310-cp310-manylinux_2_34_x86_64.whl'), undefined);
    assert.equal(rank('torch-2.7.0-cp311-cp311-manylinux_2_28_x86_64.whl'), undefined);
    assert.equal(rank('foo-1.0-cp310-cp310-win_amd64.whl'), undefined);
  });

  test('first occurrence wins', () => {
    assert.deepEqual(
      [...tagRanking(['a-b-c', 'x-y-z', 'A-B-C'])],
      [
        ['a-b-c', 0],
        ['x-y-z', 1],
      ],
    );
  });

  test('expandTagSet', () => {
    assert.deepEqual(expandTagSet('py2.py3-none-any'), ['py2-none-any', 'py3-none-any']);
    assert.equal(expandTagSet('py3-none'), undefined);
    assert.equal(expandTagSet('py3.-none-any'), undefined);
  });
});
