import { describeBuilt } from '../../bundle/verify.js';
import { verify } from '../../ops/verify.js';
import { type Command, onePositional } from '../command.js';
import { openBundleForCommand } from '../open-for-command.js';
import { TRUST_OPTIONS, trustArgs } from '../trust-options.js';

export const verifyCommand: Command = {
  name: 'verify',
  options: {
    ...TRUST_OPTIONS,
  },
  help: `Usage: ferry verify BUNDLE --trusted-key FILE... [--require-signers N]
       ferry verify BUNDLE --allow-unsigned

BUNDLE is a bundle folder, a NAME.ferry.tar, its first volume (NAME.ferry.tar.001) or its
NAME.ferry.tar.volumes.json. Fully offline; fails closed. Checks that:
  - every file SHA256SUMS lists is there with that SHA-256, and nothing else is;
  - manifest.json agrees with SHA256SUMS and the files (size, SM3 when recorded);
  - the closure is complete: every package has its file, every dependency is in the bundle;
  - SHA256SUMS is signed by at least N distinct keys you trust (default 1). Only keys you name
    are trusted, never keys that came with the bundle. Signatures from other keys are listed,
    not counted.
Without --trusted-key / --trust-file it refuses unless --allow-unsigned is given; then only
integrity is checked and it says that signatures were NOT checked.

Options:
      --trusted-key FILE     a public key (.pub: minisign or SM2 PEM) or trust file (repeatable)
      --trust-file FILE      a trust file, lines "NAME ALGORITHM KEY" (repeatable)
      --require-signers N    distinct trusted signers needed (default 1)
      --allow-unsigned       check integrity only, without signatures
      --json                 print the report as JSON

Exit status: 0 verified, 5 tampered (a file changed, an extra file), 6 incomplete (a file or
volume missing, a dependency not in the bundle), 7 untrusted (a bad signature, too few trusted
signers, or no key given); several problems: the first of 5, 6, 7.`,
  async run(args, out) {
    const path = onePositional(args, 'verify', 'BUNDLE (folder or .ferry.tar)');
    const { keyFiles, allowUnsigned, requireSigners } = trustArgs(args, 'verify');
    const report = await verify({
      bundle: path,
      keyFiles,
      requireSigners,
      allowUnsigned,
      open: openBundleForCommand,
      events: out.events,
    });
    const signed = report.signatures.checked
      ? `signed by ${report.signatures.signers.join(', ')}`
      : 'signatures NOT checked';
    out.result(
      { ...report, dir: path },
      `verified ${path}: ${report.files} files, ${report.packages} packages, complete; ${signed}` +
        (report.signatures.unknown.length > 0
          ? `; ignored signatures from untrusted keys: ${report.signatures.unknown.map((u) => u.keyId).join(', ')}`
          : '') +
        describeBuilt(report)
          .map((l) => `\n${l}`)
          .join(''),
    );
    return 0;
  },
};
