/**
 * The ferry command line: parse → settle settings → call a library operation → render.
 */
import { FerryError } from '../core/errors.js';
import { bundleCommand } from './commands/bundle.js';
import { doctorCommand } from './commands/doctor.js';
import { installCommand } from './commands/install.js';
import { probeCommand } from './commands/probe.js';
import { receiptCommand } from './commands/receipt.js';
import { keygenCommand } from './commands/keygen.js';
import { lockCommand } from './commands/lock.js';
import { packCommand } from './commands/pack.js';
import { signCommand } from './commands/sign.js';
import { targetsCommand } from './commands/targets.js';
import { verifyCommand } from './commands/verify.js';
import { type Command, parseCommandArgs } from './command.js';
import { EXIT } from './exit-codes.js';
import { createOutput, reportError } from './render.js';
import { VERSION } from './version.js';

const COMMANDS: readonly Command[] = [lockCommand, bundleCommand, installCommand, targetsCommand, keygenCommand, signCommand, verifyCommand, packCommand, probeCommand, doctorCommand, receiptCommand];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `ferry ${VERSION}: carry Python frameworks and their whole dependency closure into air-gapped networks

Usage: ferry COMMAND [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "ferry COMMAND --help" for a command's options. Add --json for machine-readable output.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${topic?.help ?? mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`ferry ${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  const json = rest.includes('--json');
  if (command === undefined) {
    const error = new FerryError('ERR_FERRY_USAGE', `unknown command "${name}"`, {
      hint: `Commands: ${COMMANDS.map((c) => c.name).join(', ')}. Run "ferry --help".`,
    });
    return reportError(error, json);
  }
  const out = createOutput(json, rest.includes('--quiet') || rest.includes('-q'));
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help === true) {
      process.stdout.write(`${command.help}\n`);
      return EXIT.ok;
    }
    return await command.run(args, out);
  } catch (error) {
    out.finish();
    return reportError(error, json);
  }
}

process.exitCode = await main(process.argv.slice(2));
