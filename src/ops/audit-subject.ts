/**
 * What `ferry audit`, `ferry why` and `ferry report` look at, read the same way for all three:
 * a bundle (folder, archive or volumes: its manifest, its wheels' licences, the signature files
 * it carries) or a pylock.toml, as packages with their files and the dependency graph from the
 * top-level requirements.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Licence, licenceFromMetadata } from '../audit/licences.js';
import { buildGraph, type DependencyGraph, normalizeLoose } from '../audit/paths.js';
import type { PolicyPackage } from '../audit/policy.js';
import { type Manifest, parseManifest } from '../bundle/manifest.js';
import { type PylockFile, parsePylock } from '../bundle/pylock.js';
import { FerryError } from '../core/errors.js';
import { readWheelMetadata } from '../index/wheel-metadata.js';
import { parseCoreMetadata } from '../standards/metadata.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

export interface SubjectFile {
  readonly filename: string;
  readonly sha256?: string;
  readonly size?: number;
  readonly url?: string;
  readonly index?: string;
  readonly uploadTime?: string;
  /** A source distribution: pip builds it on the target. */
  readonly sdist: boolean;
}

export interface SubjectPackage {
  readonly name: string;
  readonly version: string;
  readonly dependencies: readonly string[];
  readonly files: readonly SubjectFile[];
  /** Read from the wheel's METADATA; undefined for a lock (no wheels at hand). */
  readonly licence?: Licence;
}

export interface Signer {
  readonly file: string;
  readonly keyId: string;
  readonly algorithm: 'Ed25519 (minisign)' | 'SM2';
  /** minisign's trusted comment (signed, so it says what the signer wrote). */
  readonly comment?: string;
}

export interface Subject {
  readonly kind: 'bundle' | 'lock';
  /** As the user named it. */
  readonly label: string;
  readonly requirements: readonly string[];
  readonly packages: readonly SubjectPackage[];
  readonly graph: DependencyGraph;
  /** A bundle's manifest and its folder (valid until cleanup). */
  readonly manifest?: Manifest;
  readonly dir?: string;
  /** Signature files present in a bundle (not verified here: `ferry verify` does that). */
  readonly signers?: readonly Signer[];
  cleanup(): Promise<void>;
}

const isLockPath = async (path: string): Promise<boolean> =>
  path.endsWith('.toml') && (await stat(path).catch(() => undefined))?.isFile() === true;

function packagesFromPylock(lock: PylockFile): SubjectPackage[] {
  return lock.packages.map((p) => {
    const file = (
      d: {
        name: string;
        hashes: Readonly<Record<string, string>>;
        size?: number;
        url?: string;
        path?: string;
        uploadTime?: string;
      },
      sdist: boolean,
    ): SubjectFile => ({
      filename: d.name,
      sdist,
      ...(d.hashes.sha256 === undefined ? {} : { sha256: d.hashes.sha256 }),
      ...(d.size === undefined ? {} : { size: d.size }),
      ...(d.url === undefined ? {} : { url: d.url }),
      ...(p.index === undefined ? {} : { index: p.index }),
      ...(d.uploadTime === undefined ? {} : { uploadTime: d.uploadTime }),
    });
    return {
      name: p.name,
      version: p.version ?? '',
      dependencies: (p.dependencies ?? []).map((d) => String(d.name)),
      files: [
        ...(p.wheels ?? []).map((w) => file(w, false)),
        ...(p.sdist === undefined ? [] : [file(p.sdist, true)]),
      ],
    };
  });
}

const ferryRequirements = (lock: PylockFile): string[] => {
  const r = (lock.tool?.ferry as Record<string, unknown> | undefined)?.requirements;
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
};

/** A wheel's licence from its METADATA; `none` when the metadata cannot be read. */
export async function wheelLicence(path: string): Promise<Licence> {
  try {
    return licenceFromMetadata(parseCoreMetadata(await readWheelMetadata(path), path));
  } catch {
    return { source: 'none' };
  }
}

