import { clientConfig } from '../../server/pages/client-config.js';
import { type Command, str, usageError } from '../command.js';

export const clientConfigCommand: Command = {
  name: 'client-config',
  options: {
    server: { type: 'string' },
    index: { type: 'string' },
    ca: { type: 'string' },
    only: { type: 'string' },
  },
  help: `Usage: ferry client-config --server URL [--index approved] [--ca FILE] [--only pip|uv]

Prints what a node needs to install from "ferry serve": a pip.conf snippet (index-url, and
cert = FILE for a server with TLS) and a uv.toml snippet (the default index; uv reads the CA
from SSL_CERT_FILE). Put them in /etc/pip.conf and /etc/uv/uv.toml for every user, or in
~/.config/pip/pip.conf and ~/.config/uv/uv.toml for one.

Options:
      --server URL      the server (https://host:port) or an index URL on it (…/approved/simple/)
      --index NAME      the index when --server names none (default approved)
      --ca FILE         where the CA certificate that signed the server's certificate lies on the node
      --only pip|uv     print one snippet, as a file's whole content
      --json            print {indexUrl, pipConf, uvToml, notes} as JSON`,
  async run(args, out) {
    const server = str(args.values.server);
    if (server === undefined)
      throw usageError('client-config', 'give the server with --server URL.');
    const only = str(args.values.only);
    if (only !== undefined && only !== 'pip' && only !== 'uv') {
      throw usageError('client-config', `--only takes pip or uv, not "${only}".`);
    }
    const index = str(args.values.index);
    const ca = str(args.values.ca);
    const config = clientConfig({
      server,
      ...(index === undefined ? {} : { index }),
      ...(ca === undefined ? {} : { ca }),
    });
    for (const note of config.notes) out.events({ type: 'info', message: `note: ${note}` });
    const text =
      only === 'pip'
        ? config.pipConf
        : only === 'uv'
          ? config.uvToml
          : `# pip.conf\n${config.pipConf}\n# uv.toml\n${config.uvToml}`;
    out.result(config, text.trimEnd());
    return 0;
  },
};
