/**
 * The single-file bundle: a deterministic POSIX ustar archive (pax records only where a path
 * does not fit ustar's 100+155 bytes or a file is 8 GiB or larger), optionally split into
 * volumes for media with a size limit (FAT32, DVD, a transfer system's quota).
 *
 * Determinism: entries sorted by path in byte order under one root folder, mtime fixed
 * (0, or what the caller passes, e.g. SOURCE_DATE_EPOCH), uid/gid 0, empty owner names,
 * modes 0644 for files and 0755 for folders and executables (install.py is always 0755),
 * no other headers, padded to 10240-byte records the way tar does. The same tree gives the
 * same bytes wherever it lies and whatever its timestamps.
 *
 * Split volumes: NAME.ferry.tar.001, .002, ... of at most splitBytes each, plus
 * NAME.ferry.tar.volumes.json with each volume's size and SHA-256 and the whole archive's,
 * so `cat NAME.ferry.tar.0* > NAME.ferry.tar` restores the archive and a missing or damaged
 * volume is named before anything is extracted.
 *
 * The tar format (headers, pax records, writing and reading), volumes, sizes and extraction
 * live in src/archive/; this module only decides what of a bundle folder goes in, and how.
 */
import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { BLOCK, USTAR_MAX_SIZE } from '../archive/tar.js';
import {
  VOLUMES_FORMAT,
  VOLUMES_SUFFIX,
  type VolumeInfo,
  type VolumesFile,
  VolumeWriter,
  volumeName,
} from '../archive/volumes.js';
import { type TarSource, writeTarEntries } from '../archive/write-tar.js';
import { FerryError } from '../core/errors.js';
import { writeFileAtomic } from '../store/index.js';
import { unsafePathReason } from './sha256sums.js';

export const ARCHIVE_SUFFIX = '.ferry.tar';

export interface PackOptions {
  /** Split into volumes of at most this many bytes. */
  splitBytes?: number;
  /** Seconds since the epoch for every entry's mtime (default 0). */
  mtime?: number;
  /** The archive's root folder (default: the output name without ".ferry.tar"). */
  root?: string;
}

export interface PackResult {
  /** Paths written: the archive, or the volumes followed by the volumes.json. */
  files: string[];
  size: number;
  sha256: string;
  entries: number;
  volumes?: VolumeInfo[];
}

async function collectEntries(dir: string, root: string): Promise<TarSource[]> {
  const entries: TarSource[] = [
    { archivePath: `${root}/`, source: dir, type: '5', size: 0, mode: 0o755 },
  ];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(rel === '' ? dir : join(dir, rel))) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const reason = unsafePathReason(relPath);
      if (reason !== undefined)
        throw new FerryError('ERR_FERRY_BAD_PATH', `Cannot pack "${relPath}": ${reason}`, {
          hint: `Remove or rename "${relPath}" in ${dir}; a bundle holds only plain, safe names.`,
        });
      const source = join(dir, relPath);
      const st = await lstat(source);
      if (st.isDirectory()) {
        entries.push({
          archivePath: `${root}/${relPath}/`,
          source,
          type: '5',
          size: 0,
          mode: 0o755,
        });
        await walk(relPath);
      } else if (st.isFile()) {
        const executable = relPath === 'install.py' || (st.mode & 0o100) !== 0;
        entries.push({
          archivePath: `${root}/${relPath}`,
          source,
          type: '0',
          size: st.size,
          mode: executable ? 0o755 : 0o644,
        });
      } else {
        throw new FerryError(
          'ERR_FERRY_UNSUPPORTED_FILE',
          `Cannot pack "${relPath}": only regular files and folders go into a bundle (no links or devices)`,
          {
            hint: 'Replace the link with a copy of the file.',
          },
        );
      }
    }
  };
  await walk('');
  return entries.sort((a, b) =>
    Buffer.compare(Buffer.from(a.archivePath), Buffer.from(b.archivePath)),
  );
}

const archiveName = (outFile: string): string => basename(outFile);

export function defaultRoot(outFile: string): string {
  const name = archiveName(outFile);
  return name.endsWith(ARCHIVE_SUFFIX)
    ? name.slice(0, -ARCHIVE_SUFFIX.length)
    : name.replace(/\.tar$/, '');
}

function destination(outFile: string, problem: string, hint: string): FerryError {
  return new FerryError(
    'ERR_FERRY_DESTINATION',
    `Cannot write the archive "${outFile}": ${problem}`,
    {
      hint,
    },
  );
}

/**
 * Checks the path `pack -o` names before anything is read or written: not empty, not a
 * folder or a device (renaming over /dev/null would replace the device), and a folder to put
 * it in that exists or can be created (a file in the way is named). The CLI calls this first,
 * so a typo costs no time spent checking the bundle.
 */
