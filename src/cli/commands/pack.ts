import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSize } from '../../archive/size.js';
import { parseManifest } from '../../bundle/manifest.js';
import { checkPackOutput, packBundle } from '../../bundle/pack.js';
import { verifyBundle } from '../../bundle/verify.js';
import { readEnv } from '../../core/env.js';
import { type Command, onePositional, str, usageError } from '../command.js';

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
  },
  help: `Usage: ferry pack DIR -o NAME.ferry.tar [--split SIZE]

Checks DIR against its SHA256SUMS (signatures are carried, not checked), then writes a POSIX
tar with fixed owners, modes and times (SOURCE_DATE_EPOCH, else the manifest's createdAt):
the same folder gives the same bytes. With --split, writes NAME.ferry.tar.001, .002, ... of
at most SIZE each and NAME.ferry.tar.volumes.json (every volume's size and SHA-256);
"cat NAME.ferry.tar.0* > NAME.ferry.tar" joins them. ferry verify and ferry install read the
archive, its first volume or the volumes.json directly. Sign before packing.

Options:
  -o, --output FILE    the archive to write (NAME.ferry.tar)
      --split SIZE     volume size: bytes, or K/M/G/T (1024-based), KB/MB/GB (1000-based),
                       e.g. 3900M for FAT32, 4.7GB for a DVD
      --json           print the result as JSON`,
  async run(args, out) {
    const dir = onePositional(args, 'pack', 'bundle folder DIR');
    const output = str(args.values.output);
    if (output === undefined) throw usageError('pack', 'missing -o NAME.ferry.tar.');
    const split = str(args.values.split);
    await checkPackOutput(output);
    await verifyBundle(dir, { allowUnsigned: true });
    const result = await packBundle(dir, output, {
      mtime: await archiveTime(dir),
      ...(split === undefined ? {} : { splitBytes: parseSize(split) }),
    });
    out.result(
      result,
      `packed ${dir} into ${result.files.join(', ')} (${(result.size / 1_048_576).toFixed(1)} MB, sha256 ${result.sha256})`,
    );
    return 0;
  },
};
