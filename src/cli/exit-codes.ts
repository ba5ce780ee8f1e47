import {
  ERROR_CODES,
  type ErrorCode,
  type ExitStatusName,
  WARNING_CODES as WARNING_CODE_LIST,
} from '../core/error-codes.js';

/** Exit statuses scripts can rely on; documented in the README ("Output for people and scripts"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  resolution: 3,
  network: 4,
  integrity: 5,
  incomplete: 6,
  untrusted: 7,
  install: 8,
  /** ferry doctor (or install's doctor step) found errors: the bundle will not run on this host. */
  doctor: 9,
  /** ferry audit found advisories the policy does not accept, or a policy rule refused. */
  findings: 10,
  /**
   * ferry sync: nothing new since the base, so no bundle was written. Not a failure; distinct
   * from 0 so that a scheduler carries media only when there is something on them.
   */
  nothingNew: 11,
} as const satisfies Record<ExitStatusName | 'ok' | 'nothingNew', number>;

/**
 * Every error code ferry throws, with its status, read from src/core/error-codes.ts: a code
 * must be declared there to be thrown at all (FerryError's code is an ErrorCode), so a new or
 * misspelt code cannot fall back to 1 unnoticed.
 */
export const EXIT_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([code, status]) => [code, EXIT[status]]),
) as Record<ErrorCode, number>;

/** Codes that only ever label warnings (events), never a failure: they need no status. */
export const WARNING_CODES: ReadonlySet<string> = new Set(WARNING_CODE_LIST);

/** The status for a code; 1 for anything undeclared (a code read back from JSON, say). */
export function exitCodeFor(code: string): number {
  return Object.hasOwn(EXIT_BY_CODE, code) ? EXIT_BY_CODE[code as ErrorCode] : EXIT.failure;
}