async function readSigners(dir: string): Promise<Signer[]> {
  const names = await readdir(join(dir, 'signatures')).catch(() => [] as string[]);
  const out: Signer[] = [];
  for (const file of names.sort()) {
    const ed = /^([0-9A-F]{16})\.minisig$/.exec(file);
    const sm2 = /^([0-9a-fA-F]+)\.sm2\.sig$/.exec(file);
    if (ed !== null) {
      const text = await readFile(join(dir, 'signatures', file), 'utf8').catch(() => '');
      const comment = /^trusted comment: (.*)$/m.exec(text)?.[1];
      out.push({
        file,
        keyId: ed[1]!,
        algorithm: 'Ed25519 (minisign)',
        ...(comment === undefined ? {} : { comment }),
      });
    } else if (sm2 !== null) out.push({ file, keyId: sm2[1]!, algorithm: 'SM2' });
  }
  return out;
}

/**
 * Opens what `ferry audit`, `why` and `report` read: a pylock.toml, or a bundle (its
 * manifest, its own pylock.toml for upload times, and each wheel's METADATA for licences).
 */
export async function loadSubject(
  path: string,
  options: { readonly open?: OpenBundle; readonly licences?: boolean } = {},
): Promise<Subject> {
  if (await isLockPath(path)) {
    const lock = parsePylock(await readFile(path, 'utf8'), path);
    const packages = packagesFromPylock(lock);
    const requirements = ferryRequirements(lock);
    return {
      kind: 'lock',
      label: path,
      requirements,
      packages,
      graph: buildGraph(packages, requirements),
      cleanup: async () => undefined,
    };
  }
  const opened = await (options.open ?? defaultOpenBundle)(path);
  try {
    const manifestPath = join(opened.dir, 'manifest.json');
    const text = await readFile(manifestPath, 'utf8').catch(() => {
      throw new FerryError('ERR_FERRY_NOT_A_BUNDLE', `"${path}" has no manifest.json`, {
        hint: 'Give a bundle folder or archive written by ferry bundle / ferry pack, or a pylock.toml.',
      });
    });
    const manifest = parseManifest(text, `${opened.label}/manifest.json`);
    // Upload times are in the bundle's own lock, not in the manifest.
    const uploads = new Map<string, string>();
    const lockText = await readFile(join(opened.dir, 'pylock.toml'), 'utf8').catch(() => undefined);
    if (lockText !== undefined) {
      for (const p of packagesFromPylock(parsePylock(lockText, `${opened.label}/pylock.toml`)))
        for (const f of p.files)
          if (f.uploadTime !== undefined) uploads.set(f.filename, f.uploadTime);
    }
    const packages: SubjectPackage[] = [];
    for (const p of manifest.packages) {
      const files = manifest.files.filter(
        (f) => normalizeLoose(f.name) === normalizeLoose(p.name) && f.version === p.version,
      );
      const wheel = files.find((f) => f.path.endsWith('.whl'));
      const licence =
        options.licences === false
          ? undefined
          : wheel === undefined
            ? ({
                source: 'none',
                declared: 'a source distribution (its metadata is not read)',
              } as Licence)
            : await wheelLicence(join(opened.dir, wheel.path));
      packages.push({
        name: p.name,
        version: p.version,
        dependencies: p.dependencies,
        files: files.map((f) => {
          const filename = f.path.slice(f.path.lastIndexOf('/') + 1);
          const uploadTime = uploads.get(filename);
          return {
            filename,
            sha256: f.sha256,
            size: f.size,
            url: f.url,
            ...(f.index === undefined ? {} : { index: f.index }),
            ...(uploadTime === undefined ? {} : { uploadTime }),
            sdist: !filename.endsWith('.whl'),
          };
        }),
        ...(licence === undefined ? {} : { licence }),
      });
    }
    return {
      kind: 'bundle',
      label: opened.label,
      requirements: manifest.requirements,
      packages,
      graph: buildGraph(packages, manifest.requirements),
      manifest,
      dir: opened.dir,
      signers: await readSigners(opened.dir),
      cleanup: () => opened.cleanup(),
    };
  } catch (error) {
    await opened.cleanup();
    throw error;
  }
}

/** The policy's view of a subject's packages. */
export const policyPackages = (subject: Subject): PolicyPackage[] =>
  subject.packages.map((p) => ({
    name: p.name,
    version: p.version,
    ...(p.licence === undefined ? {} : { licence: p.licence }),
    hasSdist: p.files.some((f) => f.sdist),
    uploadTimes: p.files.map((f) => f.uploadTime),
  }));
