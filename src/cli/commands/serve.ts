import { parseSize } from '../../archive/size.js';
import { FERRY_ENV, readEnv } from '../../core/env.js';
import type { EventSink } from '../../core/events.js';
import { DEFAULT_LISTEN, startServe } from '../../ops/serve.js';
import { type Command, str, usageError } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  options: {
    store: { type: 'string' },
    listen: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'read-auth': { type: 'boolean' },
    'max-upload': { type: 'string' },
    'access-log': { type: 'boolean' },
    upstream: { type: 'string' },
    'upstream-allow': { type: 'string' },
  },
  help: `Usage: ferry serve --store DIR [--listen ${DEFAULT_LISTEN}] [--tls-cert FILE --tls-key FILE]
                   [--read-auth] [--max-upload SIZE] [--access-log] [--json]
                   [--upstream URL [--upstream-allow FILE]]

Serves an index store (made by "ferry import" / "ferry publish") to pip, uv and people:
  /INDEX/simple/            PEP 503 HTML or PEP 691 JSON (by Accept, or ?format=json|html)
  /files/…                  the files and their PEP 658 .metadata (Range, ETag, immutable)
  /INDEX/                   uploads as twine sends them (a token from "ferry token create")
  /  /ui/bundles  /ui/incoming   pages for people: projects, files, who signed them
A node installs with  pip install --index-url http://HOST:PORT/approved/simple/ NAME
("ferry client-config --server URL" prints its pip.conf and uv.toml). Each publish makes a
new generation, served from the next request on without a restart. SIGINT or SIGTERM
stops the server gracefully: requests in flight finish first.

Options:
      --store DIR          the index store
      --listen HOST:PORT   where to listen (default ${DEFAULT_LISTEN}; :PORT for every interface)
      --tls-cert FILE      serve HTTPS with this PEM certificate (chain) ...
      --tls-key FILE       ... and this PEM private key
      --read-auth          reading needs a token too (pip: https://user:TOKEN@HOST/approved/simple/)
      --max-upload SIZE    the largest file an upload may carry (default 2G; e.g. 500M)
      --access-log         report every request (a serve-request event; stderr in text mode)
      --upstream URL       also a pull-through cache of this index (or FERRY_UPSTREAM_URL, which
                           keeps its credentials out of ps): /upstream/simple/ serves the approved
                           projects, and for any other name the upstream's files, each fetched
                           once, checked against the page's SHA-256 and kept in the store
      --upstream-allow FILE  take only these from the upstream: project names, a requirements
                           file (its specifiers and --hash pins) or a pylock.toml (its files)
      --json               events as JSON lines on stdout`,
  async run(args, out) {
    const storeDir = str(args.values.store);
    if (storeDir === undefined) throw usageError('serve', 'give the index store with --store DIR.');
    if (args.positionals.length > 0) {
      throw usageError('serve', `unexpected argument "${args.positionals[0]}".`);
    }
    const maxUpload = str(args.values['max-upload']);
    const events: EventSink = out.json
      ? out.events
      : (event) => {
          switch (event.type) {
            case 'serve-listening':
              out.events({
                type: 'info',
                message: `serving ${event.store} (generation ${event.generation}) at\n${event.urls.map((u) => `  ${u}`).join('\n')}${event.upstream === undefined ? '' : `\npull-through from ${event.upstream}`}\nstop with Ctrl-C`,
              });
              break;
            case 'serve-upload':
              out.events({
                type: 'info',
                message: `upload: ${event.filename} into ${event.index} by ${event.actor} (generation ${event.generation})`,
              });
              break;
            case 'serve-request':
              out.events({
                type: 'info',
                message: `${event.method} ${event.path} ${event.status} ${event.ms.toFixed(1)} ms`,
              });
              break;
            case 'serve-upstream':
              out.events({
                type: 'info',
                message: `upstream: ${event.filename} fetched into ${event.index} (generation ${event.generation})`,
              });
              break;
            case 'serve-stopped':
              out.events({ type: 'info', message: `stopped (${event.reason})` });
              break;
            default:
              out.events(event);
          }
        };
    const upstream = str(args.values.upstream) ?? readEnv(FERRY_ENV.upstreamUrl);
    const upstreamAllow = str(args.values['upstream-allow']);
    const server = await startServe({
      storeDir,
      ...(upstream === undefined ? {} : { upstream }),
      ...(upstreamAllow === undefined ? {} : { upstreamAllow }),
      ...(str(args.values.listen) === undefined ? {} : { listen: str(args.values.listen)! }),
      ...(str(args.values['tls-cert']) === undefined
        ? {}
        : { tlsCert: str(args.values['tls-cert'])! }),
      ...(str(args.values['tls-key']) === undefined
        ? {}
        : { tlsKey: str(args.values['tls-key'])! }),
      readAuth: args.values['read-auth'] === true,
      ...(maxUpload === undefined ? {} : { maxUploadBytes: parseSize(maxUpload) }),
      accessLog: args.values['access-log'] === true,
      events,
    });
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    await server.stop(signal);
    out.result({ stopped: signal, base: server.base }, '');
    return 0;
  },
};
