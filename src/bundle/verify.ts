/**
 * `ferry verify`: proves, fully offline, that a bundle folder is what its signers approved.
 * Fails closed; every problem names the file and what is wrong:
 *   - integrity: every file SHA256SUMS lists is present with that SHA-256, nothing else lies
 *     in the bundle (signatures/ excepted), links and special files are refused;
 *   - manifest: manifest.json agrees with SHA256SUMS (hash) and with the files (size, SM3 when
 *     recorded), every wheel in wheels/ is named in it;
 *   - closure: every package has a file, every dependency edge points to a package present;
 *   - trust: SHA256SUMS carries valid signatures from at least N distinct keys the user named.
 *     Keys inside the bundle are never trusted. A signature file must be named after the key
 *     that made it and be in canonical form (so renaming or re-encoding one is noticed).
 * Problems are classified tampered / incomplete / untrusted; the error code (and so the exit
 * status 5 / 6 / 7) is the first of those that occurred, in that order.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCode } from '../core/error-codes.js';
import { FerryError } from '../core/errors.js';
import { hashFile } from '../core/hash-file.js';
import { derSequence, derUnsigned } from '../trust/der.js';
import { parseMinisignSignature } from '../trust/ed25519-minisign.js';
import type { TrustedKey } from '../trust/keys.js';
import { parseSm2Signature } from '../trust/sm2.js';
import {
  checkSignatures,
  type SignatureFile,
  type UnknownSignature,
  type ValidSignature,
} from '../trust/verify-signatures.js';
import {
  BUNDLE_FORMAT_VERSION,
  type Manifest,
  type ManifestBuilt,
  parseManifest,
} from './manifest.js';
import { parseSha256Sums, unsafePathReason } from './sha256sums.js';
import { BUNDLE_FILES } from './write-folder.js';

export type ProblemKind = 'tampered' | 'incomplete' | 'untrusted';

export interface VerifyProblem {
  readonly kind: ProblemKind;
  /** The bundle path the problem is about (or an option such as "--trusted-key"). */
  readonly path: string;
  readonly message: string;
}

export interface VerifyOptions {
  /** Keys the user trusts (loadTrustedKeys); never keys from the bundle. */
  readonly trustedKeys?: readonly TrustedKey[];
  /** Distinct trusted signers needed (default 1). */
  readonly requireSigners?: number;
  /** With no trusted keys: check integrity only and report that signatures were not checked. */
  readonly allowUnsigned?: boolean;
  /**
   * The bundle as the user named it (an archive), shown in messages instead of `dir` (the
   * temporary folder an archive was extracted to).
   */
  readonly label?: string;
}

export interface VerifyReport {
  readonly dir: string;
  readonly ok: boolean;
  readonly formatVersion: number | undefined;
  readonly files: number;
  readonly packages: number;
  /** A delta bundle: the files it relies on but does not carry (0 for a full bundle). */
  readonly baseFiles: number;
  readonly signatures: {
    /** false when no trusted key was given (--allow-unsigned). */
    readonly checked: boolean;
    readonly required: number;
    readonly signers: readonly string[];
    readonly valid: readonly ValidSignature[];
    readonly unknown: readonly UnknownSignature[];
  };
  readonly problems: readonly VerifyProblem[];
  /**
   * Wheels ferry built from an sdist on the bundling host (manifest files[].built), not
   * downloaded: what each came from and who built it. Empty when there are none.
   */
  readonly built: readonly BuiltWheel[];
  /** sdists carried to be built on the target (--allow-sdist), bundle-relative paths. */
  readonly sdists: readonly string[];
}

/** A built wheel as the report shows it. */
export type BuiltWheel = {
  readonly path: string;
  readonly name: string;
  readonly version: string;
} & ManifestBuilt;

/** Files every format-1 bundle has (pylock.toml is optional). */
export const REQUIRED_FILES = [
  BUNDLE_FILES.manifest,
  BUNDLE_FILES.requirements,
  BUNDLE_FILES.installPy,
  BUNDLE_FILES.readme,
  BUNDLE_FILES.sbom,
] as const;

