import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acceleratorName } from '../../frameworks/accelerators.js';
import { profileName } from '../../host/profile.js';
import type { DoctorProblem } from '../../onhost/doctor.js';
import { doctor } from '../../ops/doctor.js';
import { type Command, onePositional, str, usageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { openBundleForCommand } from '../open-for-command.js';

export const doctorCommand: Command = {
  name: 'doctor',
  options: {
    venv: { type: 'string' },
    python: { type: 'string' },
    profile: { type: 'string' },
    'allow-minor-version-compat': { type: 'boolean' },
  },
  help: `Usage: ferry doctor BUNDLE [--venv PATH | --python PY] [--profile FILE] [--json]

Reads what BUNDLE needs from its manifest (wheel tags, the framework build, its CUDA version,
AVX, the CUDA libraries its nvidia-* wheels carry) and what this host has (ferry probe), and
prints every problem with its fix. Exit status 0 when nothing stops the bundle, ${EXIT.doctor} when an
error does (warnings alone exit 0).

Options:
      --venv PATH      judge the Python of this existing venv (for install --into)
      --python PY      judge this interpreter only (default: any Python on the host)
      --profile FILE   judge a saved profile (ferry probe -o FILE) instead of this host:
                       check a bundle against a target on the jump host
      --allow-minor-version-compat
                       count a driver that runs the CUDA build only through CUDA
                       minor-version compatibility as a warning, not an error
      --json           print the facts and problems as JSON on stdout`,
  async run(args, out) {
    const bundleDir = onePositional(args, 'doctor', 'BUNDLE folder');
    const venv = str(args.values.venv);
    const pythonArg = str(args.values.python);
    if (venv !== undefined && pythonArg !== undefined)
      throw usageError('doctor', 'give --venv or --python, not both.');
    const python = venv === undefined ? pythonArg : join(venv, 'bin', 'python');
    const profileFile = str(args.values.profile);
    const { manifest, facts, host, problems, errors } = await doctor({
      bundle: bundleDir,
      ...(python === undefined ? {} : { python }),
      ...(profileFile === undefined
        ? {}
        : {
            profile: {
              source: profileFile,
              read: () =>
                readFile(profileFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
                  throw usageError(
                    'doctor',
                    `cannot read --profile "${profileFile}": ${e.code ?? e.message}`,
                  );
                }),
            },
          }),
      allowMinorVersionCompat: args.values['allow-minor-version-compat'] === true,
      open: openBundleForCommand,
    });
    const what =
      facts.framework === undefined
        ? `${manifest.packages.length} packages`
        : `${facts.framework}${facts.accelerator !== undefined ? `, ${acceleratorName(facts.accelerator)} build` : facts.cuda === undefined ? '' : facts.cuda === 'cpu' ? ', CPU build' : `, CUDA ${facts.cuda}`}`;
    const where = `${profileName(host)} (${host.arch}${host.libc === null ? '' : `, ${host.libc.kind} ${host.libc.version ?? '?'}`}${host.nvidia.driverVersion === null ? '' : `, driver ${host.nvidia.driverVersion}`})`;
    out.result(
      {
        ok: errors === 0,
        bundle: bundleDir,
        host: where,
        facts: { ...facts, wheels: facts.wheels?.length ?? 0 },
        problems,
      },
      [
        `${bundleDir}: ${what} on ${where}`,
        ...problems.map(formatProblem),
        errors === 0
          ? `ok: ${problems.length === 0 ? 'no problems found' : 'only warnings'}`
          : `${errors} error(s): this bundle will not run here as it is`,
      ].join('\n'),
    );
    return errors === 0 ? EXIT.ok : EXIT.doctor;
  },
};

export function formatProblem(p: DoctorProblem): string {
  return `${p.severity === 'error' ? 'error  ' : 'warning'} ${p.code}: ${p.message}\n        fix: ${p.fix}`;
}
