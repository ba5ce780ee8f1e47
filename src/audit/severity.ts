/**
 * An advisory's severity as a level a policy can compare: from a CVSS vector in OSV's
 * `severity[]` (the base score computed here: CVSS v3.x per FIRST's specification 3.1 §7,
 * CVSS v2 per the v2 guide §3.2.1), else from `database_specific.severity` as GitHub's
 * advisories write it (LOW, MODERATE, HIGH, CRITICAL). A CVSS v4 vector's score needs
 * FIRST's macro-vector table, which is not carried here: it is kept as written, and its level
 * comes from `database_specific.severity` when the advisory has one.
 */

export const SEVERITY_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number] | 'unknown';

export interface Severity {
  readonly level: SeverityLevel;
  /** The CVSS base score, when one was computed. */
  readonly score?: number;
  /** Where the level came from: "CVSS_V3 CVSS:3.1/AV:N/...", or "database_specific: HIGH". */
  readonly source?: string;
}

/** Rank for comparisons; "unknown" ranks with "critical" (a gate fails closed). */
export function severityRank(level: SeverityLevel): number {
  return level === 'unknown' ? SEVERITY_LEVELS.length - 1 : SEVERITY_LEVELS.indexOf(level);
}

/** CVSS v3 qualitative rating (specification 3.1, table 14). */
export function levelForScore(score: number): SeverityLevel {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

function metrics(vector: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of vector.split('/')) {
    const [k, v] = part.split(':');
    if (k !== undefined && v !== undefined) out.set(k, v);
  }
  return out;
}

/** CVSS 3.1's Roundup (Appendix A): the smallest one-decimal number >= x, free of float noise. */
function roundUp(x: number): number {
  const i = Math.round(x * 100_000);
  return i % 10_000 === 0 ? i / 100_000 : (Math.floor(i / 10_000) + 1) / 10;
}

/** The CVSS v3.0/3.1 base score of a vector, or undefined when it is incomplete. */
export function cvss3BaseScore(vector: string): number | undefined {
  const m = metrics(vector);
  const pick = (key: string, table: Record<string, number>): number | undefined =>
    table[m.get(key) ?? ''];
  const scope = m.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const av = pick('AV', { N: 0.85, A: 0.62, L: 0.55, P: 0.2 });
  const ac = pick('AC', { L: 0.77, H: 0.44 });
  const pr = pick(
    'PR',
    scope === 'U' ? { N: 0.85, L: 0.62, H: 0.27 } : { N: 0.85, L: 0.68, H: 0.5 },
  );
  const ui = pick('UI', { N: 0.85, R: 0.62 });
  const cia = { H: 0.56, L: 0.22, N: 0 };
  const c = pick('C', cia);
  const i = pick('I', cia);
  const a = pick('A', cia);
  if ([av, ac, pr, ui, c, i, a].some((x) => x === undefined)) return undefined;
  const iss = 1 - (1 - c!) * (1 - i!) * (1 - a!);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av! * ac! * pr! * ui!;
  if (impact <= 0) return 0;
  return scope === 'U'
    ? roundUp(Math.min(impact + exploitability, 10))
    : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

/** The CVSS v2 base score of a vector, or undefined when it is incomplete. */
export function cvss2BaseScore(vector: string): number | undefined {
  const m = metrics(vector);
  const pick = (key: string, table: Record<string, number>): number | undefined =>
    table[m.get(key) ?? ''];
  const av = pick('AV', { L: 0.395, A: 0.646, N: 1 });
  const ac = pick('AC', { H: 0.35, M: 0.61, L: 0.71 });
  const au = pick('Au', { M: 0.45, S: 0.56, N: 0.704 });
  const cia = { N: 0, P: 0.275, C: 0.66 };
  const c = pick('C', cia);
  const i = pick('I', cia);
  const a = pick('A', cia);
  if ([av, ac, au, c, i, a].some((x) => x === undefined)) return undefined;
  const impact = 10.41 * (1 - (1 - c!) * (1 - i!) * (1 - a!));
  const exploitability = 20 * av! * ac! * au!;
  const f = impact === 0 ? 0 : 1.176;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

/** v2's own bands (NVD): 0-3.9 low, 4-6.9 medium, 7-10 high. */
const v2Level = (score: number): SeverityLevel =>
  score < 4 ? 'low' : score < 7 ? 'medium' : 'high';

const DATABASE_LEVELS: Record<string, SeverityLevel> = {
  LOW: 'low',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
};

/**
 * The severity of an advisory from its `severity[]` entries and `database_specific.severity`.
 * The highest computed CVSS score wins; v3 is preferred over v2 for the same advisory.
 */
export function severityOf(entries: readonly unknown[], databaseSeverity: unknown): Severity {
  const v3: Severity[] = [];
  const v2: Severity[] = [];
  let v4: string | undefined;
  for (const e of entries) {
    if (typeof e !== 'object' || e === null) continue;
    const { type, score } = e as { type?: unknown; score?: unknown };
    if (typeof type !== 'string' || typeof score !== 'string') continue;
    if (type === 'CVSS_V3') {
      const s = cvss3BaseScore(score);
      if (s !== undefined)
        v3.push({ level: levelForScore(s), score: s, source: `CVSS_V3 ${score}` });
    } else if (type === 'CVSS_V2') {
      const s = cvss2BaseScore(score);
      if (s !== undefined) v2.push({ level: v2Level(s), score: s, source: `CVSS_V2 ${score}` });
    } else if (type === 'CVSS_V4') v4 = score;
  }
  const best = (list: Severity[]): Severity | undefined =>
    list.sort((a, b) => (b.score ?? 0) - (a.score ?? 0))[0];
  const fromV3 = best(v3);
  if (fromV3 !== undefined) return fromV3;
  const db =
    typeof databaseSeverity === 'string'
      ? DATABASE_LEVELS[databaseSeverity.trim().toUpperCase()]
      : undefined;
  if (db !== undefined)
    return {
      level: db,
      source: `database_specific: ${String(databaseSeverity)}${v4 === undefined ? '' : `; CVSS_V4 ${v4}`}`,
    };
  const fromV2 = best(v2);
  if (fromV2 !== undefined) return fromV2;
  return v4 === undefined ? { level: 'unknown' } : { level: 'unknown', source: `CVSS_V4 ${v4}` };
}
