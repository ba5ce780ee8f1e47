/**
 * Extracting a bundle archive, failing closed. Only plain files and folders under one root
 * folder are taken; absolute paths, "..", links, devices, names with NUL or control
 * characters, names longer than a file system allows, an entry that appears twice or that is
 * both a file and a folder are refused before anything is written for them. Every header field
 * is checked (tar.ts), every read is bounded (volumes.ts), and everything lands in a temporary
 * folder that is renamed into place only when the whole archive has been read and its hashes
 * agree, so a bad archive leaves nothing behind and never ends in a stack trace.
 */
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { replaceDirAtomic } from '../core/atomic-write.js';
import { FerryError, isFerryError } from '../core/errors.js';
import {
  damaged,
  EntryPaths,
  entryKindName,
  entrySize,
  pathProblem,
  shown,
  unsafe,
} from './rules.js';
import { BLOCK, MAX_PAX_BYTES, padding, parseHeader, parsePax, TarFormatError } from './tar.js';
import {
  checkAllVolumes,
  planVolumes,
  type VolumePlan,
  VolumeReader,
  volumeDamaged,
  volumeMissing,
  volumeName,
} from './volumes.js';

const CHUNK = 1 << 20;

export interface ExtractResult {
  root: string;
  dir: string;
  /** Relative paths of the extracted files, in archive order. */
  files: string[];
  size: number;
  sha256: string;
}

/** The archive stops before its end-of-archive marker: with volumes, one may be missing. */
class Truncated extends FerryError {}

const truncated = (archive: string, message: string): FerryError =>
  new Truncated('ERR_FERRY_ARCHIVE_DAMAGED', `${archive} is damaged: ${message}`, {
    hint: 'Copy the archive again from the source media.',
  });

/**
 * Extracts a bundle archive (a single NAME.ferry.tar, or its volumes given by the first
 * volume, the base name or the volumes.json) into `destDir`, which must not exist or be
 * empty. The archive's root folder becomes `destDir`.
 */
export async function readBundleArchive(
  pathOrFirstVolume: string,
  destDir: string,
): Promise<ExtractResult> {
  const plan = await planVolumes(pathOrFirstVolume);
  const destExists = await stat(destDir).then(
    (s) => s,
    () => undefined,
  );
  if (
    destExists !== undefined &&
    (!destExists.isDirectory() || (await readdir(destDir)).length > 0)
  ) {
    throw new FerryError(
      'ERR_FERRY_DEST_EXISTS',
      `"${destDir}" already exists and is not an empty folder`,
      {
        hint: 'Name a new folder to extract into.',
      },
    );
  }
  const tmp = join(dirname(destDir), `.${basename(destDir)}.ferry-partial-${process.pid}`);
  const reader = new VolumeReader(plan);
  try {
    await rm(tmp, { recursive: true, force: true });
    // A plain mkdir, with the parent made only when it is missing: a recursive one still in
    // flight when a signal handler removes the parent (src/bundle/open.ts) would make it again.
    const parent = dirname(tmp);
    if ((await stat(parent).catch(() => undefined)) === undefined)
      await mkdir(parent, { recursive: true });
    await mkdir(tmp);
    const result = await extractEntries(reader, plan.archive, tmp);
    await reader.drain();
    const sha256 = reader.whole.digest('hex');
    if (
      plan.expected !== undefined &&
      (plan.expected.sha256 !== sha256 || plan.expected.size !== reader.total)
    ) {
      throw volumeDamaged(
        [`the joined archive has SHA-256 ${sha256}, expected ${plan.expected.sha256}`],
        plan.archive,
      );
    }
    // destDir is absent or an empty folder (checked above): swap the finished folder in.
    await replaceDirAtomic(tmp, destDir);
    return { root: result.root, dir: destDir, files: result.files, size: reader.total, sha256 };
  } catch (error) {
    await reader.close();
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw await explainFailure(error, plan, destDir);
  }
}

/** The error to report for a failed extraction: a volume-level cause when there is one. */
async function explainFailure(error: unknown, plan: VolumePlan, destDir: string): Promise<unknown> {
  if (!isFerryError(error)) {
    // The archive was checked entry by entry, so what is left is the disk: full, read-only, ...
    const e = error as NodeJS.ErrnoException;
    return new FerryError(
      'ERR_FERRY_EXTRACT_FAILED',
      `Could not extract ${plan.archive} into "${destDir}": ${e.code ?? ''} ${e.message}`.replace(
        / {2,}/g,
        ' ',
      ),
      {
        hint: 'Check that the folder is writable and the disk has room for the bundle.',
        cause: error,
      },
    );
  }
  // A tar-level error in a split archive is most likely a damaged volume: name it.
  if (plan.expected !== undefined && error.code !== 'ERR_FERRY_VOLUME_DAMAGED') {
    try {
      await checkAllVolumes(plan);
    } catch (volumeError) {
      if (isFerryError(volumeError)) return volumeError;
    }
    return error;
  }
  // Without volumes.json, volumes that end early all at the same size most likely lack the
  // next one (NAME.ferry.tar.001 … .003 of 3900M each and no .004).
  if (error instanceof Truncated && plan.base !== undefined && plan.expected === undefined) {
    const sizes = plan.sizes;
    if (sizes.length > 0 && sizes.every((s) => s === sizes[0])) {
      const next = basename(volumeName(plan.base, plan.paths.length + 1));
      return volumeMissing(
        [next],
        plan.archive,
        dirname(plan.base),
        ` (the archive ends after ${basename(plan.paths[plan.paths.length - 1]!)}, whose volumes are all ${sizes[0]} bytes)`,
      );
    }
  }
  return error;
}

