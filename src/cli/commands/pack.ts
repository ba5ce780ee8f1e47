import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSize } from '../../archive/size.js';
import { parseManifest } from '../../bundle/manifest.js';
import { checkPackOutput, packBundle } from '../../bundle/pack.js';
import { verifyBundle } from '../../bundle/verify.js';
import { addFerryTool } from '../../bundle/with-ferry.js';
import { embeddedAsset } from '../../core/assets.js';
import { readEnv } from '../../core/env.js';
import { type Command, onePositional, str, usageError } from '../command.js';
import { VERSION } from '../version.js';

/**
 * The single-file ferry to carry: this very file when ferry runs as dist/ferry.mjs (its
 * assets are embedded then), else the dist/ferry.mjs that `npm run build` wrote beside this
 * checkout (src/cli/commands/ and dist/cli/commands/ are both three levels below it).
 */
function ownSingleFile(): string {
  if (embeddedAsset('package.json') !== undefined) return fileURLToPath(import.meta.url);
  return fileURLToPath(new URL('../../../dist/ferry.mjs', import.meta.url));
}

/** The archive's entry time: SOURCE_DATE_EPOCH, else the manifest's createdAt, so the same bundle packs to the same bytes. */
async function archiveTime(dir: string): Promise<number> {
  const epoch = readEnv('SOURCE_DATE_EPOCH');
  if (epoch !== undefined) {
    const n = Number(epoch);
    if (!Number.isInteger(n) || n < 0)
      throw usageError(
        'pack',
        `SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${epoch}".`,
      );
    return n;
  }
  const manifest = parseManifest(
    await readFile(join(dir, 'manifest.json'), 'utf8'),
    'manifest.json',
  );
  const ms = Date.parse(manifest.createdAt);
  return Number.isNaN(ms) || ms < 0 ? 0 : Math.floor(ms / 1000);
}

export const packCommand: Command = {
  name: 'pack',
  options: {
    output: { type: 'string', short: 'o' },
    split: { type: 'string' },
    'with-ferry': { type: 'boolean' },
    'ferry-file': { type: 'string' },
  },
  help: `Usage: ferry pack DIR -o NAME.ferry.tar [--split SIZE] [--with-ferry]
       ferry pack DIR --with-ferry

Checks DIR against its SHA256SUMS (signatures are carried, not checked), then writes a POSIX
tar with fixed owners, modes and times (SOURCE_DATE_EPOCH, else the manifest's createdAt):
the same folder gives the same bytes. With --split, writes NAME.ferry.tar.001, .002, ... of
at most SIZE each and NAME.ferry.tar.volumes.json (every volume's size and SHA-256);
"cat NAME.ferry.tar.0* > NAME.ferry.tar" joins them. ferry verify and ferry install read the
archive, its first volume or the volumes.json directly. Sign before packing.

--with-ferry first puts ferry itself into DIR as tools/ferry.mjs (one file that runs with
Node.js 20 or later and nothing else), listed in manifest.json and SHA256SUMS like every other
file, and README.txt tells the operator to run "node tools/ferry.mjs ...". That changes
SHA256SUMS, so do it before signing: "ferry pack DIR --with-ferry" (no -o), sign, then pack.
A signed DIR that already carries this same file is packed as it is.

Options:
  -o, --output FILE    the archive to write (NAME.ferry.tar)
      --split SIZE     volume size: bytes, or K/M/G/T (1024-based), KB/MB/GB (1000-based),
                       e.g. 3900M for FAT32, 4.7GB for a DVD
      --with-ferry     carry ferry as tools/ferry.mjs (see above)
      --ferry-file F   the single-file ferry to carry (default: this ferry's dist/ferry.mjs)
      --json           print the result as JSON`,
  async run(args, out) {
    const dir = onePositional(args, 'pack', 'bundle folder DIR');
    const output = str(args.values.output);
    const ferryFile = str(args.values['ferry-file']);
    const withFerry = args.values['with-ferry'] === true || ferryFile !== undefined;
    if (output === undefined && !withFerry) throw usageError('pack', 'missing -o NAME.ferry.tar.');
    const split = str(args.values.split);
    if (output !== undefined) await checkPackOutput(output);
    await verifyBundle(dir, { allowUnsigned: true });
    const tool = withFerry
      ? await addFerryTool(dir, ferryFile ?? ownSingleFile(), `ferry ${VERSION}`)
      : undefined;
    if (output === undefined) {
      out.result(
        { dir, tool },
        tool?.added === true
          ? `added ${tool.path} (${(tool.size / 1_048_576).toFixed(1)} MB, sha256 ${tool.sha256}) to ${dir}; sign it, then pack it with -o`
          : `${dir} already carries this ${tool?.path}`,
      );
      return 0;
    }
    const result = await packBundle(dir, output, {
      mtime: await archiveTime(dir),
      ...(split === undefined ? {} : { splitBytes: parseSize(split) }),
    });
    out.result(
      { ...result, ...(tool === undefined ? {} : { tool }) },
      `packed ${dir} into ${result.files.join(', ')} (${(result.size / 1_048_576).toFixed(1)} MB, sha256 ${result.sha256})`,
    );
    return 0;
  },
};
