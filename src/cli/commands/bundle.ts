import { buildBundle } from '../../bundle/build.js';
import { describeTarget } from '../../standards/target.js';
import { type Command, str, usageError } from '../command.js';
import { RESOLVE_HELP, RESOLVE_OPTIONS, resolveFromArgs } from '../resolve-args.js';
import { VERSION } from '../version.js';

export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'resolve for the target(s), download everything, and write a bundle folder',
  options: {
    ...RESOLVE_OPTIONS,
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
    concurrency: { type: 'string' },
  },
  help: `Usage: ferry bundle REQUIREMENT... [-r FILE] [-c FILE] [--target T ...] -o DIR [options]

Resolves the requirements for the target(s), downloads every file of the closure in
parallel with its SHA-256 checked (cached, resumable), and writes DIR:
  wheels/            every wheel of the closure
  requirements.txt   pinned, with --hash=sha256: lines (pip's hash-checking mode)
  manifest.json      targets, indexes, and each file's size, sha256 and source URL

Options:
  -o, --output DIR         where to write the bundle (required)
      --force              replace DIR even if it is not a ferry bundle
      --concurrency N      parallel downloads (default 4)
      --json               print JSON events and the result on stdout

${RESOLVE_HELP}

Examples:
  ferry bundle paddlepaddle -o paddle-bundle
  ferry bundle --framework paddle --cuda cpu --target kylin-v10-aarch64 -o kylin-paddle`,
  async run(args, out) {
    const outDir = str(args.values.output);
    if (outDir === undefined) throw usageError('bundle', 'missing -o DIR (where to write the bundle).');
    const concurrency = str(args.values.concurrency);
    if (concurrency !== undefined && !/^[1-9]\d*$/.test(concurrency)) throw usageError('bundle', `--concurrency "${concurrency}" is not a positive number.`);
    const { locked, client, cache } = await resolveFromArgs('bundle', args, out);
    const sourceDate = process.env.SOURCE_DATE_EPOCH;
    const result = await buildBundle({
      locked,
      outDir,
      cache,
      toolVersion: VERSION,
      withCredentials: (url) => client.withCredentials(url),
      events: out.events,
      force: args.values.force === true,
      ...(concurrency === undefined ? {} : { concurrency: Number.parseInt(concurrency, 10) }),
      ...(sourceDate === undefined ? {} : { createdAt: new Date(Number(sourceDate) * 1000) }),
    });
    const targets = locked.targets.map(describeTarget);
    out.result(
      {
        outDir: result.outDir,
        targets,
        packages: locked.packages.map((p) => ({ name: p.name, version: p.version, targets: p.targets })),
        downloaded: result.downloaded,
        fromCache: result.fromCache,
        bytes: result.bytes,
      },
      `bundle written to ${result.outDir}: ${locked.packages.length} packages, ${result.files.length} files, ` +
        `${(result.bytes / 1_048_576).toFixed(1)} MB (${result.downloaded} downloaded, ${result.fromCache} from cache)\n` +
        targets.map((t) => `  for ${t}`).join('\n'),
    );
    return 0;
  },
};
