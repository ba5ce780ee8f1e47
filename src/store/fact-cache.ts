/**
 * Facts about this machine that take a process to learn and cannot change while the files
 * they come from are unchanged: an interpreter's tags, marker environment and libc (the host
 * probe), pip's default index and `sys.prefix`. Asking costs a Python start-up (0.3–2 s, more
 * behind a pyenv shim); reading the answer back costs a few `stat`s. uv keeps the same kind of
 * record (its `interpreter-v*` cache, keyed by the executable's path and modification time).
 *
 * An entry is one small JSON file `<cacheDir>/facts/<kind>-<sha256 of the key>.json` holding
 * the key's file fingerprints and the value. It is used only while every fingerprinted file
 * still has the same size, modification time and inode; anything else means "ask again". The
 * entry is written atomically (core/atomic-write.ts) without fsync: a lost entry is re-asked.
 */
import { createHash } from 'node:crypto';
import { readFile as fsReadFile, stat as fsStat, mkdir } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';

/** The file system calls the cache makes; tests pass their own. */
export interface FactCacheIo {
  /** size, mtime (ns) and inode of the file `path` names (links followed), or undefined. */
  fingerprint(path: string): Promise<string | undefined>;
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, text: string): Promise<void>;
}

export const nodeFactCacheIo: FactCacheIo = {
  async fingerprint(path) {
    const info = await fsStat(path, { bigint: true }).catch(() => undefined);
    if (info === undefined) return undefined;
    return `${info.isFile() ? 'f' : info.isDirectory() ? 'd' : 'o'} ${info.size} ${info.mtimeNs} ${info.ino}`;
  },
  readFile: (path) => fsReadFile(path, 'utf8').catch(() => undefined),
  async writeFile(path, text) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFileAtomic(path, text, { sync: false });
  },
};

/** What an entry depends on: plain values, and files whose fingerprints must not change. */
export interface FactKey {
  readonly values: Readonly<Record<string, string | undefined>>;
  /** Files (or folders) whose size, mtime and inode the value depends on; a missing one is a fact too. */
  readonly files: readonly string[];
}

interface Entry<T> {
  readonly values: Record<string, string | undefined>;
  readonly files: Record<string, string | null>;
  /** Files the value itself says it depends on (known only after asking). */
  readonly extraFiles: Record<string, string | null>;
  readonly value: T;
}

export class FactCache {
  constructor(
    readonly dir: string,
    readonly io: FactCacheIo = nodeFactCacheIo,
  ) {}

  #path(kind: string, key: FactKey): string {
    const digest = createHash('sha256')
      .update(JSON.stringify([kind, key.values, key.files]))
      .digest('hex');
    return join(this.dir, 'facts', `${kind}-${digest.slice(0, 32)}.json`);
  }

  async #fingerprints(files: readonly string[]): Promise<Record<string, string | null>> {
    const prints = await Promise.all(files.map((f) => this.io.fingerprint(f)));
    return Object.fromEntries(files.map((f, i) => [f, prints[i] ?? null]));
  }

  /**
   * The cached value while every file it depends on is unchanged; otherwise `compute()`'s, which
   * is then recorded. `dependsOn(value)` names more files learnt from the answer (the real
   * interpreter behind a shim, pip's own source file). A failure to read or write the cache
   * only costs the computation.
   */
  async get<T>(
    kind: string,
    key: FactKey,
    compute: () => Promise<T>,
    dependsOn: (value: T) => readonly string[] = () => [],
  ): Promise<T> {
    const path = this.#path(kind, key);
    const text = await this.io.readFile(path).catch(() => undefined);
    if (text !== undefined) {
      try {
        const entry = JSON.parse(text) as Entry<T>;
        const files = Object.keys(entry.files ?? {});
        const extra = Object.keys(entry.extraFiles ?? {});
        const [now, nowExtra] = await Promise.all([
          this.#fingerprints(files),
          this.#fingerprints(extra),
        ]);
        if (
          JSON.stringify(entry.values) === JSON.stringify(key.values) &&
          sameRecord(entry.files, now) &&
          sameRecord(entry.extraFiles, nowExtra) &&
          files.length === key.files.length
        )
          return entry.value;
      } catch {
        // A torn or foreign entry: ask again and overwrite it.
      }
    }
    // Fingerprint before asking: a file changed while the process runs then misses next time.
    const files = await this.#fingerprints(key.files);
    const value = await compute();
    const extraFiles = await this.#fingerprints(dependsOn(value));
    const entry: Entry<T> = { values: { ...key.values }, files, extraFiles, value };
    await this.io.writeFile(path, `${JSON.stringify(entry)}\n`).catch(() => undefined);
    return value;
  }
}

function sameRecord(
  then: Record<string, string | null> | undefined,
  now: Record<string, string | null>,
): boolean {
  if (then === undefined) return false;
  const keys = Object.keys(then);
  return keys.length === Object.keys(now).length && keys.every((k) => then[k] === now[k]);
}

/**
 * Where a command is found, as `execvp` would find it (a name with a slash is taken as a
 * path). Only existence is checked, through `fingerprint`; undefined when it is nowhere.
 */
export async function findCommand(
  command: string,
  env: NodeJS.ProcessEnv,
  io: Pick<FactCacheIo, 'fingerprint'> = nodeFactCacheIo,
  cwd: string = process.cwd(),
): Promise<string | undefined> {
  if (command.includes('/')) return isAbsolute(command) ? command : resolve(cwd, command);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(resolve(cwd, dir), command);
    const print = await io.fingerprint(candidate);
    if (print?.startsWith('f ')) return candidate;
  }
  return undefined;
}

/**
 * The key of "what running `command` starts": the file found on PATH and its fingerprint,
 * plus what a version manager's shim reads to pick the real interpreter (pyenv: PYENV_VERSION,
 * `$PYENV_ROOT/version`, `.python-version` in the working folder and above; conda and
 * virtualenv activation change PATH, which is part of the key through the file found).
 * The real executable behind a shim is added by the caller once the interpreter has told it.
 */
export async function interpreterKey(
  command: string,
  env: NodeJS.ProcessEnv,
  io: Pick<FactCacheIo, 'fingerprint'> = nodeFactCacheIo,
  cwd: string = process.cwd(),
): Promise<FactKey | undefined> {
  const found = await findCommand(command, env, io, cwd);
  if (found === undefined) return undefined;
  const files = [found];
  const home = env.HOME ?? '';
  const pyenvRoot = env.PYENV_ROOT ?? (home === '' ? undefined : join(home, '.pyenv'));
  if (pyenvRoot !== undefined) files.push(join(pyenvRoot, 'version'));
  for (let dir = resolve(cwd); ; dir = resolve(dir, '..')) {
    files.push(join(dir, '.python-version'));
    if (dir === resolve(dir, '..')) break;
  }
  return {
    values: {
      command: found,
      PYENV_VERSION: env.PYENV_VERSION,
      PYENV_ROOT: env.PYENV_ROOT,
      PYTHONHOME: env.PYTHONHOME,
    },
    files,
  };
}
