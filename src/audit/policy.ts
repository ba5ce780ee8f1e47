/**
 * ferry-policy.toml: what a site accepts into its intranet, enforced by `ferry audit`, and at
 * `ferry bundle` and `ferry install` with `--policy FILE` (docs/audit.md):
 *
 *   [projects]      deny = [...]; allow = [...] (when given, only these)
 *   [advisories]    max-severity = "none" | "low" | "medium" | "high" | "critical"
 *                   [[advisories.exceptions]] id, reason, expires (a date)
 *   [licenses]      allow = [SPDX ids]; allow-unknown = false
 *   [files]         forbid-sdists = true; min-release-age-days = N
 *   [signatures]    required-signers = N
 *
 * Read with smol-toml; an unknown table or key is an error (a misspelt rule must not be
 * silently off). Every refusal names the rule, the package and how to change either.
 * Pure: the clock is a parameter.
 */
import { parse as parseToml } from 'smol-toml';
import { FerryError } from '../core/errors.js';
import { type Licence, licenceAllowed, licenceText } from './licences.js';
import { normalizeLoose } from './paths.js';
import { SEVERITY_LEVELS, type SeverityLevel, severityRank } from './severity.js';

export interface PolicyException {
  readonly id: string;
  readonly reason: string;
  /** YYYY-MM-DD: the exception applies up to and including this day (UTC). */
  readonly expires: string;
}

export interface Policy {
  /** The file it was read from; undefined for the default policy. */
  readonly source?: string;
  readonly projects: { readonly deny: readonly string[]; readonly allow?: readonly string[] };
  readonly advisories: {
    /** The highest severity accepted; "none" (the default) refuses every finding. */
    readonly maxSeverity: (typeof SEVERITY_LEVELS)[number];
    readonly exceptions: readonly PolicyException[];
  };
  readonly licenses: { readonly allow?: readonly string[]; readonly allowUnknown: boolean };
  readonly files: { readonly forbidSdists: boolean; readonly minReleaseAgeDays?: number };
  readonly signatures: { readonly requiredSigners?: number };
}

/** No file: every advisory finding refuses (as pip-audit fails on any); nothing else is checked. */
export const DEFAULT_POLICY: Policy = {
  projects: { deny: [] },
  advisories: { maxSeverity: 'none', exceptions: [] },
  licenses: { allowUnknown: true },
  files: { forbidSdists: false },
  signatures: {},
};

const SCHEMA: Record<string, readonly string[]> = {
  projects: ['deny', 'allow'],
  advisories: ['max-severity', 'exceptions'],
  licenses: ['allow', 'allow-unknown'],
  files: ['forbid-sdists', 'min-release-age-days'],
  signatures: ['required-signers'],
};
const EXCEPTION_KEYS = ['id', 'reason', 'expires'];

function bad(source: string, message: string, hint?: string): FerryError {
  return new FerryError('ERR_FERRY_BAD_POLICY', `${source}: ${message}`, {
    hint:
      hint ??
      'See docs/audit.md for the tables and keys of ferry-policy.toml: [projects], [advisories], [licenses], [files], [signatures].',
  });
}

/** The known name closest to a misspelt one (edit distance ≤ 3), for the hint. */
function nearest(word: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  const best = known.map((k) => ({ k, d: distance(word, k) })).sort((x, y) => x.d - y.d)[0];
  return best !== undefined && best.d <= 3 ? best.k : undefined;
}

function unknownKey(source: string, where: string, key: string, known: readonly string[]) {
  const guess = nearest(key, known);
  return bad(
    source,
    `unknown ${where === '' ? 'table' : 'key'} "${where === '' ? key : `${where}.${key}`}"`,
    guess === undefined
      ? `Known ${where === '' ? 'tables' : `keys of [${where}]`}: ${known.join(', ')} (docs/audit.md).`
      : `Did you mean "${where === '' ? guess : `${where}.${guess}`}"? Known: ${known.join(', ')}.`,
  );
}

const isTable = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Date);

function stringList(source: string, at: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw bad(source, `${at} must be a list of strings, e.g. ${at.split('.').at(-1)} = ["name"]`);
  return value as string[];
}

function dayOf(source: string, at: string, value: unknown): string {
  // A TOML local date (2026-06-30), or a string in that form.
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Date && 'isDate' in value
        ? (value as Date & { toISOString(): string }).toISOString().slice(0, 10)
        : undefined;
  if (text === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text)))
    throw bad(source, `${at} must be a date, e.g. expires = 2026-06-30`);
  return text;
}