async function extractEntries(
  reader: VolumeReader,
  archive: string,
  into: string,
): Promise<{ root: string; files: string[] }> {
  let root: string | undefined;
  const files: string[] = [];
  const paths = new EntryPaths(archive);
  const folders = new FoldersUnder(into);
  let pax = new Map<string, string>();
  for (;;) {
    const at = reader.offset;
    const header = await reader.read(BLOCK);
    if (header.length < BLOCK)
      throw truncated(
        archive,
        at === 0
          ? 'it is empty'
          : `it ends in the middle at ${reader.describeOffset(at)} (no end-of-archive marker); a volume may be missing`,
      );
    if (header.every((b) => b === 0)) {
      const second = await reader.read(BLOCK);
      if (second.length < BLOCK || !second.every((b) => b === 0))
        throw damaged(archive, `bad end-of-archive marker at ${reader.describeOffset(at)}`);
      break;
    }
    let entry: ReturnType<typeof parseHeader>;
    try {
      entry = parseHeader(header);
    } catch (error) {
      if (!(error instanceof TarFormatError)) throw error;
      throw damaged(archive, `${error.message} at ${reader.describeOffset(at)}`);
    }
    const { type } = entry;
    if (type === 'x' || type === 'g') {
      if (entry.size > MAX_PAX_BYTES)
        throw damaged(
          archive,
          `the pax header at ${reader.describeOffset(at)} claims ${entry.size} bytes (at most ${MAX_PAX_BYTES})`,
        );
      const want = entry.size + padding(entry.size);
      const data = await reader.read(want);
      if (data.length < want)
        throw truncated(archive, `it ends inside the pax header at ${reader.describeOffset(at)}`);
      let records: Map<string, string>;
      try {
        records = parsePax(data.subarray(0, entry.size));
      } catch (error) {
        if (!(error instanceof TarFormatError)) throw error;
        throw damaged(archive, `${error.message} (the pax header at ${reader.describeOffset(at)})`);
      }
      if (type === 'x') pax = records;
      continue;
    }
    const path = pax.get('path') ?? entry.path;
    const size = entrySize(archive, path, entry.size, pax.get('size'));
    pax = new Map();
    if (type !== '0' && type !== '\0' && type !== '5')
      throw unsafe(archive, path, `it is ${entryKindName(type)}`);
    if (type === '5' && size !== 0)
      throw damaged(archive, `the folder "${shown(path)}" has a size`);
    const clean = path.replace(/\/+$/, '');
    const problem = pathProblem(clean);
    if (problem !== undefined) throw unsafe(archive, path, problem);
    const segments = clean.split('/');
    const top = segments[0]!;
    if (root === undefined) root = top;
    if (top !== root)
      throw unsafe(archive, path, `it lies outside the root folder "${shown(root)}"`);
    paths.add(clean, type === '5' ? 'dir' : 'file', path);
    const rel = segments.slice(1).join('/');
    const target = rel === '' ? into : join(into, rel);
    if (type === '5') {
      await folders.make(rel);
      continue;
    }
    if (rel === '') throw unsafe(archive, path, 'a file cannot be the root folder');
    await folders.make(segments.slice(1, -1).join('/'));
    const mode = (entry.mode & 0o111) !== 0 ? 0o755 : 0o644;
    const handle = await open(target, 'wx', mode);
    try {
      let remaining = size;
      while (remaining > 0) {
        const piece = await reader.read(Math.min(CHUNK, remaining));
        if (piece.length === 0)
          throw truncated(archive, `it ends inside "${shown(path)}"; a volume may be missing`);
        await handle.write(piece);
        remaining -= piece.length;
      }
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
    const pad = padding(size);
    if ((await reader.read(pad)).length < pad)
      throw truncated(archive, `it ends inside "${shown(path)}"`);
    files.push(rel);
  }
  if (root === undefined) throw damaged(archive, 'it holds no files');
  return { root, files };
}

/**
 * Makes folders below an extraction root one level at a time with a plain mkdir, never the
 * root itself: if the root is removed while the archive is read (a signal handler cleaning
 * up), the next mkdir fails instead of making the root again, as `recursive: true` would.
 * Each folder is made once (a file that claims a folder's path is refused by EntryPaths).
 */
class FoldersUnder {
  private readonly made = new Set<string>(['']);
  constructor(private readonly root: string) {}

  async make(relative: string): Promise<void> {
    if (this.made.has(relative)) return;
    let at = '';
    for (const segment of relative.split('/')) {
      at = at === '' ? segment : `${at}/${segment}`;
      if (this.made.has(at)) continue;
      await mkdir(join(this.root, at), { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      this.made.add(at);
    }
  }
}
