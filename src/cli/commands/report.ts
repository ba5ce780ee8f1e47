import { readPolicyFile } from '../../audit/policy-file.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { buildReport, renderReportHtml } from '../../ops/report.js';
import { type Command, onePositional, str, usageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { openBundleForCommand } from '../open-for-command.js';

export const reportCommand: Command = {
  name: 'report',
  options: {
    output: { type: 'string', short: 'o' },
    advisories: { type: 'string' },
    previous: { type: 'string' },
    policy: { type: 'string' },
  },
  help: `Usage: ferry report BUNDLE -o report.html [--advisories FILE] [--previous OLD_BUNDLE]
                   [--policy ferry-policy.toml] [--json]

Writes one self-contained HTML page (no scripts, fonts or images from anywhere) for the
review of a bundle: every package with its version, licence, size, hashes, index and whether
it is built from source; the advisory findings (with --advisories, as ferry audit); the
signatures so far; what was trimmed, when the manifest records it; the changes since
OLD_BUNDLE (added, removed, upgraded); and the size of each package, largest first.

Options:
  -o, --output FILE       where to write the page (required)
      --advisories PATH   an OSV snapshot (zip, folder or JSON file) to check against
      --previous BUNDLE   the bundle this one replaces, for the list of changes
      --policy FILE       ferry-policy.toml: which findings it accepts (default: none)
      --json              also print the report's data as JSON`,
  async run(args, out) {
    const bundle = onePositional(args, 'report', 'BUNDLE (folder or .ferry.tar)');
    const output = str(args.values.output);
    if (output === undefined)
      throw usageError('report', 'missing -o FILE (where to write the page).');
    const advisories = str(args.values.advisories);
    const previous = str(args.values.previous);
    const policyPath = str(args.values.policy);
    const policy = policyPath === undefined ? undefined : await readPolicyFile(policyPath);
    const data = await buildReport({
      bundle,
      ...(advisories === undefined ? {} : { advisories }),
      ...(previous === undefined ? {} : { previous }),
      ...(policy === undefined ? {} : { policy }),
      open: openBundleForCommand,
    });
    await writeFileAtomic(output, renderReportHtml(data));
    const refused = data.advisories?.findings.filter((f) => f.verdict === 'refused').length;
    out.result(
      { output, ...data },
      `wrote ${output}: ${data.packages.length} packages, ${data.signers.length} signature(s)` +
        (refused === undefined ? '' : `, ${refused} finding(s) not accepted`),
    );
    return EXIT.ok;
  },
};
