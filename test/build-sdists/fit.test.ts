/** Which wheels built on this host may go to a target (src/build/fit.ts), and the builder's network cut. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SdistBuilder } from '../../src/build/builder.js';
import { builtWheelFits, isPureWheel } from '../../src/build/fit.js';
import { makeTarget } from '../../src/standards/target.js';
import { tempDir } from '../cli/run-cli.js';
import { tinySdist } from './fixtures.js';

const builder = {
  os: 'linux',
  arch: 'x86_64',
  glibc: '2.31',
  python: '3.11.7',
  implementation: 'cpython',
};
const target = (arch: string, python: [number, number], glibc: [number, number]) =>
  makeTarget(
    't',
    { implementation: 'cp', version: python, fullVersion: `${python.join('.')}.0` },
    { os: 'linux', arch, libc: { kind: 'glibc', version: glibc } },
  );

describe('built wheel fit', () => {
  test('a pure wheel fits any target', () => {
    assert.equal(isPureWheel('x-1.0-py3-none-any.whl'), true);
    assert.deepEqual(
      builtWheelFits('x-1.0-py2.py3-none-any.whl', builder, target('aarch64', [3, 7], [2, 17])),
      {
        fits: true,
        pure: true,
      },
    );
  });
  test('a native wheel fits only the same arch and Python, and a glibc no older than the builder', () => {
    const w = 'x-1.0-cp311-cp311-linux_x86_64.whl';
    assert.deepEqual(builtWheelFits(w, builder, target('x86_64', [3, 11], [2, 36])), {
      fits: true,
      pure: false,
    });
    const arch = builtWheelFits(w, builder, target('aarch64', [3, 11], [2, 36]));
    assert.equal(arch.fits, false);
    assert.match(!arch.fits ? arch.reason : '', /the target is aarch64, this host x86_64/);
    const py = builtWheelFits(w, builder, target('x86_64', [3, 9], [2, 36]));
    assert.match(!py.fits ? py.reason : '', /cpython 3\.9, this host builds with cpython 3\.11/);
    const glibc = builtWheelFits(w, builder, target('x86_64', [3, 11], [2, 28]));
    assert.match(!glibc.fits ? glibc.reason : '', /glibc 2\.31 is newer than the target's 2\.28/);
  });
});

const unshareWorks = ['-n', '-rn'].some(
  (flag) => spawnSync('unshare', [flag, 'true'], { stdio: 'ignore' }).status === 0,
);

test('without isolation the same backend reaches the network: the probe tells them apart', {
  skip: unshareWorks ? false : 'unshare -n is not available on this host',
}, async () => {
  const { createServer } = await import('node:net');
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const dir = tempDir();
    const sdist = join(dir, 'probe-1.0.tar.gz');
    await writeFile(sdist, tinySdist({ name: 'probe', version: '1.0', probePort: port }));
    const open = new SdistBuilder({
      sources: { indexUrls: [], findLinks: [] },
      isolateNetwork: false,
    });
    const closed = new SdistBuilder({ sources: { indexUrls: [], findLinks: [] } });
    assert.match(
      (await open.metadata(sdist, 'probe-1.0.tar.gz', [])).metadata,
      /Summary: network open/,
    );
    assert.match(
      (await closed.metadata(sdist, 'probe-1.0.tar.gz', [])).metadata,
      /Summary: network closed/,
    );
  } finally {
    server.close();
  }
});
