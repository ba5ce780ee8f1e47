import { list, type OptionSpec, type ParsedArgs, str, usageError } from './command.js';

/** The options of the commands that check a bundle's signatures (verify, install). */
export const TRUST_OPTIONS: OptionSpec = {
  'trusted-key': { type: 'string', multiple: true },
  'trust-file': { type: 'string', multiple: true },
  'require-signers': { type: 'string' },
  'allow-unsigned': { type: 'boolean' },
};

export interface TrustArgs {
  /** --trusted-key and --trust-file files, in that order. */
  readonly keyFiles: readonly string[];
  readonly allowUnsigned: boolean;
  readonly requireSigners: number;
  /** Whether --require-signers was given (it has no meaning with --allow-unsigned). */
  readonly requireSignersGiven: boolean;
}

/** Reads TRUST_OPTIONS, refusing keys together with --allow-unsigned and a signer count below 1. */
export function trustArgs(args: ParsedArgs, command: string): TrustArgs {
  const keyFiles = [...list(args.values['trusted-key']), ...list(args.values['trust-file'])];
  const allowUnsigned = args.values['allow-unsigned'] === true;
  if (keyFiles.length > 0 && allowUnsigned)
    throw usageError(
      command,
      '--allow-unsigned cannot be combined with --trusted-key / --trust-file.',
    );
  const requireText = str(args.values['require-signers']);
  const requireSigners = requireText === undefined ? 1 : Number(requireText);
  if (!Number.isInteger(requireSigners) || requireSigners < 1)
    throw usageError(
      command,
      `--require-signers wants a whole number of 1 or more, got "${requireText}".`,
    );
  return {
    keyFiles,
    allowUnsigned,
    requireSigners,
    requireSignersGiven: requireText !== undefined,
  };
}
