import { checkLockOutput, formatLockFile, writeLockOutput } from '../../bundle/lock-file.js';
import type { Locked } from '../../bundle/locked.js';
import { lockToRequirementsTxt, parsePylock } from '../../bundle/pylock.js';
import { formatBytes } from '../../core/format-bytes.js';
import { type ClosureSize, closureSize } from '../../ops/trim.js';
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
The summary ends with the closure's size by package, largest first (from the file sizes the
index pages give), so you can see what is worth trimming with --exclude or --override.

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
    const size = closureSize(locked.packages);
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
          bytes: p.files.reduce((s, f) => s + (f.size ?? 0), 0),
        })),
        bytes: size.totalBytes,
        ...(locked.exclusions === undefined ? {} : { exclusions: locked.exclusions }),
        ...(locked.overrides === undefined ? {} : { overrides: locked.overrides }),
      },
      output === '-'
        ? ''
        : `locked ${locked.packages.length} packages for ${locked.targets.length} target(s) into ${output}\n` +
            locked.targets.map((t) => `  for ${describeTarget(t)}`).join('\n') +
            trimLines(locked) +
            sizeLines(size),
    );
    return 0;
  },
};

/** How many packages the size summary names before folding the rest into one line. */
const SIZE_LINES = 8;

/** The closure's size by package, largest first, then the total: a few lines. */
export function sizeLines(size: ClosureSize): string {
  if (size.packages.length === 0) return '';
  if (size.totalBytes === 0 && size.unknownFiles > 0)
    return '\nsize: unknown (the index pages give no file sizes; ferry bundle reports the bytes)';
  const shown = size.packages.slice(0, SIZE_LINES);
  const rest = size.packages.slice(SIZE_LINES);
  const width = Math.max(...shown.map((p) => `${p.name} ${p.version}`.length));
  const bytes = (p: ClosureSize['packages'][number]): string =>
    p.bytes === 0 && p.unknownFiles > 0 ? '?' : formatBytes(p.bytes);
  const lines = shown.map(
    (p) => `  ${`${p.name} ${p.version}`.padEnd(width)}  ${bytes(p).padStart(10)}`,
  );
  if (rest.length > 0)
    lines.push(
      `  ${`${rest.length} more`.padEnd(width)}  ${formatBytes(rest.reduce((s, p) => s + p.bytes, 0)).padStart(10)}`,
    );
  const unknown =
    size.unknownFiles === 0
      ? ''
      : ` (${size.unknownFiles} file(s) of unknown size: the index gave none)`;
  return `\nsize by package, largest first:\n${lines.join('\n')}\n  total ${formatBytes(size.totalBytes)}${unknown}`;
}

/** What was trimmed, one line each (the warnings said who needed it). */
function trimLines(locked: Locked): string {
  const lines = [
    ...(locked.exclusions ?? []).map(
      (e) => `  excluded ${e.name}${e.reason === '' ? '' : ` (${e.reason})`}`,
    ),
    ...(locked.overrides ?? []).map(
      (o) => `  overridden: ${o.requirement}${o.reason === '' ? '' : ` (${o.reason})`}`,
    ),
  ];
  return lines.length === 0 ? '' : `\ntrimmed:\n${lines.join('\n')}`;
}