const SIG_PREFIX = `${BUNDLE_FILES.signatures}/`;
/** Where a bundle carries tools (`ferry pack --with-ferry`: tools/ferry.mjs). */
const TOOLS_DIR = 'tools';
const MINISIG_NAME = /^([0-9A-F]{16})\.minisig$/;
const SM2_NAME = /^([0-9A-F]{16})\.sm2\.sig$/;
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const normalize = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/** Checks a bundle folder and reports every problem; throws only for unreadable input (I/O). */
export async function checkBundle(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const add = (kind: ProblemKind, path: string, message: string): void => {
    problems.push({ kind, path, message });
  };
  const requireSigners = options.requireSigners ?? 1;
  const { files, folders } = await walk(dir, add);
  const present = new Set(files);
  let manifest: Manifest | undefined;
  let sumsBytes: Buffer | undefined;
  const sigReport = {
    checked: false,
    required: requireSigners,
    signers: [] as string[],
    valid: [] as ValidSignature[],
    unknown: [] as UnknownSignature[],
  };

  if (!present.has(BUNDLE_FILES.sums)) {
    add('incomplete', BUNDLE_FILES.sums, 'missing; nothing in the bundle can be checked');
  } else {
    sumsBytes = await readOrReport(join(dir, BUNDLE_FILES.sums), BUNDLE_FILES.sums, add);
  }
  if (sumsBytes !== undefined) {
    const listed = await checkSums(dir, sumsBytes, files, add);
    for (const path of REQUIRED_FILES) {
      if (!listed.has(path) && !present.has(path))
        add('incomplete', path, `missing (every bundle of format ${BUNDLE_FORMAT_VERSION} has it)`);
    }
    const manifestBytes = present.has(BUNDLE_FILES.manifest)
      ? await readOrReport(join(dir, BUNDLE_FILES.manifest), BUNDLE_FILES.manifest, add)
      : undefined;
    if (manifestBytes !== undefined) {
      try {
        manifest = parseManifest(manifestBytes.toString('utf8'), BUNDLE_FILES.manifest);
      } catch (error) {
        add('tampered', BUNDLE_FILES.manifest, `cannot be read: ${(error as Error).message}`);
      }
    }
    if (manifest !== undefined) await checkManifest(dir, manifest, listed, present, add);
    await checkTrust(dir, sumsBytes, options, files, folders, sigReport, add);
  }
  return {
    dir,
    ok: problems.length === 0,
    formatVersion: manifest?.formatVersion,
    files: files.length,
    // Distinct packages: a manifest that lists one twice is refused, and not counted twice.
    packages: new Set(manifest?.packages.map((p) => `${normalize(p.name)}@${p.version}`)).size,
    baseFiles: manifest?.baseFiles?.length ?? 0,
    signatures: sigReport,
    problems,
    built: (manifest?.files ?? []).flatMap((f) =>
      f.built === undefined ? [] : [{ path: f.path, name: f.name, version: f.version, ...f.built }],
    ),
    sdists: (manifest?.files ?? []).filter((f) => !f.path.endsWith('.whl')).map((f) => f.path),
  };
}

/** The report's lines for built wheels and carried sdists (the human form of `built`, `sdists`). */
export function describeBuilt(report: Pick<VerifyReport, 'built' | 'sdists'>): string[] {
  const lines: string[] = [];
  for (const b of report.built) {
    const h = b.builder;
    lines.push(
      `built, not downloaded: ${b.path} (${b.name} ${b.version})`,
      `  from sdist ${b.sdist.filename} sha256 ${b.sdist.sha256}`,
      `    ${b.sdist.url}`,
      `  backend ${b.backend}; build requirements ${b.buildRequires.join(', ') || 'none'}`,
      `  builder ${h.os} ${h.arch}${h.glibc === undefined ? '' : ` glibc ${h.glibc}`} ${h.implementation} ${h.python}; network ${b.networkIsolated ? 'cut' : 'NOT cut'} during the build`,
    );
  }
  for (const s of report.sdists) lines.push(`sdist carried, built on the target at install: ${s}`);
  return lines;
}

const CODES: Record<ProblemKind, ErrorCode> = {
  tampered: 'ERR_FERRY_TAMPERED',
  incomplete: 'ERR_FERRY_INCOMPLETE',
  untrusted: 'ERR_FERRY_UNTRUSTED',
};