export function parsePolicy(text: string, source: string): Policy {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw bad(source, `not valid TOML: ${(error as Error).message.split('\n')[0]}`);
  }
  for (const [table, value] of Object.entries(doc)) {
    if (!Object.hasOwn(SCHEMA, table)) throw unknownKey(source, '', table, Object.keys(SCHEMA));
    if (!isTable(value)) throw bad(source, `[${table}] must be a table`);
    for (const key of Object.keys(value))
      if (!SCHEMA[table]!.includes(key)) throw unknownKey(source, table, key, SCHEMA[table]!);
  }
  const t = (name: string): Record<string, unknown> =>
    (doc[name] as Record<string, unknown> | undefined) ?? {};
  const projects = t('projects');
  const advisories = t('advisories');
  const licenses = t('licenses');
  const files = t('files');
  const signatures = t('signatures');

  const maxSeverity = advisories['max-severity'] ?? 'none';
  if (
    typeof maxSeverity !== 'string' ||
    !(SEVERITY_LEVELS as readonly string[]).includes(maxSeverity)
  )
    throw bad(
      source,
      `advisories.max-severity = ${JSON.stringify(maxSeverity)} is not one of ${SEVERITY_LEVELS.join(', ')}`,
    );
  const rawExceptions = advisories.exceptions ?? [];
  if (!Array.isArray(rawExceptions))
    throw bad(
      source,
      'advisories.exceptions must be an array of tables ([[advisories.exceptions]])',
    );
  const exceptions = rawExceptions.map((e, i): PolicyException => {
    const at = `advisories.exceptions[${i}]`;
    if (!isTable(e)) throw bad(source, `${at} must be a table`);
    for (const key of Object.keys(e))
      if (!EXCEPTION_KEYS.includes(key))
        throw unknownKey(source, 'advisories.exceptions', key, EXCEPTION_KEYS);
    if (typeof e.id !== 'string' || e.id === '')
      throw bad(source, `${at}.id must name an advisory`);
    if (typeof e.reason !== 'string' || e.reason.trim() === '')
      throw bad(source, `${at} (${e.id}) needs a reason: why the advisory does not apply here`);
    if (e.expires === undefined)
      throw bad(source, `${at} (${e.id}) needs an expires date: exceptions are reviewed again`);
    return { id: e.id, reason: e.reason, expires: dayOf(source, `${at}.expires`, e.expires) };
  });

  const allowUnknown = licenses['allow-unknown'] ?? false;
  if (typeof allowUnknown !== 'boolean')
    throw bad(source, 'licenses.allow-unknown must be true or false');
  const forbidSdists = files['forbid-sdists'] ?? false;
  if (typeof forbidSdists !== 'boolean')
    throw bad(source, 'files.forbid-sdists must be true or false');
  const count = (at: string, value: unknown, min: number): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      throw bad(source, `${at} must be a whole number of at least ${min}`);
    return value;
  };
  const minReleaseAgeDays = count('files.min-release-age-days', files['min-release-age-days'], 0);
  const requiredSigners = count('signatures.required-signers', signatures['required-signers'], 1);
  return {
    source,
    projects: {
      deny: stringList(source, 'projects.deny', projects.deny ?? []).map(normalizeLoose),
      ...(projects.allow === undefined
        ? {}
        : { allow: stringList(source, 'projects.allow', projects.allow).map(normalizeLoose) }),
    },
    advisories: { maxSeverity: maxSeverity as Policy['advisories']['maxSeverity'], exceptions },
    licenses: {
      ...(licenses.allow === undefined
        ? { allowUnknown: true }
        : { allow: stringList(source, 'licenses.allow', licenses.allow), allowUnknown }),
    },
    files: {
      forbidSdists,
      ...(minReleaseAgeDays === undefined ? {} : { minReleaseAgeDays }),
    },
    signatures: requiredSigners === undefined ? {} : { requiredSigners },
  };
}

/** What a policy needs to know about one package. */
export interface PolicyPackage {
  readonly name: string;
  readonly version: string;
  /** Undefined when the licence was not looked at (a lock, with no wheels at hand). */
  readonly licence?: Licence;
  readonly hasSdist: boolean;
  /** Upload times of its files (PEP 700), where the lock records them. */
  readonly uploadTimes: readonly (string | undefined)[];
}

export interface Violation {
  /** The rule, as written in the policy file: "projects.deny", "licenses.allow", … */
  readonly rule: string;
  readonly package?: string;
  readonly message: string;
  /** How to change the package or the rule. */
  readonly fix: string;
}

export type PolicyStage = 'audit' | 'bundle' | 'install';

const where = (policy: Policy): string => policy.source ?? 'the default policy';

