/**
 * ferry-policy.toml: reading (unknown keys are errors), and for every rule one case it
 * accepts and one it refuses, with the message a person sees (rule, package, fix).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkPackages,
  DEFAULT_POLICY,
  judgeFinding,
  type Policy,
  type PolicyPackage,
  parsePolicy,
  policyRefusal,
} from '../../src/audit/policy.js';
import { FerryError } from '../../src/core/errors.js';
import { signerRefusal, signersUnderPolicy } from '../../src/ops/audit.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const policy = (text: string): Policy => parsePolicy(text, 'ferry-policy.toml');
const pkg = (over: Partial<PolicyPackage> = {}): PolicyPackage => ({
  name: 'Demo_Lib',
  version: '2.0',
  licence: { spdx: 'MIT', source: 'License-Expression' },
  hasSdist: false,
  uploadTimes: ['2026-01-01T00:00:00.000Z'],
  ...over,
});
const check = (
  p: Policy,
  packages: PolicyPackage[],
  stage: 'audit' | 'bundle' | 'install' = 'audit',
) => checkPackages(p, packages, { now: NOW, stage });
/** The message a person reads for these violations. */
const refusalText = (p: Policy, packages: PolicyPackage[]): string => {
  const e = policyRefusal(p, check(p, packages), 'the bundle');
  return `${e.message}\nhint: ${e.hint}`;
};

describe('reading ferry-policy.toml', () => {
  it('the default refuses every finding and checks nothing else', () => {
    assert.deepEqual(
      check(DEFAULT_POLICY, [pkg({ hasSdist: true, licence: { source: 'none' } })]),
      [],
    );
    assert.equal(
      judgeFinding(DEFAULT_POLICY, { id: 'X', aliases: [], level: 'low', package: 'p' }, NOW)
        .verdict,
      'refused',
    );
  });

  it('an unknown table or key is an error that suggests the right one', () => {
    assert.throws(
      () => policy('[licences]\nallow = ["MIT"]\n'),
      (e: FerryError) =>
        e.code === 'ERR_FERRY_BAD_POLICY' &&
        /unknown table "licences"/.test(e.message) &&
        /"licenses"/.test(e.hint),
    );
    assert.throws(
      () => policy('[advisories]\nmax_severity = "low"\n'),
      (e: FerryError) =>
        /unknown key "advisories.max_severity"/.test(e.message) && /max-severity/.test(e.hint),
    );
    assert.throws(
      () =>
        policy(
          '[[advisories.exceptions]]\nid = "X"\nreason = "r"\nexpires = 2026-01-01\nuntil = 1\n',
        ),
      /unknown key "advisories.exceptions.until"/,
    );
  });

  it('bad values are named', () => {
    assert.throws(
      () => policy('[advisories]\nmax-severity = "severe"\n'),
      /max-severity = "severe" is not one of/,
    );
    assert.throws(
      () => policy('[[advisories.exceptions]]\nid = "X"\nexpires = 2026-01-01\n'),
      /needs a reason/,
    );
    assert.throws(
      () => policy('[[advisories.exceptions]]\nid = "X"\nreason = "r"\n'),
      /needs an expires date/,
    );
    assert.throws(
      () => policy('[files]\nmin-release-age-days = -1\n'),
      /whole number of at least 0/,
    );
    assert.throws(
      () => policy('[signatures]\nrequired-signers = 0\n'),
      /whole number of at least 1/,
    );
    assert.throws(() => policy('not toml ['), /not valid TOML/);
  });
});

