import { readFile } from 'node:fs/promises';
import { buildBundle } from '../../bundle/build.js';
import { FerryError } from '../../core/errors.js';
import { ContentCache, defaultCacheDir } from '../../fetch/cache.js';
import {
  emptyRequirementsResult,
  readRequirementsFile,
  type RequirementsFileResult,
} from '../../resolver/requirements-file.js';
import { parseRequirement } from '../../standards/requirement.js';
import { assertNotUrlRequirement } from '../../standards/requirement.js';
import { describeTarget } from '../../standards/target.js';
import { hostTarget } from '../../target/host-target.js';
import { VERSION } from '../version.js';
import { type Command, list, type ParsedArgs, str, usageError } from '../command.js';
import { INDEX_HELP, INDEX_OPTIONS, settleIndexSettings } from '../settings.js';

export async function collectRequirements(command: string, args: ParsedArgs): Promise<RequirementsFileResult> {
  const result = emptyRequirementsResult();
  const io = { readFile: (p: string) => readFile(p, 'utf8') };
  for (const file of list(args.values.requirement)) await readRequirementsFile(file, io, 'requirement', result);
  for (const file of list(args.values.constraint)) await readRequirementsFile(file, io, 'constraint', result);
  for (const text of args.positionals) {
    let requirement;
    try {
      requirement = parseRequirement(text);
    } catch (error) {
      if (error instanceof FerryError) {
        throw new FerryError(error.code, `ferry ${command}: ${error.message}`, {
          hint: error.hint ?? 'Requirements look like "paddlepaddle==3.0.0" or "numpy>=1.24,<2".',
        });
      }
      throw error;
    }
    result.requirements.push({ requirement, source: 'the command line' });
  }
  for (const r of [...result.requirements, ...result.constraints]) assertNotUrlRequirement(r.requirement, r.source);
  if (result.requirements.length === 0) throw usageError(command, 'give at least one REQUIREMENT or -r FILE.');
  return result;
}

export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'resolve, download and write a bundle folder for offline installation',
  options: {
    ...INDEX_OPTIONS,
    requirement: { type: 'string', short: 'r', multiple: true },
    constraint: { type: 'string', short: 'c', multiple: true },
    output: { type: 'string', short: 'o' },
    pre: { type: 'boolean' },
    force: { type: 'boolean' },
    python: { type: 'string' },
    'cache-dir': { type: 'string' },
    concurrency: { type: 'string' },
  },
  help: `Usage: ferry bundle REQUIREMENT... [-r FILE] [-c FILE] -o DIR [options]

Resolves the requirements for the target (this host's python3 for now), downloads every
file of the closure with its SHA-256 checked, and writes DIR:
  wheels/            every wheel of the closure
  requirements.txt   pinned, with --hash=sha256: lines (pip's hash-checking mode)
  manifest.json      each file's name, size, sha256 and source URL (credentials redacted)

Options:
  -r, --requirement FILE   read requirements from a pip requirements file (repeatable)
  -c, --constraint FILE    constrain versions without adding projects (repeatable)
  -o, --output DIR         where to write the bundle (required)
      --pre                allow pre-releases
      --python PATH        the interpreter whose platform is the target (default: python3)
      --force              replace DIR even if it is not a ferry bundle
      --cache-dir DIR      download cache (default: $FERRY_CACHE_DIR or ~/.cache/ferry)
      --concurrency N      parallel downloads (default 4)
      --json               print JSON events and the result on stdout

${INDEX_HELP}

Example:
  ferry bundle paddlepaddle -o paddle-bundle`,
  async run(args, out) {
    const outDir = str(args.values.output);
    if (outDir === undefined) throw usageError('bundle', 'missing -o DIR (where to write the bundle).');
    const reqs = await collectRequirements('bundle', args);
    const settings = await settleIndexSettings(args, reqs);
    const target = await hostTarget(str(args.values.python));
    const concurrency = str(args.values.concurrency);
    const sourceDate = process.env.SOURCE_DATE_EPOCH;
    const result = await buildBundle({
      requirements: reqs.requirements,
      constraints: reqs.constraints,
      prereleases: args.values.pre === true || reqs.pre,
      settings,
      target,
      outDir,
      cache: new ContentCache(str(args.values['cache-dir']) ?? defaultCacheDir()),
      toolVersion: VERSION,
      events: out.events,
      force: args.values.force === true,
      ...(concurrency === undefined ? {} : { concurrency: Number.parseInt(concurrency, 10) }),
      ...(sourceDate === undefined ? {} : { createdAt: new Date(Number(sourceDate) * 1000) }),
    });
    out.result(
      {
        outDir: result.outDir,
        target: describeTarget(target),
        packages: result.packages.map((p) => ({ name: p.name, version: p.version })),
        downloaded: result.downloaded,
        fromCache: result.fromCache,
        bytes: result.bytes,
      },
      `bundle written to ${result.outDir}: ${result.packages.length} packages, ${(result.bytes / 1_048_576).toFixed(1)} MB ` +
        `(${result.downloaded} downloaded, ${result.fromCache} from cache) for ${describeTarget(target)}`,
    );
    return 0;
  },
};
