// ferry token: create prints the token once and the store keeps only its SHA-256; list; revoke.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openIndexStore } from '../../src/server/store/index.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';

let work: string;
before(() => {
  work = tempDir('ferry-token-');
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('ferry token', () => {
  it('create prints the token once; list, check and revoke; the audit log names it, never the token', async () => {
    const store = join(work, 'store');
    const env = isolatedEnv(join(work, 'cache'));
    await openIndexStore(store, { create: true });
    const created = await runCli(
      ['token', 'create', '--store', store, '--name', 'ci', '--scope', 'upload'],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^ferry-[A-Za-z0-9_-]{43}$/);
    const file = await readFile(join(store, 'tokens.json'), 'utf8');
    assert.ok(!file.includes(token));
    assert.ok(file.includes(createHash('sha256').update(token).digest('hex')));
    const opened = await openIndexStore(store);
    assert.equal((await opened.tokens.check(token, 'upload'))?.name, 'ci');

    const listed = await runCli(['token', 'list', '--store', store, '--json'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    const tokens = listed.events.find((e) => e.event === 'result')?.tokens as {
      name: string;
      scope: string;
    }[];
    assert.deepEqual(
      tokens.map((t) => [t.name, t.scope]),
      [['ci', 'upload']],
    );
    assert.ok(!listed.stdout.includes(token));

    const bad = await runCli(
      ['token', 'create', '--store', store, '--name', 'x', '--scope', 'root'],
      { env },
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"root" is not a token scope/);

    const revoked = await runCli(['token', 'revoke', 'ci', '--store', store], { env });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await opened.tokens.check(token, 'upload'), undefined);
    const again = await runCli(['token', 'revoke', 'ci', '--store', store, '--json'], { env });
    assert.equal(again.code, 2);
    assert.equal(again.events.find((e) => e.event === 'error')?.code, 'ERR_FERRY_UNKNOWN_TOKEN');
    const log = await readFile(join(store, 'audit.log'), 'utf8');
    assert.match(log, /"action":"token-create".*"token":"ci"/);
    assert.match(log, /"action":"token-revoke".*"token":"ci"/);
    assert.ok(!log.includes(token));
  });

  it('refuses a missing store', async () => {
    const result = await runCli(['token', 'list', '--store', join(work, 'none')], {
      env: isolatedEnv(join(work, 'cache')),
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is not a ferry index store/);
  });
});
