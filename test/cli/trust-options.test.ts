/** The helpers the commands share: one positional argument, and the trust options. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onePositional, type ParsedArgs } from '../../src/cli/command.js';
import { trustArgs } from '../../src/cli/trust-options.js';

const parsed = (positionals: string[], values: ParsedArgs['values'] = {}): ParsedArgs => ({
  positionals,
  values,
});

describe('command helpers', () => {
  it('onePositional returns the one argument and refuses none or two, naming what it wants', () => {
    assert.equal(onePositional(parsed(['b']), 'sign', 'BUNDLE folder'), 'b');
    for (const positionals of [[], ['a', 'b']])
      assert.throws(() => onePositional(parsed(positionals), 'sign', 'BUNDLE folder'), {
        code: 'ERR_FERRY_USAGE',
        message: 'ferry sign: give exactly one BUNDLE folder.',
        hint: 'Run "ferry sign --help" for usage.',
      });
  });

  it('trustArgs reads keys, trust files and the signer count, and refuses what cannot go together', () => {
    assert.deepEqual(
      trustArgs(parsed([], { 'trusted-key': ['a.pub'], 'trust-file': ['t.txt'] }), 'verify'),
      {
        keyFiles: ['a.pub', 't.txt'],
        allowUnsigned: false,
        requireSigners: 1,
        requireSignersGiven: false,
      },
    );
    assert.equal(trustArgs(parsed([], { 'require-signers': '2' }), 'install').requireSigners, 2);
    assert.throws(
      () => trustArgs(parsed([], { 'trusted-key': ['a.pub'], 'allow-unsigned': true }), 'verify'),
      /ferry verify: --allow-unsigned cannot be combined/,
    );
    for (const n of ['0', '1.5', 'two'])
      assert.throws(
        () => trustArgs(parsed([], { 'require-signers': n }), 'install'),
        new RegExp(
          `ferry install: --require-signers wants a whole number of 1 or more, got "${n}"`,
        ),
      );
  });
});
