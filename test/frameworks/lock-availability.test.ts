/**
 * `ferry lock --framework` reads which releases the chosen build's index holds (here a mirror
 * of PyTorch's CPU index given with --index pytorch-cpu=URL, on 127.0.0.1), instead of assuming
 * the newest release of the table exists there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';

const TAG = 'cp311-cp311-manylinux_2_28_x86_64';

describe('ferry lock --framework reads the build index for the releases it has', () => {
  let mirror: LocalIndex;
  let configured: LocalIndex;
  const work = tempDir('ferry-availability-');
  before(async () => {
    // The table's newest torch is 2.15.0; this mirror of the CPU index has only 2.14.1 and 2.13.0.
    mirror = await startLocalIndex([
      { name: 'torch', version: '2.14.1+cpu', tag: TAG },
      { name: 'torch', version: '2.13.0+cpu', tag: TAG },
    ]);
    configured = await startLocalIndex([{ name: 'torch', version: '2.15.0', tag: TAG }]);
  });
  after(async () => {
    await mirror.close();
    await configured.close();
  });

  it('pins the newest release the index holds for the target, from that index', async () => {
    const out = join(work, 'pylock.toml');
    const result = await runCli(
      [
        'lock',
        '--framework',
        'torch',
        '--cuda',
        'cpu',
        '--python',
        '3.11',
        '--glibc',
        '2.35',
        '--index-url',
        configured.url,
        '--index',
        `pytorch-cpu=${mirror.url}`,
        '--isolated',
        '-o',
        out,
      ],
      { env: isolatedEnv(join(work, 'cache')) },
    );
    assert.equal(result.code, 0, result.stderr);
    const lock = readFileSync(out, 'utf8');
    assert.match(lock, /name = "torch"\s*\nversion = "2\.14\.1\+cpu"/);
    assert.ok(lock.includes(`${mirror.url.replace(/\/simple$/, '')}/files/`), lock);
    assert.match(result.stderr, /PyTorch 2\.15\.0 has no build for this target; chose 2\.14\.1/);
    // The mirror's page was read for availability (through the index client).
    assert.ok(
      mirror.requests.some((p) => p === '/simple/torch/'),
      mirror.requests.join(' '),
    );
  });
});
