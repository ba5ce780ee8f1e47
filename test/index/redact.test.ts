/**
 * Credentials never reach output, also when the URL that carries them is broken: a password
 * with an unencoded "/" cuts the authority short for every URL parser.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { redactText, redactUrl } from '../../src/core/redact.js';
import { fetchText } from '../../src/index/http.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';

describe('redactUrl', () => {
  const cases: [input: string, shown: string][] = [
    ['https://u:secret@host/simple', 'https://****:****@host/simple'],
    ['https://token@host/simple', 'https://****@host/simple'],
    ['https://u:s%2Fecret@host/simple', 'https://****:****@host/simple'],
    // A "/" in the password: the URL does not parse (port "pa")...
    ['https://u:pa/ss@host/simple', 'https://****@host/simple'],
    ['https://u:pa/ss@host/simple?x=1#f', 'https://****@host/simple?x=1#f'],
    ['https://u:a/b/c@d@host/simple', 'https://****@host/simple'],
    // ...or parses with the user name as host and a numeric "port".
    ['https://u:12/ss@host/simple', 'https://****@host/simple'],
    // A forgotten scheme: "u" is taken for one.
    ['u:pa/ss@host/simple', 'u:****@host/simple'],
    // Left alone: no credentials, and "@" in the path of a real host.
    ['https://host/simple', 'https://host/simple'],
    [
      'https://pkgs.dev.azure.com/org/_packaging/feed@Local/pypi/simple/',
      'https://pkgs.dev.azure.com/org/_packaging/feed@Local/pypi/simple/',
    ],
    ['http://127.0.0.1:8080/a@b', 'http://127.0.0.1:8080/a@b'],
    ['file:///opt/wheels', 'file:///opt/wheels'],
  ];
  for (const [input, shown] of cases) {
    it(`${input} → ${shown}`, () => {
      assert.equal(redactUrl(input), shown);
      // In free text only what has "scheme://" is recognisable as a URL.
      if (input.includes('://'))
        assert.equal(redactText(`failed: ${input} (x)`), `failed: ${shown} (x)`);
    });
  }
});

describe('a password with an unencoded "/" stays hidden', () => {
  it('in the bad-URL error of the index client', async () => {
    const error = await fetchText('https://u:pa/ss@host/simple').then(
      () => assert.fail('expected ERR_FERRY_BAD_URL'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, 'ERR_FERRY_BAD_URL');
    assert.match(error.message, /"https:\/\/\*\*\*\*@host\/simple" is not a valid URL/);
    assert.doesNotMatch(JSON.stringify([error.message, error.hint, error.details]), /pa\/ss|ss@/);
  });

  it('in what ferry lock prints, for both ways the URL breaks', async () => {
    const work = tempDir();
    for (const url of ['https://u:pa/ss@host/simple', 'https://u:12/ss@host/simple']) {
      const r = await runCli(
        ['lock', 'demo', '--isolated', '--index-url', url, '--retries', '0', '-o', '-', '--json'],
        { env: isolatedEnv(work) },
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /\*\*\*\*@host\/simple/);
      assert.doesNotMatch(r.stdout + r.stderr, /pa\/ss|12\/ss/);
    }
  });
});
