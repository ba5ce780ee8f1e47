/**
 * The ferry command line: parse → settle settings → call a library operation → render.
 */
import { FerryError } from '../core/errors.js';
import { parseCommandArgs } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT } from './exit-codes.js';
import { createOutput, reportError } from './render.js';
import { VERSION } from './version.js';

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
    const entry = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    const topic = entry === undefined ? undefined : await entry.load();
    process.stdout.write(`${topic?.help ?? mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`ferry ${VERSION}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  const json = rest.includes('--json');
  if (entry === undefined) {
    const error = new FerryError('ERR_FERRY_USAGE', `unknown command "${name}"`, {
      hint: `Commands: ${COMMANDS.map((c) => c.name).join(', ')}. Run "ferry --help".`,
    });
    return reportError(error, json);
  }
  const out = createOutput(json, rest.includes('--quiet') || rest.includes('-q'));
  try {
    const command = await entry.load();
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

// Not a top-level await: the single-file build is CommonJS (scripts/build-single.mjs).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