describe('policy rules: one accepted, one refused each', () => {
  it('projects.deny', () => {
    const p = policy('[projects]\ndeny = ["evil-pkg"]\n');
    assert.deepEqual(check(p, [pkg()]), []);
    const text = refusalText(p, [pkg({ name: 'Evil_Pkg', version: '6.6' })]);
    assert.match(
      text,
      /\[projects\.deny\] Evil_Pkg 6\.6 is denied by projects\.deny in ferry-policy\.toml/,
    );
    assert.match(text, /fix: Remove Evil_Pkg from the requirements \(ferry why evil-pkg/);
    assert.match(text, /or take "evil-pkg" out of projects\.deny/);
  });

  it('projects.allow', () => {
    const p = policy('[projects]\nallow = ["demo-lib"]\n');
    assert.deepEqual(check(p, [pkg()]), []);
    assert.match(
      refusalText(p, [pkg({ name: 'other' })]),
      /\[projects\.allow\] other 2\.0 is not in projects\.allow .*\n\s+fix: Add "other" to projects\.allow/,
    );
  });

  it('advisories.max-severity', () => {
    const p = policy('[advisories]\nmax-severity = "medium"\n');
    const low = judgeFinding(p, { id: 'A', aliases: [], level: 'medium', package: 'x' }, NOW);
    assert.deepEqual([low.verdict, low.rule], ['accepted', 'advisories.max-severity']);
    const high = judgeFinding(p, { id: 'B', aliases: [], level: 'high', package: 'x' }, NOW);
    assert.deepEqual([high.verdict, high.rule], ['refused', 'advisories.max-severity']);
    // A severity nobody computed is read as critical: a gate fails closed.
    assert.equal(
      judgeFinding(p, { id: 'C', aliases: [], level: 'unknown', package: 'x' }, NOW).verdict,
      'refused',
    );
  });

  it('advisories.exceptions: by alias, until the expiry day; an expired one says so', () => {
    const p = policy(
      '[[advisories.exceptions]]\nid = "CVE-2025-1111"\nreason = "the eval path is not reachable here"\nexpires = 2026-03-01\n' +
        '[[advisories.exceptions]]\nid = "GHSA-old"\nreason = "waiting for 0.4"\nexpires = 2026-02-28\n',
    );
    const ok = judgeFinding(
      p,
      { id: 'GHSA-util-0001', aliases: ['CVE-2025-1111'], level: 'critical', package: 'x' },
      NOW,
    );
    assert.equal(ok.verdict, 'accepted');
    assert.match(ok.note, /accepted until 2026-03-01: the eval path is not reachable here/);
    const expired = judgeFinding(
      p,
      { id: 'GHSA-old', aliases: [], level: 'low', package: 'x' },
      NOW,
    );
    assert.equal(expired.verdict, 'refused');
    assert.match(
      expired.verdict === 'refused' ? (expired.note ?? '') : '',
      /exception for GHSA-old expired on 2026-02-28 and no longer applies \(it said: waiting for 0\.4\)/,
    );
  });

  it('licenses.allow (SPDX expressions)', () => {
    const p = policy('[licenses]\nallow = ["MIT", "Apache-2.0"]\n');
    assert.deepEqual(
      check(p, [pkg({ licence: { spdx: 'MIT OR GPL-3.0-only', source: 'License-Expression' } })]),
      [],
    );
    assert.match(
      refusalText(p, [pkg({ licence: { spdx: 'GPL-3.0-only', source: 'classifier' } })]),
      /\[licenses\.allow\] Demo_Lib 2\.0 is licensed GPL-3\.0-only \(from classifier\), not in licenses\.allow .*\n\s+fix: Add its licence to licenses\.allow .* or replace Demo_Lib/,
    );
  });

  it('licenses.allow-unknown', () => {
    const unknown = pkg({ licence: { source: 'License', declared: 'BSD' } });
    assert.deepEqual(
      check(policy('[licenses]\nallow = ["MIT"]\nallow-unknown = true\n'), [unknown]),
      [],
    );
    assert.match(
      refusalText(policy('[licenses]\nallow = ["MIT"]\n'), [unknown]),
      /\[licenses\.allow-unknown\] Demo_Lib 2\.0 declares no SPDX licence ferry can read \(declared: BSD\)/,
    );
  });

  it('files.forbid-sdists', () => {
    const p = policy('[files]\nforbid-sdists = true\n');
    assert.deepEqual(check(p, [pkg()]), []);
    assert.match(
      refusalText(p, [pkg({ hasSdist: true })]),
      /\[files\.forbid-sdists\] Demo_Lib 2\.0 comes as a source distribution .*\n\s+fix: Pick a version of Demo_Lib with a wheel for the target \(drop --allow-sdist demo-lib\), or set files\.forbid-sdists = false/,
    );
  });

  it('files.min-release-age-days (upload time from the lock), not at install', () => {
    const p = policy('[files]\nmin-release-age-days = 30\n');
    assert.deepEqual(check(p, [pkg()]), []);
    const fresh = pkg({ uploadTimes: ['2026-02-20T00:00:00.000Z'] });
    assert.match(
      refusalText(p, [fresh]),
      /\[files\.min-release-age-days\] Demo_Lib 2\.0 was uploaded 2026-02-20, 9 day\(s\) ago; ferry-policy\.toml asks for at least 30\n\s+fix: Wait, pin an older Demo_Lib \(or lock with --exclude-newer 2026-01-30\)/,
    );
    assert.match(refusalText(p, [pkg({ uploadTimes: [undefined] })]), /records no upload time/);
    assert.deepEqual(check(p, [fresh], 'install'), []);
  });

  it('signatures.required-signers (at install)', () => {
    const p = policy('[signatures]\nrequired-signers = 2\n');
    assert.equal(signersUnderPolicy(p, { requireSigners: 1, allowUnsigned: false }, 'b'), 2);
    assert.equal(signersUnderPolicy(p, { requireSigners: 3, allowUnsigned: false }, 'b'), 3);
    assert.throws(
      () => signersUnderPolicy(p, { requireSigners: 1, allowUnsigned: true }, 'b.ferry.tar'),
      /\[signatures\.required-signers\] b\.ferry\.tar: --allow-unsigned checks no signature/,
    );
    const untrusted = new FerryError(
      'ERR_FERRY_UNTRUSTED',
      '1 of 2 required trusted signer(s) signed it (builder)',
      { hint: 'h' },
    );
    const e = signerRefusal(p, untrusted, 'b.ferry.tar') as FerryError;
    assert.equal(e.code, 'ERR_FERRY_POLICY');
    assert.match(
      e.message,
      /\[signatures\.required-signers\] 1 of 2 required trusted signer\(s\) signed it \(builder\); ferry-policy\.toml asks for 2/,
    );
    assert.match(e.message, /fix: Have another trusted key countersign/);
  });
});
