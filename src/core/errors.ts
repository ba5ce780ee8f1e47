import type { ErrorCode } from './error-codes.js';

/**
 * One error class for everything ferry reports to a person: a stable code, a message that
 * quotes the bad input, and a hint that says what to do. Library code throws these; the CLI
 * renders them (text on stderr, or a JSON object with --json) and maps codes to exit statuses.
 * The codes are declared, with their exit statuses, in ./error-codes.ts.
 */
export class FerryError extends Error {
  override readonly name = 'FerryError';
  readonly code: ErrorCode;
  /** What to do about it: the flag, file or command that fixes it. Every error has one. */
  readonly hint: string;
  /** Structured facts behind the message (tags tried, files seen, ...), for --json output. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint: string; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export const isFerryError = (value: unknown): value is FerryError => value instanceof FerryError;

/**
 * Points at the bad part of an input the way pypa/packaging does:
 *   paddlepaddle>=2.6,,
 *                     ^
 */
export function caretLine(input: string, position: number, length = 1): string {
  const start = Math.max(0, Math.min(position, input.length));
  return `${input}\n${' '.repeat(start)}${'~'.repeat(Math.max(0, length - 1))}^`;
}
