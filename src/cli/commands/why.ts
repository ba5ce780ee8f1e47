import { why } from '../../ops/why.js';
import { type Command, str, usageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { openBundleForCommand } from '../open-for-command.js';

export const whyCommand: Command = {
  name: 'why',
  options: {
    limit: { type: 'string' },
  },
  help: `Usage: ferry why NAME (pylock.toml | BUNDLE) [--limit N]

Prints every path from the top-level requirements to the package NAME in a lock or a bundle
(folder, .ferry.tar or its first volume): which requirement brings it in, and through what.

Options:
      --limit N   print at most N paths (default 1000)
      --json      print the paths as JSON`,
  async run(args, out) {
    const [name, subject, ...rest] = args.positionals;
    if (name === undefined || subject === undefined || rest.length > 0)
      throw usageError('why', 'give NAME and then a pylock.toml or a BUNDLE.');
    const limitText = str(args.values.limit);
    if (limitText !== undefined && !/^[1-9]\d*$/.test(limitText))
      throw usageError('why', `--limit "${limitText}" is not a positive number.`);
    const report = await why({
      name,
      subject,
      ...(limitText === undefined ? {} : { limit: Number(limitText) }),
      open: openBundleForCommand,
    });
    const show = (s: { name: string; version: string }): string => `${s.name} ${s.version}`.trim();
    const lines =
      report.paths.length === 0
        ? [
            `${show(report)} is in ${report.subject}, but no path leads to it from the top-level requirements (${report.roots.join(', ')})`,
          ]
        : report.paths.map((p) =>
            p.length === 1 ? `${show(p[0]!)} (a top-level requirement)` : p.map(show).join(' > '),
          );
    if (report.truncated) lines.push(`... more paths than --limit ${report.paths.length}`);
    out.result(report, lines.join('\n'));
    return EXIT.ok;
  },
};
