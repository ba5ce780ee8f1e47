import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import type { Availability } from '../../src/frameworks/availability.js';
import { listFor } from '../../src/frameworks/availability.js';
import {
  AvailabilityCache,
  AvailabilityDiscovery,
  type ListFiles,
} from '../../src/ops/framework-availability.js';

const INDEX = 'https://vendor.invalid/whl/cpu';
const WHEEL = 'torch-2.14.1+cpu-cp311-cp311-manylinux_2_28_x86_64.whl';
const NOTHING_RECORDED: Availability = {
  lists: new Map(),
  unreachable: new Map(),
  configured: new Map(),
};
const unreachable: ListFiles = async () => {
  throw new FerryError('ERR_FERRY_INDEX_UNREACHABLE', `could not fetch ${INDEX}/torch/`, {
    hint: 'test',
  });
};

describe('availability read from an index is cached for a later run that cannot reach it', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-availability-cache-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a list read once answers for the index when it is unreachable, with its date, and says so', async () => {
    const online = new AvailabilityDiscovery(
      async () => [WHEEL],
      undefined,
      NOTHING_RECORDED,
      new AvailabilityCache(dir),
    );
    assert.equal(await online.learn(INDEX, 'torch'), true);

    const warnings: string[] = [];
    const offline = new AvailabilityDiscovery(
      unreachable,
      (e) => {
        if (e.type === 'warning') warnings.push(e.message);
      },
      NOTHING_RECORDED,
      new AvailabilityCache(dir),
    );
    await offline.learn(INDEX, 'torch');
    const list = listFor(offline.availability, INDEX, 'torch');
    assert.deepEqual(list?.files, [WHEEL]);
    assert.equal(list?.origin, 'cached');
    assert.match(list?.recorded ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(
      warnings.some((w) => w.includes('(cached)') && w.includes(INDEX)),
      warnings.join(' | '),
    );
  });

  it("the configured indexes' cached list also stands in for an unreachable vendor index", async () => {
    const online = new AvailabilityDiscovery(
      async () => [WHEEL],
      undefined,
      NOTHING_RECORDED,
      new AvailabilityCache(dir),
    );
    await online.learn('default', 'torch');
    const offline = new AvailabilityDiscovery(
      unreachable,
      undefined,
      NOTHING_RECORDED,
      new AvailabilityCache(dir),
    );
    await offline.learn(INDEX, 'torch');
    assert.deepEqual(offline.availability.configured.get('torch'), [WHEEL]);
  });

  it('a damaged cache entry is ignored, not trusted', async () => {
    for (const name of await readdir(join(dir, 'framework-availability')))
      await writeFile(join(dir, 'framework-availability', name), '{"index": 1');
    const offline = new AvailabilityDiscovery(
      unreachable,
      undefined,
      NOTHING_RECORDED,
      new AvailabilityCache(dir),
    );
    await offline.learn(INDEX, 'torch');
    assert.equal(listFor(offline.availability, INDEX, 'torch'), undefined);
  });
});