/** Like checkBundle, but throws ERR_FERRY_TAMPERED / _INCOMPLETE / _UNTRUSTED naming every problem. */
export async function verifyBundle(
  dir: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const report = await checkBundle(dir, options);
  if (report.ok) return report;
  const kind = (['tampered', 'incomplete', 'untrusted'] as const).find((k) =>
    report.problems.some((p) => p.kind === k),
  )!;
  const what = {
    tampered: 'has been changed or damaged',
    incomplete: 'is incomplete',
    untrusted: 'is not signed by enough keys you trust',
  }[kind];
  throw new FerryError(
    CODES[kind],
    `The bundle ${options.label ?? dir} ${what} (${report.problems.length} problem(s)):\n${report.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    {
      hint:
        kind === 'untrusted'
          ? "Name the signers' public keys with --trusted-key (obtained out of band), or get a bundle signed by them. Do not install it."
          : report.problems.some((p) => p.message.startsWith('cannot be read ('))
            ? 'Do not install it. Something in the bundle cannot be read: fix its permissions (chmod -R u+rX BUNDLE) or copy the bundle again from its source, then verify again.'
            : 'Do not install it. Copy the bundle again from its source (or rebuild it), then verify again.',
      details: { ...report },
    },
  );
}

type Add = (kind: ProblemKind, path: string, message: string) => void;

/**
 * No bundle folder is deeper than one level (wheels/, signatures/); anything past this depth is
 * refused unread, so a tree nested past PATH_MAX cannot hide a file from the walk. install.py
 * uses the same limit, so both verifiers make the same decision.
 */
export const MAX_FOLDER_DEPTH = 8;

/** A file name for messages: printable ASCII as it is, every other byte as \xNN (as install.py). */
export function showName(raw: Buffer): string {
  let out = '';
  for (const b of raw)
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why an fs call failed, as the errno name (EACCES, ENAMETOOLONG) when there is one. */
const errnoOf = (error: unknown): string =>
  (error as NodeJS.ErrnoException).code ?? (error as Error).message;

const UNREADABLE = 'what it holds cannot be checked, so the bundle is refused';

/**
 * Every regular file (relative POSIX paths, byte order) and every folder of the bundle.
 * Fails closed on what it cannot see: a folder or file it cannot read, a name that is not
 * UTF-8, a folder nested deeper than MAX_FOLDER_DEPTH, links and special files are problems
 * (tampered), never skipped in silence and never a crash.
 */
async function walk(dir: string, add: Add): Promise<{ files: string[]; folders: string[] }> {
  const files: string[] = [];
  const folders: string[] = [];
  const pending: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { rel: prefix, depth } = next;
    let names: Buffer[];
    try {
      names = await readdir(prefix === '' ? dir : join(dir, prefix), { encoding: 'buffer' });
    } catch (error) {
      add(
        'tampered',
        prefix === '' ? '.' : `${prefix}/`,
        `cannot be read (${errnoOf(error)}); ${UNREADABLE}`,
      );
      continue;
    }
    for (const raw of names) {
      let name: string;
      try {
        name = utf8.decode(raw);
      } catch {
        add(
          'tampered',
          prefix === '' ? showName(raw) : `${prefix}/${showName(raw)}`,
          'has a name that is not UTF-8; no ferry bundle holds one, and it cannot be listed in SHA256SUMS',
        );
        continue;
      }
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(join(dir, rel));
      } catch (error) {
        add('tampered', rel, `cannot be read (${errnoOf(error)}); ${UNREADABLE}`);
        continue;
      }
      if (st.isDirectory()) {
        if (depth + 1 > MAX_FOLDER_DEPTH) {
          add(
            'tampered',
            `${rel}/`,
            `is nested more than ${MAX_FOLDER_DEPTH} folders deep; a bundle's folders are one level deep (wheels/, signatures/), so it is refused unread`,
          );
          continue;
        }
        folders.push(rel);
        pending.push({ rel, depth: depth + 1 });
      } else if (st.isFile()) files.push(rel);
      else
        add('tampered', rel, 'is not a regular file or folder (links are not allowed in a bundle)');
    }
  }
  return { files: files.sort(byteOrder), folders: folders.sort(byteOrder) };
}

/** Reads a file the walk found; a read that fails is a problem, not a crash. */
async function readOrReport(path: string, rel: string, add: Add): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    add('tampered', rel, `cannot be read (${errnoOf(error)}); ${UNREADABLE}`);
    return undefined;
  }
}

async function hashOrReport(
  path: string,
  rel: string,
  algorithm: 'sha256' | 'sm3',
  add: Add,
): Promise<string | undefined> {
  try {
    return await hashFile(path, algorithm);
  } catch (error) {
    add('tampered', rel, `cannot be read (${errnoOf(error)}); ${UNREADABLE}`);
    return undefined;
  }
}

