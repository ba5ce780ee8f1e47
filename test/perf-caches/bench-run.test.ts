import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installerOf } from '../../scripts/bench/bundle-install.js';
import { isolatedEnv, machineEnv, time } from '../../scripts/bench/common.js';

describe('bench runs finish unattended', () => {
  it('a run that outlives its limit is killed and counted as failed, not waited on', () => {
    const r = time('sleep', ['3'], process.env, { timeoutS: 1 });
    assert.equal(r.ok, false);
    assert.equal(r.seconds, Number.POSITIVE_INFINITY);
    assert.match(r.error, /killed after 1 s/);
  });

  it('a tool that reads stdin (a prompt) gets end of input at once', () => {
    const r = time('sh', ['-c', 'read answer || echo no-terminal'], process.env, { timeoutS: 20 });
    assert.equal(r.ok, true, r.error);
    assert.match(r.stdout, /no-terminal/);
  });

  it("pip is told never to prompt, in both of the bench's environments", () => {
    assert.equal(isolatedEnv().PIP_NO_INPUT, '1');
    assert.equal(machineEnv().PIP_NO_INPUT, '1');
  });

  it('the installer ferry install ran is read from its --json result', () => {
    const stdout = [
      JSON.stringify({ event: 'progress', step: 'uv' }),
      JSON.stringify({
        event: 'result',
        installer: { name: 'uv', version: '0.13.9', reason: 'carried in the bundle' },
      }),
    ].join('\n');
    assert.equal(installerOf(stdout), 'uv 0.13.9: carried in the bundle');
    assert.equal(installerOf(JSON.stringify({ event: 'result' })), 'installer not recorded');
    assert.equal(installerOf('not json'), 'installer unknown (no result)');
  });
});
