import { installBundle } from '../../target/install.js';
import { type Command, str, usageError } from '../command.js';

export const installCommand: Command = {
  name: 'install',
  summary: 'install a bundle into a new venv with no network, then import everything',
  options: {
    venv: { type: 'string' },
    python: { type: 'string' },
    force: { type: 'boolean' },
  },
  help: `Usage: ferry install BUNDLE --venv PATH [--python PATH] [--force]

Checks every file of BUNDLE against its manifest, creates a venv with the given Python
(default: python3), installs with pip using --no-index --require-hashes (no network is
used or needed), and imports every top-level module of every installed distribution.
The venv is built beside PATH and moved into place only when all of that succeeded.

Options:
      --venv PATH      where the venv goes (required; must not exist unless --force)
      --python PATH    the interpreter for the venv (default: $FERRY_PYTHON or python3)
      --force          replace an existing PATH
      --json           print JSON events and the result on stdout`,
  async run(args, out) {
    const bundleDir = args.positionals[0];
    if (bundleDir === undefined || args.positionals.length > 1) throw usageError('install', 'give exactly one BUNDLE folder.');
    const venv = str(args.values.venv);
    if (venv === undefined) throw usageError('install', 'missing --venv PATH.');
    const python = str(args.values.python);
    const report = await installBundle({
      bundleDir,
      venv,
      ...(python === undefined ? {} : { python }),
      events: out.events,
      force: args.values.force === true,
    });
    out.result(
      report,
      `installed ${report.packages.length} packages into ${report.venv}; ${report.imports.filter((i) => i.status === 'ok').length} modules import ` +
        `(${report.seconds.toFixed(1)} s)`,
    );
    return 0;
  },
};