/** SHA256SUMS against the files; returns path → listed SHA-256. */
async function checkSums(
  dir: string,
  sumsBytes: Buffer,
  files: readonly string[],
  add: Add,
): Promise<Map<string, string>> {
  const listed = new Map<string, string>();
  let entries: { path: string; sha256: string }[];
  try {
    entries = parseSha256Sums(new TextDecoder('utf-8', { fatal: true }).decode(sumsBytes));
  } catch (error) {
    add('tampered', BUNDLE_FILES.sums, `cannot be read: ${(error as Error).message}`);
    return listed;
  }
  const covered = files.filter((p) => p !== BUNDLE_FILES.sums && !p.startsWith(SIG_PREFIX));
  const present = new Set(covered);
  for (const e of entries) {
    listed.set(e.path, e.sha256);
    if (!present.has(e.path)) {
      add('incomplete', e.path, `missing (listed in ${BUNDLE_FILES.sums})`);
      continue;
    }
    const actual = await hashOrReport(join(dir, e.path), e.path, 'sha256', add);
    if (actual !== undefined && actual !== e.sha256)
      add('tampered', e.path, `SHA-256 is ${actual}, ${BUNDLE_FILES.sums} says ${e.sha256}`);
  }
  for (const path of covered) {
    if (!listed.has(path))
      add('tampered', path, `not listed in ${BUNDLE_FILES.sums} (an extra file)`);
  }
  return listed;
}

async function checkManifest(
  dir: string,
  manifest: Manifest,
  listed: ReadonlyMap<string, string>,
  present: ReadonlySet<string>,
  add: Add,
): Promise<void> {
  const named = new Set<string>();
  const have = new Set<string>();
  for (const f of manifest.files) {
    const reason = unsafePathReason(f.path);
    if (reason !== undefined) {
      add('tampered', BUNDLE_FILES.manifest, `names the unsafe path "${f.path}": ${reason}`);
      continue;
    }
    // A second entry for one path would count its package twice and could disagree with the
    // first about size or hash; ferry writes each file once.
    if (named.has(f.path)) {
      add('tampered', f.path, `is named more than once in ${BUNDLE_FILES.manifest}`);
      continue;
    }
    named.add(f.path);
    have.add(`${normalize(f.name)}@${f.version}`);
    if (listed.get(f.path) !== f.sha256)
      add(
        'tampered',
        f.path,
        `${BUNDLE_FILES.manifest} and ${BUNDLE_FILES.sums} disagree about its SHA-256`,
      );
    if (!present.has(f.path)) {
      add('incomplete', f.path, `missing (named in ${BUNDLE_FILES.manifest})`);
      continue;
    }
    const size = (await lstat(join(dir, f.path)).catch(() => undefined))?.size;
    if (size !== undefined && size !== f.size)
      add('tampered', f.path, `is ${size} bytes, ${BUNDLE_FILES.manifest} says ${f.size}`);
    if (f.sm3 !== undefined) {
      const sm3 = await hashOrReport(join(dir, f.path), f.path, 'sm3', add);
      if (sm3 !== undefined && sm3 !== f.sm3)
        add('tampered', f.path, `SM3 is ${sm3}, ${BUNDLE_FILES.manifest} says ${f.sm3}`);
    }
  }
  // Tools (tools/ferry.mjs): the same agreement as a wheel's, and nothing unnamed in tools/.
  const tools = new Set<string>();
  for (const t of manifest.tools ?? []) {
    const reason = unsafePathReason(t.path);
    if (reason !== undefined || !t.path.startsWith(`${TOOLS_DIR}/`)) {
      add(
        'tampered',
        BUNDLE_FILES.manifest,
        `names the tool path "${t.path}": ${reason ?? `tools live in ${TOOLS_DIR}/`}`,
      );
      continue;
    }
    if (tools.has(t.path) || named.has(t.path)) {
      add('tampered', t.path, `is named more than once in ${BUNDLE_FILES.manifest}`);
      continue;
    }
    tools.add(t.path);
    if (listed.get(t.path) !== t.sha256)
      add(
        'tampered',
        t.path,
        `${BUNDLE_FILES.manifest} and ${BUNDLE_FILES.sums} disagree about its SHA-256`,
      );
    if (!present.has(t.path)) {
      add('incomplete', t.path, `missing (named in ${BUNDLE_FILES.manifest})`);
      continue;
    }
    const size = (await lstat(join(dir, t.path)).catch(() => undefined))?.size;
    if (size !== undefined && size !== t.size)
      add('tampered', t.path, `is ${size} bytes, ${BUNDLE_FILES.manifest} says ${t.size}`);
  }
  checkBaseFiles(manifest, named, have, add);
  for (const p of present) {
    if (p.startsWith(`${BUNDLE_FILES.wheels}/`) && !named.has(p))
      add('tampered', p, `not named in ${BUNDLE_FILES.manifest}`);
    if (p.startsWith(`${TOOLS_DIR}/`) && !tools.has(p))
      add('tampered', p, `not named in ${BUNDLE_FILES.manifest} (tools[])`);
  }
  const names = new Set(manifest.packages.map((p) => normalize(p.name)));
  const listedPackages = new Set<string>();
  for (const p of manifest.packages) {
    const key = `${normalize(p.name)}@${p.version}`;
    if (listedPackages.has(key))
      add(
        'tampered',
        BUNDLE_FILES.manifest,
        `lists the package ${p.name} ${p.version} more than once`,
      );
    listedPackages.add(key);
    if (!have.has(`${normalize(p.name)}@${p.version}`))
      add('incomplete', BUNDLE_FILES.manifest, `${p.name} ${p.version} has no file in the bundle`);
    for (const dep of p.dependencies) {
      if (!names.has(normalize(dep)))
        add(
          'incomplete',
          BUNDLE_FILES.manifest,
          `${p.name} depends on ${dep}, which is not in the bundle`,
        );
    }
  }
}

