import { exportStatic } from '../../ops/export-static.js';
import { type Command, str, usageError } from '../command.js';

export const exportStaticCommand: Command = {
  name: 'export-static',
  options: {
    store: { type: 'string' },
    out: { type: 'string', short: 'o' },
  },
  help: `Usage: ferry export-static --store DIR -o OUT

Writes the store's current generation to OUT as a plain folder any web server serves:
<index>/simple/ pages in PEP 503 HTML and PEP 691 JSON (index.html, index.json), files/ with
every distribution and its .metadata (PEP 658), and catalog.json. Files are hard links into
the store where OUT is on the same file system, copies otherwise. OUT is replaced whole; an
existing OUT must be empty or an earlier export. docs/index-server.md has an nginx
configuration that serves it with PEP 691 content negotiation.

Options:
      --store DIR            the index store
  -o, --out OUT              the folder to write
      --json                 print the result as JSON`,
  async run(args, out) {
    if (args.positionals.length > 0)
      throw usageError('export-static', `takes no argument (got ${args.positionals.join(' ')}).`);
    const store = str(args.values.store);
    const dest = str(args.values.out);
    if (store === undefined || dest === undefined)
      throw usageError('export-static', 'give --store DIR and -o OUT.');
    const result = await exportStatic({ store, out: dest });
    out.result(
      result,
      `exported generation ${result.generation} to ${result.out}: ${result.indexes.join(', ')}; ${result.projects} project pages, ${result.files} files (${result.linked} hard-linked)`,
    );
    return 0;
  },
};
