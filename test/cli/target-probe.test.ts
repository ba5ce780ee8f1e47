import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseTargetProfile } from '../../src/host/profile.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

const host = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/hosts/${name}`, import.meta.url));

describe('ferry probe (CLI)', () => {
  it('writes a profile with -o and prints it with --json', async () => {
    const dir = tempDir('ferry-probe-');
    const out = join(dir, 'host.json');
    const env = isolatedEnv(dir, {
      FERRY_PROBE_ROOT: host('gpu-centos7-470'),
      FERRY_PROBE_NO_COMMANDS: '1',
    });
    const r = await runCli(['probe', '-o', out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /written to/);
    assert.match(r.stdout, /driver 470\.82\.01/);
    const profile = parseTargetProfile(readFileSync(out, 'utf8'), out);
    assert.equal(profile.libc?.version, '2.17');
    const j = await runCli(['probe', '--json', '--root', host('uos-noavx'), '--no-commands'], {
      env: isolatedEnv(dir),
    });
    assert.equal(j.code, 0, j.stderr);
    const printed = parseTargetProfile(j.stdout, 'stdout');
    assert.equal(printed.cpu.flags?.avx, false);
  });
});