/**
 * A delta bundle's baseFiles (docs/deltas.md): files of the closure it relies on but does not
 * carry. They count for completeness (carried + base-listed); their bytes are checked where the
 * base is (`ferry import`, `ferry install --base`). install.py makes the same checks.
 */
function checkBaseFiles(
  manifest: Manifest,
  named: ReadonlySet<string>,
  have: Set<string>,
  add: Add,
): void {
  const baseFiles = manifest.baseFiles ?? [];
  if (baseFiles.length > 0 && manifest.base === undefined)
    add('tampered', BUNDLE_FILES.manifest, 'lists baseFiles but names no base');
  const seen = new Set<string>();
  for (const f of baseFiles) {
    if (f.filename === '' || /[\\/]/.test(f.filename) || f.filename.startsWith('.')) {
      add('tampered', BUNDLE_FILES.manifest, `names the unsafe base file name "${f.filename}"`);
      continue;
    }
    if (seen.has(f.filename) || named.has(`${BUNDLE_FILES.wheels}/${f.filename}`)) {
      add('tampered', f.filename, `is named more than once in ${BUNDLE_FILES.manifest}`);
      continue;
    }
    seen.add(f.filename);
    have.add(`${normalize(f.name)}@${f.version}`);
  }
}

/**
 * The bytes a well-formed signature file must have: minisign's four lines exactly as minisign
 * and ferry write them (only the untrusted comment, which no signature covers, is free), or a
 * DER SM2 signature in its one canonical encoding.
 */
function canonicalProblem(name: string, bytes: Buffer): string | undefined {
  if (name.endsWith('.minisig')) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return 'is not UTF-8 text';
    }
    let parsed: ReturnType<typeof parseMinisignSignature>;
    try {
      parsed = parseMinisignSignature(text);
    } catch (error) {
      return `is damaged: ${(error as Error).message}`;
    }
    const untrusted = text.slice(0, text.indexOf('\n'));
    const algorithm = Buffer.from(parsed.algorithm, 'latin1');
    const expected = `${untrusted}\n${Buffer.concat([algorithm, parsed.keyNum, parsed.signature]).toString('base64')}\ntrusted comment: ${parsed.trustedComment}\n${parsed.globalSignature.toString('base64')}\n`;
    if (text !== expected) return 'is damaged: not in the canonical minisign layout';
    const id = MINISIG_NAME.exec(name)?.[1];
    if (id === undefined) return 'is not named KEYID.minisig';
    if (id !== parsed.keyId) return `was made by key ${parsed.keyId} but is named ${id}`;
    return undefined;
  }
  if (name.endsWith('.sm2.sig')) {
    if (!SM2_NAME.test(name)) return 'is not named KEYID.sm2.sig';
    const sig = parseSm2Signature(bytes);
    if (sig === undefined) return 'is damaged: not a DER SM2 signature';
    if (!derSequence(derUnsigned(sig.r), derUnsigned(sig.s)).equals(bytes))
      return 'is damaged: not in canonical DER';
    return undefined;
  }
  return 'is not a signature file (KEYID.minisig or KEYID.sm2.sig)';
}

