import { FERRY_ENV, readEnv } from '../../core/env.js';
import { publish } from '../../ops/publish.js';
import { type Command, onePositional, str, usageError } from '../command.js';
import { openBundleForCommand } from '../open-for-command.js';
import { TRUST_OPTIONS, trustArgs } from '../trust-options.js';

export const publishCommand: Command = {
  name: 'publish',
  options: {
    ...TRUST_OPTIONS,
    repository: { type: 'string' },
    username: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
  },
  help: `Usage: ferry publish BUNDLE --repository URL --trusted-key FILE... [--username U]

Verifies BUNDLE exactly as "ferry verify" does (failing closed: trusted keys, or
--allow-unsigned), then uploads every wheel and sdist in it to an index that takes uploads
the way twine sends them (the legacy upload API): pypiserver, devpi, Nexus, Artifactory, or
ferry serve. Files the index already has are skipped, as twine --skip-existing does.

URL is the upload URL: http://HOST:PORT/ for pypiserver, http://HOST:PORT/USER/INDEX/ for
devpi. The password (or API token, with username __token__) is best given in
FERRY_PUBLISH_PASSWORD, so it does not show in the process list; FERRY_PUBLISH_USERNAME
gives the username.

Options:
      --repository URL       where to upload (required)
  -u, --username NAME        the account on the index
  -p, --password TEXT        its password or token
      --trusted-key FILE     a public key (.pub: minisign or SM2 PEM) or trust file (repeatable)
      --trust-file FILE      a trust file, lines "NAME ALGORITHM KEY" (repeatable)
      --require-signers N    distinct trusted signers needed (default 1)
      --allow-unsigned       check integrity only, without signatures
      --json                 print events and the result as JSON lines

Exit status: 0 published, 4 the index refused a file (or could not be reached), 5/6/7 as
ferry verify (nothing is uploaded then).`,
  async run(args, out) {
    const bundle = onePositional(args, 'publish', 'BUNDLE (folder or .ferry.tar)');
    const repository = str(args.values.repository);
    if (repository === undefined) throw usageError('publish', 'missing --repository URL.');
    const { keyFiles, allowUnsigned, requireSigners } = trustArgs(args, 'publish');
    const username = str(args.values.username) ?? readEnv(FERRY_ENV.publishUsername);
    const password = str(args.values.password) ?? readEnv(FERRY_ENV.publishPassword);
    const result = await publish({
      bundle,
      repository,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      keyFiles,
      requireSigners,
      allowUnsigned,
      open: openBundleForCommand,
      events: out.events,
    });
    out.result(
      result,
      `published ${bundle} to ${result.repository}: ${result.uploaded} uploaded, ${result.existing} already there`,
    );
    return 0;
  },
};
