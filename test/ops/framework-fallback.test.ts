/**
 * The fallback rule as a library function: each attempt gets the requirements with one
 * release's pin, an attempt that fails because the framework has no wheel gives way to the
 * next older release (with a warning event), and any other failure stands.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import type { FerryEvent } from '../../src/core/events.js';
import { settleTargetsWithProfiles } from '../../src/host/target-spec.js';
import { lockFramework } from '../../src/ops/framework-fallback.js';
import type { RequirementsFileResult } from '../../src/resolver/requirements-file.js';
import { formatRequirement } from '../../src/standards/requirement.js';

const base: RequirementsFileResult = {
  requirements: [],
  constraints: [],
  extraIndexUrls: [],
  findLinks: [],
  noIndex: false,
  pre: false,
  hashes: new Map(),
};

async function aarch64() {
  return settleTargetsWithProfiles({ python: '3.10', os: 'linux', arch: 'aarch64', glibc: '2.28' });
}

const noWheel = (project: string) =>
  new FerryError('ERR_FERRY_NO_COMPATIBLE_FILE', `no wheel of ${project}`, {
    hint: 'test',
    details: { project },
  });

describe('lockFramework', () => {
  it('tries older releases of the series while the framework has no wheel, and warns', async () => {
    const events: FerryEvent[] = [];
    const tried: string[] = [];
    const result = await lockFramework(
      {
        request: { framework: 'paddle', cuda: 'cpu' },
        targets: await aarch64(),
        base,
        indexFor: [],
        events: (e) => events.push(e),
      },
      async (reqs) => {
        const pin = formatRequirement(reqs.requirements.at(-1)!.requirement);
        tried.push(pin);
        if (tried.length < 3) throw noWheel('paddlepaddle');
        return pin;
      },
    );
    assert.equal(tried.length, 3);
    assert.equal(result, tried[2]);
    assert.ok(
      tried.every((t) => t.startsWith('paddlepaddle==')),
      tried.join(' '),
    );
    assert.equal(new Set(tried).size, 3, 'each attempt pins another release');
    const warnings = events.filter((e) => e.type === 'warning');
    assert.equal(warnings.length, 2);
    assert.match(
      String((warnings[0] as { message: string }).message),
      /has no wheel for the target; trying paddle/,
    );
  });

  it('keeps an asked-for version: its failure stands, with no other release tried', async () => {
    let attempts = 0;
    await assert.rejects(
      lockFramework(
        {
          request: { framework: 'paddle', cuda: 'cpu', version: '3.2.2' },
          targets: await aarch64(),
          base,
          indexFor: [],
        },
        async () => {
          attempts++;
          throw noWheel('paddlepaddle');
        },
      ),
      (error: FerryError) => error.code === 'ERR_FERRY_NO_COMPATIBLE_FILE',
    );
    assert.equal(attempts, 1);
  });

  it('does not fall back when another project is the one without a wheel', async () => {
    let attempts = 0;
    await assert.rejects(
      lockFramework(
        {
          request: { framework: 'paddle', cuda: 'cpu' },
          targets: await aarch64(),
          base,
          indexFor: [],
        },
        async () => {
          attempts++;
          throw noWheel('numpy');
        },
      ),
      (error: FerryError) => error.details?.project === 'numpy',
    );
    assert.equal(attempts, 1);
  });
});
