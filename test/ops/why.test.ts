/** ferry why NAME over a pylock.toml and a bundle. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { auditFixture } from './audit-fixture.js';

describe('ferry why', () => {
  let fx: Awaited<ReturnType<typeof auditFixture>>;
  const env = isolatedEnv(tempDir('ferry-why-cache-'));
  before(async () => {
    fx = await auditFixture();
  });

  it('prints every path from the top-level requirement, in a lock and in a bundle', async () => {
    for (const subject of [fx.lock, fx.bundle]) {
      const r = await runCli(['why', 'Demo_Util', subject], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        'demo-app 1.0 > demo-util 0.3\ndemo-app 1.0 > demo-lib 2.0 > demo-util 0.3\n',
      );
    }
  });

  it('a top-level requirement says so; --json gives the paths', async () => {
    const r = await runCli(['why', 'demo-app', fx.lock], { env });
    assert.equal(r.stdout, 'demo-app 1.0 (a top-level requirement)\n');
    const j = await runCli(['why', 'demo-lib', fx.lock, '--json'], { env });
    const result = j.events.find((e) => e.event === 'result') as { paths: { name: string }[][] };
    assert.deepEqual(
      result.paths.map((p) => p.map((s) => s.name)),
      [['demo-app', 'demo-lib']],
    );
  });

  it('a name not in the lock is a usage error with a suggestion', async () => {
    const r = await runCli(['why', 'util', fx.lock], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ERR_FERRY_NOT_IN_LOCK.*"util" is not in/);
    assert.match(r.stderr, /Did you mean "demo-util"/);
  });
});
