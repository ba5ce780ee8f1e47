#!/usr/bin/env node
// ferry as one file. The program is the CommonJS text in the comment that ends this file
// (ASCII, each "*/" in it written with a NUL between the two characters); this prologue reads
// it back and compiles it with V8's code cache, as Node 22's module.enableCompileCache() does
// for a module (Node 20 has no such API for ES modules): compiling ferry's 2.6 MB from source
// costs about 30 ms of every run, reading the bytecode back a few. The cache is one file per
// ferry build (DIGEST, the program's SHA-256, filled in by scripts/build-single.mjs), Node
// version, architecture and command, written when a run finds none, so that it holds the
// functions that command compiled. It lives where Node 22 keeps its own ($NODE_COMPILE_CACHE,
// else the temporary folder), in a folder of this user's, mode 0700, and is used only while
// that folder is this user's and no one else can write to it. NODE_DISABLE_COMPILE_CACHE=1
// turns it off. A cache V8 does not accept is written again; a cache that cannot be read or
// written only costs the compile.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const DIGEST = __FERRY_DIGEST__;

const filename = fileURLToPath(import.meta.url);

/**
 * The program, from this file's closing comment. A comment costs the parser a scan, where the
 * same text as a string literal cost 25 ms more: the file is read once more (it is ASCII, so
 * as latin1: a plain copy) and the comment's escape undone.
 */
function program() {
  const text = readFileSync(filename, 'latin1');
  const marker = `\n/*${'FERRY-PROGRAM'}\n`;
  const start = text.indexOf(marker) + marker.length;
  return text.slice(start, text.lastIndexOf('*/')).replaceAll('*\0/', '*/');
}

/** This user's cache folder, made if missing; undefined when off or not safe to use. */
function cacheFolder() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  const uid = process.getuid?.();
  const base = process.env.NODE_COMPILE_CACHE || tmpdir();
  const dir = join(base, `ferry-code-cache${uid === undefined ? '' : `-${uid}`}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info = statSync(dir);
    // Bytecode is code: never read it from a folder someone else could have written to.
    if (!info.isDirectory() || (info.mode & 0o022) !== 0) return undefined;
    if (uid !== undefined && info.uid !== uid) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

const command = /^[a-z][a-z-]{0,30}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
const folder = cacheFolder();
const prefix = `${DIGEST.slice(0, 16)}-`;
const cacheFile =
  folder && join(folder, `${prefix}${process.version}-${process.arch}-${command}.bin`);
let cachedData;
if (cacheFile !== undefined) {
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
}

const wrapped = `(function (exports, require, module, __filename, __dirname, __ferryImportMetaUrl) {${program()}\n})`;
const script = new Script(wrapped, { filename, ...(cachedData ? { cachedData } : {}) });
if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
  // At exit, so the cache holds every function this command compiled on its way.
  process.once('exit', () => {
    try {
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      renameSync(temporary, cacheFile);
      // Caches of other ferry builds are never read again.
      for (const name of readdirSync(folder))
        if (!name.startsWith(prefix) && /^[0-9a-f]{16}-/.test(name))
          rmSync(join(folder, name), { force: true });
    } catch {}
  });
}
const module = { exports: {} };
script.runInThisContext()(
  module.exports,
  createRequire(filename),
  module,
  filename,
  dirname(filename),
  import.meta.url,
);
