import { readPolicyFile } from '../../audit/policy-file.js';
import { INSTALLER_CHOICES, type InstallerChoice } from '../../onhost/installer.js';
import { parseSmokeMode } from '../../onhost/smoke/checks.js';
import { install } from '../../ops/install.js';
import { type Command, list, onePositional, str, usageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { openBundleForCommand } from '../open-for-command.js';
import { TRUST_OPTIONS, trustArgs } from '../trust-options.js';
import { VERSION } from '../version.js';

export const installCommand: Command = {
  name: 'install',
  options: {
    venv: { type: 'string' },
    into: { type: 'string' },
    python: { type: 'string' },
    force: { type: 'boolean' },
    smoke: { type: 'string' },
    'smoke-timeout': { type: 'string' },
    receipt: { type: 'string' },
    key: { type: 'string' },
    ...TRUST_OPTIONS,
    'skip-doctor': { type: 'boolean' },
    policy: { type: 'string' },
    base: { type: 'string', multiple: true },
    installer: { type: 'string' },
  },
  help: `Usage: ferry install BUNDLE (--venv PATH | --into PATH) --trusted-key FILE... [options]
       ferry install BUNDLE (--venv PATH | --into PATH) --allow-unsigned [options]

  1. verify   every file against SHA256SUMS and the manifest, and the signatures against the
              keys you trust (as ferry verify); refuse a bundle that would need the network.
              With no --trusted-key / --trust-file it refuses (exit 7) before anything is made,
              unless --allow-unsigned is given
  2. doctor   will it run on this host? (see ferry doctor); errors stop the install
  3. install  uv (carried in the bundle, when it runs here) or pip: no index, hashes
              required, no configuration, in a staging folder beside PATH: no network is
              used or needed; it says which installer ran and why
  4. smoke    import the framework first, then the other top-level modules (plugins the
              framework loads itself are not imported by hand); for Paddle also
              is_compiled_with_cuda(), the GPU count, a ResNet-18 forward pass
              ([1, 3, 224, 224] → [1, 1000]) and run_check();
              PyTorch and TensorFlow get their own checks. Each runs with a timeout.
  5. move     the venv into place only when all of that passed; --into swaps the tested
              copy in atomically, so a failure (or a kill) leaves PATH as it was.

Options:
      --venv PATH        a new venv (must not exist unless --force)
      --into PATH        an existing venv to add the bundle to
      --python PY        the interpreter for a new venv (default: $FERRY_PYTHON or python3)
      --force            replace an existing --venv PATH: the folder at PATH is REMOVED,
                         with everything in it, once the new venv has passed its smoke test
      --smoke MODE       auto (by the bundle's packages), paddle, torch, tensorflow,
                         imports (only the import check) or none (default auto)
      --smoke-timeout S  seconds each smoke check may take (default: per check, 300-600)
      --receipt FILE     write a JSON receipt (also when the smoke test fails)
      --key KEY          sign the receipt (minisign or SM2 secret key): FILE.minisig or
                         FILE.sm2.sig beside it
      --trusted-key KEY  a public key (.pub: minisign or SM2 PEM) or trust file you trust;
                         the bundle must be signed by it (repeatable)
      --trust-file FILE  a trust file, lines "NAME ALGORITHM KEY" (repeatable)
      --require-signers N  distinct trusted signers needed (default 1)
      --allow-unsigned   install without checking signatures (integrity only; says so)
      --skip-doctor      install even when doctor reports errors
      --policy FILE      refuse what ferry-policy.toml does not accept: too few signers,
                         denied projects, licences, sdists (docs/audit.md; exit 10)
      --base DIR         for a delta bundle (docs/deltas.md): an earlier bundle folder, a
                         folder of wheels or an index store holding the files it does not
                         carry; each is checked by its SHA-256 (repeatable)
      --installer I      auto (default): uv when the bundle carries it and it runs here,
                         else pip; uv: uv or fail; pip: pip even when uv is carried
      --json             print JSON events and the result on stdout

Exit status: 0 installed; 5 damaged bundle; 6 the bundle would need the network; 7 not
signed by a trusted key, or no key given; 8 pip or the smoke test failed; 9 doctor found
errors; 10 refused by --policy.`,
  async run(args, out) {
    const bundleDir = onePositional(
      args,
      'install',
      'BUNDLE (a folder, a .ferry.tar or its first volume)',
    );
    const venv = str(args.values.venv);
    const into = str(args.values.into);
    if ((venv === undefined) === (into === undefined))
      throw usageError(
        'install',
        'give --venv PATH (a new venv) or --into PATH (an existing one).',
      );
    if (into !== undefined && args.values.force === true)
      throw usageError('install', '--force goes with --venv, not --into.');
    const python = str(args.values.python);
    if (into !== undefined && python !== undefined)
      throw usageError('install', "--into uses the venv's own Python; leave out --python.");
    const smoke = parseSmokeMode(str(args.values.smoke) ?? 'auto');
    const timeoutText = str(args.values['smoke-timeout']);
    const smokeTimeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
    if (smokeTimeoutSeconds !== undefined && !(smokeTimeoutSeconds > 0))
      throw usageError('install', `--smoke-timeout "${timeoutText}" is not a number of seconds.`);
    const receiptPath = str(args.values.receipt);
    const keyPath = str(args.values.key);
    if (keyPath !== undefined && receiptPath === undefined)
      throw usageError('install', '--key signs the receipt; give --receipt FILE too.');
    const { keyFiles, allowUnsigned, requireSigners, requireSignersGiven } = trustArgs(
      args,
      'install',
    );
    if (requireSignersGiven && allowUnsigned)
      throw usageError(
        'install',
        '--require-signers counts signatures; --allow-unsigned checks none.',
      );
    const installer = str(args.values.installer) ?? 'auto';
    if (!(INSTALLER_CHOICES as readonly string[]).includes(installer))
      throw usageError('install', `--installer "${installer}" is not auto, uv or pip.`);
    const policyPath = str(args.values.policy);
    const policy = policyPath === undefined ? undefined : await readPolicyFile(policyPath);
    const report = await install({
      installer: installer as InstallerChoice,
      bundle: bundleDir,
      ...(venv === undefined ? {} : { venv }),
      ...(into === undefined ? {} : { into }),
      ...(python === undefined ? {} : { python }),
      force: args.values.force === true,
      smoke,
      ...(smokeTimeoutSeconds === undefined ? {} : { smokeTimeoutSeconds }),
      skipDoctor: args.values['skip-doctor'] === true,
      keyFiles,
      requireSigners,
      allowUnsigned,
      ...(receiptPath === undefined
        ? {}
        : { receipt: { path: receiptPath, ...(keyPath === undefined ? {} : { keyPath }) } }),
      ferryVersion: VERSION,
      open: openBundleForCommand,
      events: out.events,
      ...(policy === undefined ? {} : { policy }),
      base: list(args.values.base),
    });
    const lines = [
      ...report.checks.map(
        (c) =>
          `  ${c.outcome.padEnd(7)} ${c.id.padEnd(20)} ${c.seconds.toFixed(1).padStart(6)} s  ${c.detail}`,
      ),
      `installed ${report.packages.length} packages into ${report.venv} with ${report.installer === undefined ? 'pip' : `${report.installer.name} ${report.installer.version}`} (${report.seconds.toFixed(1)} s)`,
    ];
    out.result(report, lines.join('\n'));
    return EXIT.ok;
  },
};
