import { exportToObjectStore } from '../../ops/export-object-store.js';
import { exportStatic } from '../../ops/export-static.js';
import { type Command, str, usageError } from '../command.js';

export const exportStaticCommand: Command = {
  name: 'export-static',
  options: {
    store: { type: 'string' },
    out: { type: 'string', short: 'o' },
    to: { type: 'string' },
  },
  help: `Usage: ferry export-static --store DIR -o OUT
       ferry export-static --store DIR --to s3://BUCKET/PREFIX

Writes the store's current generation to OUT as a plain folder any web server serves:
<index>/simple/ pages in PEP 503 HTML and PEP 691 JSON (index.html, index.json), files/ with
every distribution and its .metadata (PEP 658), and catalog.json. Files are hard links into
the store where OUT is on the same file system, copies otherwise. OUT is replaced whole; an
existing OUT must be empty or an earlier export. docs/index-server.md has an nginx
configuration that serves it with PEP 691 content negotiation.

--to s3://BUCKET/PREFIX uploads the same tree to S3 or an S3-compatible store instead
(credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL for a
store of your own, AWS_REGION): only files the bucket lacks or holds with other bytes are
sent, index pages last, and nothing is deleted.

Options:
      --store DIR            the index store
  -o, --out OUT              the folder to write
      --to s3://BUCKET/PREFIX  upload to object storage instead
      --json                 print the result as JSON`,
  async run(args, out) {
    if (args.positionals.length > 0)
      throw usageError('export-static', `takes no argument (got ${args.positionals.join(' ')}).`);
    const store = str(args.values.store);
    const dest = str(args.values.out);
    const to = str(args.values.to);
    if (store !== undefined && to !== undefined && dest === undefined) {
      const sent = await exportToObjectStore({ store, to, events: out.events });
      out.result(
        sent,
        `exported generation ${sent.generation} to ${to}: ${sent.upload.uploaded.length} file(s) sent, ${sent.upload.unchanged.length} already there`,
      );
      return 0;
    }
    if (store === undefined || dest === undefined || to !== undefined)
      throw usageError(
        'export-static',
        'give --store DIR and either -o OUT or --to s3://BUCKET/PREFIX.',
      );
    const result = await exportStatic({ store, out: dest });
    out.result(
      result,
      `exported generation ${result.generation} to ${result.out}: ${result.indexes.join(', ')}; ${result.projects} project pages, ${result.files} files (${result.linked} hard-linked)`,
    );
    return 0;
  },
};
