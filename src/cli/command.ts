import { type ParseArgsConfig, parseArgs } from 'node:util';
import { FerryError } from '../core/errors.js';
import type { Output } from './render.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export interface Command {
  readonly name: string;
  /** Full help text, shown by `ferry COMMAND --help`. */
  readonly help: string;
  readonly options: OptionSpec;
  run(args: ParsedArgs, out: Output): Promise<number>;
}

export const COMMON_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
};

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    throw new FerryError('ERR_FERRY_USAGE', `ferry ${command.name}: ${(error as Error).message}`, {
      hint: `Run "ferry ${command.name} --help" for the options.`,
    });
  }
}

export const str = (v: ParsedArgs['values'][string]): string | undefined =>
  typeof v === 'string' ? v : undefined;
export const list = (v: ParsedArgs['values'][string]): string[] =>
  Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];

/** The one positional argument a command takes (`what` names it in the usage error). */
export function onePositional(args: ParsedArgs, command: string, what: string): string {
  const [first, ...rest] = args.positionals;
  if (first === undefined || rest.length > 0)
    throw usageError(command, `give exactly one ${what}.`);
  return first;
}

export function usageError(command: string, message: string): FerryError {
  return new FerryError('ERR_FERRY_USAGE', `ferry ${command}: ${message}`, {
    hint: `Run "ferry ${command} --help" for usage.`,
  });
}
