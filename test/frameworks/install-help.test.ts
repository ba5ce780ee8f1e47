/**
 * `ferry install --help` describes the import check as it runs: the framework first, then the
 * other top-level modules, not plugins the framework loads itself (tensorflow_io_gcs_filesystem
 * imported by hand registers its file systems twice).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';

describe('ferry install --help', () => {
  it('describes the smoke import order, not "import every module"', async () => {
    const result = await runCli(['install', '--help'], {
      env: isolatedEnv(join(tempDir('ferry-help-'), 'cache')),
    });
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout.replace(/\s+/g, ' ');
    assert.doesNotMatch(text, /import every module/);
    assert.match(text, /import the framework first, then the other top-level modules/);
    assert.match(text, /plugins the framework loads itself are not imported by hand/);
  });
});