export async function checkPackOutput(outFile: string): Promise<void> {
  if (outFile.trim() === '')
    throw new FerryError('ERR_FERRY_USAGE', 'The archive path is empty', {
      hint: 'Give the file to write, e.g. -o NAME.ferry.tar.',
    });
  const path = resolvePath(outFile);
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory() === true)
    throw destination(
      outFile,
      'it is a folder',
      `Name the archive file to write, e.g. -o ${join(outFile, 'NAME.ferry.tar')}.`,
    );
  if (st !== undefined && !st.isFile())
    throw destination(outFile, 'it exists and is not a regular file', 'Choose another -o path.');
  // The nearest folder that exists: it must be a folder, not a file in the way.
  for (let parent = dirname(path); ; parent = dirname(parent)) {
    const info = await stat(parent).catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' || error.code === 'ENOTDIR' ? undefined : error,
    );
    if (info instanceof Error) {
      throw destination(
        outFile,
        `"${parent}" cannot be read (${info.code})`,
        'Choose another -o path.',
      );
    }
    if (info === undefined) {
      if (dirname(parent) === parent) break;
      continue;
    }
    if (!info.isDirectory())
      throw destination(
        outFile,
        `"${parent}" is a file, not a folder`,
        'Choose an -o path inside a folder (ferry creates missing folders).',
      );
    break;
  }
}

/**
 * Packs `dir` into `outFile` (NAME.ferry.tar), or into NAME.ferry.tar.001... and
 * NAME.ferry.tar.volumes.json when `splitBytes` is given. Files are written under temporary
 * names and renamed at the end, so a failure leaves nothing half-written. The folder `outFile`
 * goes into is created when missing.
 */
export async function packBundle(
  dir: string,
  outFile: string,
  opts: PackOptions = {},
): Promise<PackResult> {
  await checkPackOutput(outFile);
  const mtime = opts.mtime ?? 0;
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > USTAR_MAX_SIZE) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `The archive time ${mtime} is not a whole number of seconds since 1970`,
      {
        hint: "Set SOURCE_DATE_EPOCH to whole seconds since 1970, or unset it to use the manifest's createdAt.",
      },
    );
  }
  if (
    opts.splitBytes !== undefined &&
    (!Number.isSafeInteger(opts.splitBytes) || opts.splitBytes < BLOCK)
  ) {
    throw new FerryError(
      'ERR_FERRY_BAD_SIZE',
      `The volume size ${opts.splitBytes} is too small (at least 512 bytes)`,
      { hint: 'Give --split a size of at least 512 bytes, e.g. 3900M for FAT32 media.' },
    );
  }
  const root = opts.root ?? defaultRoot(outFile);
  if (root === '' || unsafePathReason(root) !== undefined || root.includes('/')) {
    throw new FerryError(
      'ERR_FERRY_BAD_PATH',
      `"${root}" cannot be the archive's root folder name`,
      {
        hint: 'Name the archive NAME.ferry.tar with a plain NAME (no "/", ".." or control characters).',
      },
    );
  }
  const info = await stat(dir).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    throw new FerryError('ERR_FERRY_NOT_A_BUNDLE', `"${dir}" is not a folder`, {
      hint: 'Give the bundle folder `ferry bundle -o` wrote.',
    });
  }
  const entries = await collectEntries(dir, root);
  try {
    await mkdir(dirname(resolvePath(outFile)), { recursive: true });
  } catch (error) {
    throw destination(
      outFile,
      `its folder cannot be created (${(error as NodeJS.ErrnoException).code})`,
      'Choose another -o path.',
    );
  }
  const writer = new VolumeWriter(outFile, opts.splitBytes);
  try {
    await writeTarEntries(entries, writer, mtime);
    const { sha256 } = await writer.finish();
    await writer.commit();
    const volumes: VolumeInfo[] = writer.volumes.map(({ name, size, sha256: hash }) => ({
      name,
      size,
      sha256: hash,
    }));
    if (opts.splitBytes === undefined) {
      return { files: [outFile], size: writer.total, sha256, entries: entries.length };
    }
    const manifest: VolumesFile = {
      format: VOLUMES_FORMAT,
      archive: archiveName(outFile),
      size: writer.total,
      sha256,
      volumeBytes: opts.splitBytes,
      volumes,
    };
    const jsonPath = `${outFile}${VOLUMES_SUFFIX}`;
    try {
      await writeFileAtomic(jsonPath, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
    } catch (error) {
      throw destination(
        jsonPath,
        `${(error as NodeJS.ErrnoException).code ?? ''} ${(error as Error).message}`.trim(),
        'Choose another -o path, or make room on its disk.',
      );
    }
    // Volumes left over from an earlier, larger pack under the same name would confuse `cat`.
    for (let i = volumes.length + 1; ; i++) {
      const stale = volumeName(outFile, i);
      if (
        !(await stat(stale).then(
          () => true,
          () => false,
        ))
      )
        break;
      await rm(stale, { force: true });
    }
    return {
      files: [...writer.volumes.map((v) => v.path), jsonPath],
      size: writer.total,
      sha256,
      entries: entries.length,
      volumes,
    };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
