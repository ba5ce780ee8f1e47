import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { compatibleTags } from '../../src/standards/tags.js';
import {
  describeTarget,
  makeTarget,
  markerEnvironmentFor,
  platformMachine,
  targetTags,
} from '../../src/standards/target.js';

describe('markerEnvironmentFor', () => {
  test('Kylin V10 on Kunpeng: CPython 3.7.9, aarch64, glibc 2.28', () => {
    const env = markerEnvironmentFor(
      { implementation: 'cp', version: [3, 7], fullVersion: '3.7.9' },
      { os: 'linux', arch: 'aarch64', libc: { kind: 'glibc', version: [2, 28] } },
    );
    assert.deepEqual(env, {
      implementation_name: 'cpython',
      implementation_version: '3.7.9',
      os_name: 'posix',
      platform_machine: 'aarch64',
      platform_python_implementation: 'CPython',
      platform_release: '',
      platform_system: 'Linux',
      platform_version: '',
      python_full_version: '3.7.9',
      python_version: '3.7',
      sys_platform: 'linux',
    });
  });

  test('Windows and macOS facts', () => {
    const win = markerEnvironmentFor(
      { implementation: 'cp', version: [3, 12], fullVersion: '3.12.4' },
      { os: 'windows', arch: 'x86_64' },
      { release: '10' },
    );
    assert.equal(win.os_name, 'nt');
    assert.equal(win.sys_platform, 'win32');
    assert.equal(win.platform_system, 'Windows');
    assert.equal(win.platform_machine, 'AMD64');
    assert.equal(win.platform_release, '10');
    const mac = markerEnvironmentFor(
      { implementation: 'cp', version: [3, 13], fullVersion: '3.13.0rc1' },
      { os: 'macos', arch: 'aarch64', macosVersion: [14, 0] },
    );
    assert.equal(mac.sys_platform, 'darwin');
    assert.equal(mac.platform_system, 'Darwin');
    assert.equal(mac.platform_machine, 'arm64');
    assert.equal(mac.implementation_version, '3.13.0rc1');
  });

  test('PyPy: implementation version only when stated', () => {
    const linux = { os: 'linux', arch: 'x86_64' } as const;
    const pp = markerEnvironmentFor(
      { implementation: 'pp', version: [3, 10], fullVersion: '3.10.14' },
      linux,
    );
    assert.equal(pp.implementation_name, 'pypy');
    assert.equal(pp.platform_python_implementation, 'PyPy');
    assert.equal(pp.implementation_version, '');
    const stated = markerEnvironmentFor(
      {
        implementation: 'pp',
        version: [3, 10],
        fullVersion: '3.10.14',
        implementationVersion: '7.3.17',
      },
      linux,
    );
    assert.equal(stated.implementation_version, '7.3.17');
  });

  test('a full version that contradicts the Python version is rejected', () => {
    assert.throws(
      () =>
        markerEnvironmentFor(
          { implementation: 'cp', version: [3, 11], fullVersion: '3.10.2' },
          { os: 'linux', arch: 'x86_64' },
        ),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'ERR_FERRY_INVALID_TARGET' &&
        e.message.includes('"3.10.2"'),
    );
  });

  test('platformMachine', () => {
    assert.equal(platformMachine({ os: 'windows', arch: 'ARM64' }), 'ARM64');
    assert.equal(platformMachine({ os: 'windows', arch: 'win32' }), 'x86');
    assert.equal(platformMachine({ os: 'linux', arch: 'amd64' }), 'x86_64');
    assert.equal(platformMachine({ os: 'linux', arch: 'loongarch64' }), 'loongarch64');
  });
});

describe('Target', () => {
  const target = makeTarget(
    'openeuler-2203',
    { implementation: 'cp', version: [3, 9], fullVersion: '3.9.9' },
    { os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [2, 34] } },
  );
  test('targetTags is compatibleTags of its parts', () => {
    assert.deepEqual(targetTags(target), compatibleTags(target.interpreter, target.platform));
    assert.equal(targetTags(target)[0], 'cp39-cp39-manylinux_2_34_x86_64');
    assert.equal(target.markers.python_full_version, '3.9.9');
  });
  test('describeTarget', () => {
    assert.equal(
      describeTarget(target),
      'openeuler-2203: CPython 3.9.9 (cp39), Linux x86_64, glibc 2.34',
    );
  });
});