async function checkTrust(
  dir: string,
  sumsBytes: Buffer,
  options: VerifyOptions,
  files: readonly string[],
  folders: readonly string[],
  report: {
    checked: boolean;
    required: number;
    signers: string[];
    valid: ValidSignature[];
    unknown: UnknownSignature[];
  },
  add: Add,
): Promise<void> {
  const trusted = options.trustedKeys ?? [];
  if (!Number.isInteger(report.required) || report.required < 1) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      `The number of required signers must be 1 or more, got ${report.required}`,
      { hint: 'Give --require-signers a whole number of 1 or more.' },
    );
  }
  // signatures/ holds signature files and nothing else, whatever the trust mode: with
  // --allow-unsigned too, so ferry verify and install.py refuse the same bundles.
  for (const folder of folders) {
    const name = folder.slice(SIG_PREFIX.length);
    if (folder.startsWith(SIG_PREFIX) && !name.includes('/'))
      add('untrusted', folder, 'is not a signature file (signatures/ holds only files)');
  }
  const sigFiles: SignatureFile[] = [];
  for (const path of files.filter((p) => p.startsWith(SIG_PREFIX))) {
    const name = path.slice(SIG_PREFIX.length);
    if (name.includes('/')) continue; // inside a folder of signatures/, refused above
    if (!MINISIG_NAME.test(name) && !SM2_NAME.test(name)) {
      add('untrusted', path, 'is not a signature file (KEYID.minisig or KEYID.sm2.sig)');
      continue;
    }
    const bytes = await readOrReport(join(dir, path), path, add);
    if (bytes !== undefined) sigFiles.push({ name, bytes });
  }
  if (trusted.length === 0) {
    if (options.allowUnsigned !== true) {
      add(
        'untrusted',
        BUNDLE_FILES.sums,
        "signatures cannot be checked: give --trusted-key FILE (the signer's public key, obtained out of band), or --allow-unsigned to check integrity only",
      );
    }
    return;
  }
  report.checked = true;
  const wellFormed: SignatureFile[] = [];
  for (const file of sigFiles) {
    const problem = canonicalProblem(file.name, Buffer.from(file.bytes));
    if (problem === undefined) wellFormed.push(file);
    else add('untrusted', `${SIG_PREFIX}${file.name}`, problem);
  }
  const result = checkSignatures(sumsBytes, wellFormed, trusted);
  for (const c of result.corrupt)
    add('untrusted', `${SIG_PREFIX}${c.file}`, `is damaged: ${c.reason}`);
  for (const i of result.invalid)
    add(
      'untrusted',
      `${SIG_PREFIX}${i.file}`,
      `signed by trusted key "${i.signer}" (${i.keyId}) but does not match ${BUNDLE_FILES.sums}: ${i.reason}`,
    );
  const valid: ValidSignature[] = [];
  for (const v of result.valid) {
    const named = SM2_NAME.exec(v.file)?.[1] ?? MINISIG_NAME.exec(v.file)?.[1];
    if (named !== v.keyId)
      add(
        'untrusted',
        `${SIG_PREFIX}${v.file}`,
        `was made by key ${v.keyId} ("${v.signer}") but is named ${named}`,
      );
    else valid.push(v);
  }
  report.valid = valid;
  report.unknown = result.unknown;
  report.signers = [...new Set(valid.map((v) => v.signer))].sort();
  if (report.signers.length < report.required) {
    const unknown = result.unknown.map((u) => `${u.keyId} (${u.algorithm})`);
    add(
      'untrusted',
      BUNDLE_FILES.sums,
      `${report.signers.length} of ${report.required} required trusted signer(s) signed it` +
        (report.signers.length > 0 ? ` (${report.signers.join(', ')})` : '') +
        (unknown.length > 0
          ? `; signatures from keys you do not trust: ${unknown.join(', ')}`
          : '') +
        (sigFiles.length === 0 ? '; the bundle has no signatures' : ''),
    );
  }
}