/** The package rules: projects, licences, sdists and (not at install) release age. */
export function checkPackages(
  policy: Policy,
  packages: readonly PolicyPackage[],
  options: { readonly now: Date; readonly stage: PolicyStage },
): Violation[] {
  const out: Violation[] = [];
  const file = where(policy);
  for (const p of packages) {
    const name = normalizeLoose(p.name);
    const label = `${p.name} ${p.version}`;
    if (policy.projects.deny.includes(name))
      out.push({
        rule: 'projects.deny',
        package: label,
        message: `${label} is denied by projects.deny in ${file}`,
        fix: `Remove ${p.name} from the requirements (ferry why ${name} shows what pulls it in), or take "${name}" out of projects.deny.`,
      });
    if (policy.projects.allow !== undefined && !policy.projects.allow.includes(name))
      out.push({
        rule: 'projects.allow',
        package: label,
        message: `${label} is not in projects.allow in ${file}`,
        fix: `Add "${name}" to projects.allow once it is reviewed, or remove what pulls it in (ferry why ${name}).`,
      });
    const allow = policy.licenses.allow;
    if (allow !== undefined && p.licence !== undefined) {
      const spdx = p.licence.spdx;
      if (spdx === undefined) {
        if (!policy.licenses.allowUnknown)
          out.push({
            rule: 'licenses.allow-unknown',
            package: label,
            message: `${label} declares no SPDX licence ferry can read (${p.licence.declared === undefined ? 'nothing declared' : `declared: ${p.licence.declared}`}); ${file} has licenses.allow-unknown = false`,
            fix: `Review its licence by hand and set licenses.allow-unknown = true, or replace ${p.name}.`,
          });
      } else if (!licenceAllowed(spdx, new Set(allow)))
        out.push({
          rule: 'licenses.allow',
          package: label,
          message: `${label} is licensed ${licenceText(p.licence)} (from ${p.licence.source}), not in licenses.allow in ${file}`,
          fix: `Add its licence to licenses.allow if the site accepts it, or replace ${p.name}.`,
        });
    }
    if (policy.files.forbidSdists && p.hasSdist)
      out.push({
        rule: 'files.forbid-sdists',
        package: label,
        message: `${label} comes as a source distribution (built on the target), and ${file} has files.forbid-sdists = true`,
        fix: `Pick a version of ${p.name} with a wheel for the target (drop --allow-sdist ${name}), or set files.forbid-sdists = false.`,
      });
    const minAge = policy.files.minReleaseAgeDays;
    if (minAge !== undefined && options.stage !== 'install') {
      const times = p.uploadTimes.map((t) => (t === undefined ? Number.NaN : Date.parse(t)));
      const newest = Math.max(...times);
      if (times.length === 0 || times.some((t) => Number.isNaN(t)))
        out.push({
          rule: 'files.min-release-age-days',
          package: label,
          message: `${label}: the lock records no upload time for its files, so its age (${file} asks for ${minAge} days) cannot be proven`,
          fix: 'Lock again from an index that reports upload times (PEP 700), or remove files.min-release-age-days.',
        });
      else {
        const age = (options.now.getTime() - newest) / 86_400_000;
        if (age < minAge)
          out.push({
            rule: 'files.min-release-age-days',
            package: label,
            message: `${label} was uploaded ${new Date(newest).toISOString().slice(0, 10)}, ${Math.max(0, Math.floor(age))} day(s) ago; ${file} asks for at least ${minAge}`,
            fix: `Wait, pin an older ${p.name} (or lock with --exclude-newer ${new Date(options.now.getTime() - minAge * 86_400_000).toISOString().slice(0, 10)}), or lower files.min-release-age-days.`,
          });
      }
    }
  }
  return out;
}

/** The signers rule, at install: how many distinct trusted signers the policy asks for. */
export function requiredSigners(policy: Policy | undefined): number | undefined {
  return policy?.signatures.requiredSigners;
}

export interface FindingForPolicy {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly level: SeverityLevel;
  readonly package: string;
}

export type FindingVerdict =
  | { readonly verdict: 'refused'; readonly rule: string; readonly note?: string }
  | { readonly verdict: 'accepted'; readonly rule: string; readonly note: string };

/**
 * Is a finding accepted? By an exception naming its id or an alias (until its expiry day, UTC,
 * inclusive — after that it no longer applies and the verdict says so), or by max-severity.
 */
export function judgeFinding(policy: Policy, finding: FindingForPolicy, now: Date): FindingVerdict {
  const ids = [finding.id, ...finding.aliases].map((x) => x.toUpperCase());
  const today = now.toISOString().slice(0, 10);
  const exception = policy.advisories.exceptions.find((e) => ids.includes(e.id.toUpperCase()));
  let expired: string | undefined;
  if (exception !== undefined) {
    if (today <= exception.expires)
      return {
        verdict: 'accepted',
        rule: 'advisories.exceptions',
        note: `accepted until ${exception.expires}: ${exception.reason}`,
      };
    expired = `the exception for ${exception.id} expired on ${exception.expires} and no longer applies (it said: ${exception.reason})`;
  }
  const max = policy.advisories.maxSeverity;
  if (max !== 'none' && severityRank(finding.level) <= severityRank(max))
    return {
      verdict: 'accepted',
      rule: 'advisories.max-severity',
      note: `severity ${finding.level} is within max-severity = "${max}"${expired === undefined ? '' : `; ${expired}`}`,
    };
  return {
    verdict: 'refused',
    rule: 'advisories.max-severity',
    ...(expired === undefined ? {} : { note: expired }),
  };
}

/** One error for every violation, naming each rule, package and fix. */
export function policyRefusal(
  policy: Policy,
  violations: readonly Violation[],
  what: string,
): FerryError {
  const lines = violations.map((v) => `  - [${v.rule}] ${v.message}\n    fix: ${v.fix}`);
  return new FerryError(
    'ERR_FERRY_POLICY',
    `${what} is refused by ${where(policy)} (${violations.length} rule violation${violations.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    {
      hint: `Change the packages as each "fix" says, or change the rule in ${where(policy)} (docs/audit.md).`,
      details: { policy: policy.source, violations },
    },
  );
}
