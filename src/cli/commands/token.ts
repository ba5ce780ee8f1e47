import { FerryError } from '../../core/errors.js';
import { openIndexStore } from '../../server/store/index.js';
import type { TokenScope } from '../../server/store/types.js';
import { type Command, str, usageError } from '../command.js';

export const tokenCommand: Command = {
  name: 'token',
  options: {
    store: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string' },
    actor: { type: 'string' },
  },
  help: `Usage: ferry token create --store DIR --name NAME --scope upload|admin
       ferry token list --store DIR
       ferry token revoke NAME --store DIR

Tokens let "ferry serve" accept uploads (scope upload) and administration (scope admin, which
covers upload). "create" prints the token once, on stdout; the store keeps only its SHA-256
(tokens.json), so a lost token cannot be shown again: revoke it and create another. Creating
and revoking are written to audit.log (by name, never the token).

Options:
      --store DIR            the index store
      --name NAME            the token's name (letters, digits, . _ -)
      --scope SCOPE          upload or admin
      --actor NAME           who acts, for the audit log (default: the OS user)
      --json                 print the result as JSON`,
  async run(args, out) {
    const [action, ...rest] = args.positionals;
    const dir = str(args.values.store);
    if (dir === undefined) throw usageError('token', 'missing --store DIR.');
    const actor = str(args.values.actor);
    if (action === 'create') {
      if (rest.length > 0)
        throw usageError(
          'token',
          `"create" takes no argument (got ${rest.join(' ')}); give --name.`,
        );
      const name = str(args.values.name);
      const scope = str(args.values.scope);
      if (name === undefined || scope === undefined)
        throw usageError('token', 'create needs --name NAME and --scope upload|admin.');
      const store = await openIndexStore(dir);
      const token = await store.tokens.create(name, scope as TokenScope, actor);
      out.result({ name, scope, token }, token);
      return 0;
    }
    if (action === 'list') {
      const store = await openIndexStore(dir);
      const tokens = await store.tokens.list();
      out.result(
        { tokens },
        tokens.length === 0
          ? 'no tokens'
          : tokens.map((t) => `${t.name}\t${t.scope}\t${t.created}`).join('\n'),
      );
      return 0;
    }
    if (action === 'revoke') {
      const [name, ...extra] = rest;
      if (name === undefined || extra.length > 0)
        throw usageError('token', 'revoke takes exactly one NAME.');
      const store = await openIndexStore(dir);
      if (!(await store.tokens.revoke(name, actor)))
        throw new FerryError(
          'ERR_FERRY_UNKNOWN_TOKEN',
          `the store ${dir} has no token named "${name}"`,
          {
            hint: `"ferry token list --store ${dir}" lists them.`,
          },
        );
      out.result({ name, revoked: true }, `revoked ${name}`);
      return 0;
    }
    throw usageError(
      'token',
      `give create, list or revoke${action === undefined ? '' : ` (not "${action}")`}.`,
    );
  },
};
