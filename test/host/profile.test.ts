import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { parseTargetProfile, profileToTargets } from '../../src/host/profile.js';

const text = readFileSync(
  new URL('../fixtures/profiles/kylin-v10-aarch64-py39.json', import.meta.url),
  'utf8',
);

const refused = (value: unknown, pattern: RegExp) =>
  assert.throws(
    () => parseTargetProfile(value, 'kylin.json'),
    (e: unknown) =>
      e instanceof FerryError && e.code === 'ERR_FERRY_INVALID_PROFILE' && pattern.test(e.message),
  );

describe('target profile', () => {
  it('parses a fixture and gives one target per interpreter', () => {
    const p = parseTargetProfile(text, 'kylin.json');
    const targets = profileToTargets(p);
    assert.equal(targets.length, 2);
    const t = targets[1];
    assert.ok(t);
    assert.deepEqual(t.interpreter.version, [3, 9]);
    assert.equal(t.interpreter.fullVersion, '3.9.18');
    assert.deepEqual(t.interpreter.abis, ['cp39']);
    assert.deepEqual(t.platform, {
      os: 'linux',
      arch: 'aarch64',
      libc: { kind: 'glibc', version: [2, 28] },
    });
    assert.equal(t.markers.platform_release, '4.19.90');
    assert.match(t.name, /^kylin-v10-py3\.9/);
  });
  it('names the file and the field', () => {
    const bad = JSON.parse(text);
    bad.nvidia.driverVersion = 'r470';
    refused(
      bad,
      /^kylin\.json: invalid target profile: nvidia\.driverVersion: expected a driver version/,
    );
    const bad2 = JSON.parse(text);
    delete bad2.interpreters[1].markers.sys_platform;
    refused(bad2, /interpreters\[1\]\.markers\.sys_platform/);
  });
  it('refuses another formatVersion and non-JSON', () => {
    refused(
      { ...JSON.parse(text), formatVersion: 2 },
      /^kylin\.json: formatVersion 2 is not supported/,
    );
    refused('{not json', /^kylin\.json: not JSON/);
  });
});
