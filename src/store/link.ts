/**
 * Putting a stored file at a destination: a hard link when both lie on one file system (no
 * bytes copied; store entries are read-only, so a link cannot be edited by accident), else a
 * copy-on-write clone where the file system offers one (COPYFILE_FICLONE: btrfs, XFS), else a
 * plain copy. The destination is replaced atomically, so a reader never sees it half-written.
 */
import { constants } from 'node:fs';
import { copyFile, link, rename, rm } from 'node:fs/promises';
import { tempPathFor } from '../core/atomic-write.js';

export interface LinkIo {
  readonly link: (from: string, to: string) => Promise<void>;
  readonly copyFile: (from: string, to: string, mode: number) => Promise<void>;
}

const nodeIo: LinkIo = { link, copyFile };

/** How `dest` came to hold the file. */
export type LinkedBy = 'link' | 'copy';

export async function linkOrCopy(
  source: string,
  dest: string,
  io: LinkIo = nodeIo,
): Promise<LinkedBy> {
  const tmp = tempPathFor(dest);
  let how: LinkedBy = 'link';
  try {
    try {
      await io.link(source, tmp);
    } catch {
      // EXDEV (another file system), EPERM (no hard links there), EMLINK, ...: copy instead.
      // COPYFILE_FICLONE clones where it can and copies where it cannot.
      how = 'copy';
      await io.copyFile(source, tmp, constants.COPYFILE_FICLONE);
    }
    await rename(tmp, dest);
    // POSIX rename() does nothing when both names already link to the same file: tidy up.
    await rm(tmp, { force: true });
    return how;
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}
