import { checkLockOutput, formatLockFile, writeLockOutput } from '../../bundle/lock-file.js';
import { lockToRequirementsTxt, parsePylock } from '../../bundle/pylock.js';
import { describeTarget } from '../../standards/target.js';
import { type Command, str, usageError } from '../command.js';
import { RESOLVE_HELP, RESOLVE_OPTIONS, resolveFromArgs } from '../resolve-args.js';

export const lockCommand: Command = {
  name: 'lock',
  options: {
    ...RESOLVE_OPTIONS,
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
  },
  help: `Usage: ferry lock REQUIREMENT... [-r FILE] [--target T ...] [-o pylock.toml] [--format pylock|requirements]

Resolves the whole closure for every target (one set of versions that installs on each),
reading metadata from PEP 658 files or with HTTP Range requests (no big downloads), and
writes a PEP 751 lock (default pylock.toml) or, with --format requirements, a
requirements.txt with --hash lines. \`ferry bundle --lock FILE\` downloads exactly what it names.

Options:
  -o, --output FILE        where to write (default pylock.toml; "-" for stdout)
      --format F           pylock (default) or requirements
      --json               print JSON events and the result on stdout

${RESOLVE_HELP}

Example:
  ferry lock paddlepaddle --target kylin-v10-aarch64 --python 3.10 -o pylock.toml`,
  async run(args, out) {
    const format = str(args.values.format) ?? 'pylock';
    if (format !== 'pylock' && format !== 'requirements')
      throw usageError('lock', `--format "${format}" is not pylock or requirements.`);
    const output =
      str(args.values.output) ?? (format === 'pylock' ? 'pylock.toml' : 'requirements.txt');
    if (output !== '-') await checkLockOutput(output);
    const { locked } = await resolveFromArgs('lock', args, out);
    const pylock = formatLockFile(locked);
    const text = format === 'pylock' ? pylock : lockToRequirementsTxt(parsePylock(pylock, output));
    if (output === '-') {
      process.stdout.write(text);
    } else {
      await writeLockOutput(output, text);
    }
    out.result(
      {
        output,
        format,
        targets: locked.targets.map(describeTarget),
        packages: locked.packages.map((p) => ({
          name: p.name,
          version: p.version,
          targets: p.targets,
          files: p.files.length,
        })),
      },
      output === '-'
        ? ''
        : `locked ${locked.packages.length} packages for ${locked.targets.length} target(s) into ${output}\n` +
            locked.targets.map((t) => `  for ${describeTarget(t)}`).join('\n'),
    );
    return 0;
  },
};
