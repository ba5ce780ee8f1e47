import { verifyReceipt } from '../../onhost/receipt.js';
import { loadTrustedKeys } from '../../trust/keys.js';
import { type Command, list, usageError } from '../command.js';

export const receiptCommand: Command = {
  name: 'receipt',
  options: {
    'trusted-key': { type: 'string', multiple: true },
  },
  help: `Usage: ferry receipt verify RECEIPT [--trusted-key KEY ...] [--json]

Checks a receipt written by ferry install --receipt RECEIPT [--key KEY]: its structure, and
with --trusted-key its detached signature (RECEIPT.minisig or RECEIPT.sm2.sig beside it).
Exit status: 0 valid, 5 changed after signing or not a valid receipt, 7 not signed by a key
you trust. A receipt of a failed install verifies too; its outcome says "failed".

Options:
      --trusted-key KEY   a public key file (.pub, SM2 PEM) or a trust file (repeatable)
      --json              print the receipt check as JSON`,
  async run(args, out) {
    const [action, path, ...rest] = args.positionals;
    if (action !== 'verify' || path === undefined || rest.length > 0)
      throw usageError('receipt', 'usage: ferry receipt verify RECEIPT [--trusted-key KEY].');
    const keys = await loadTrustedKeys(list(args.values['trusted-key']));
    const check = await verifyReceipt(path, keys);
    const r = check.receipt;
    const failed = r.checks.filter((c) => c.outcome !== 'passed' && c.outcome !== 'skipped');
    out.result(
      {
        ok: true,
        path,
        outcome: r.outcome,
        signatureChecked: check.signatureChecked,
        signer: check.signer,
        signatureFiles: check.signatureFiles,
        receipt: r,
      },
      [
        `${path}: a valid ferry receipt; install ${r.outcome} on ${r.host.hostname ?? r.host.os ?? 'a host'} at ${r.createdAt}`,
        `  bundle sha256 ${r.bundle.sha256} (of ${r.bundle.of})${r.bundle.framework ? `, ${r.bundle.framework.name} ${r.bundle.framework.version}` : ''}`,
        `  checks: ${r.checks.map((c) => `${c.id} ${c.outcome}`).join(', ') || 'none'}`,
        ...failed.map((c) => `  ${c.id}: ${c.detail}`),
        check.signatureChecked
          ? `  signed by trusted key "${check.signer?.name}" (${check.signer?.keyId}, ${check.signer?.algorithm})`
          : `  signature not checked (no --trusted-key)${check.signatureFiles.length > 0 ? `; signature file(s): ${check.signatureFiles.join(', ')}` : '; not signed'}`,
      ].join('\n'),
    );
    return 0;
  },
};
