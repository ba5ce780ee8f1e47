/**
 * The publish use case: a verified bundle's wheels and sdists go into an index the site
 * already runs (pypiserver, devpi, Nexus, Artifactory, a `ferry serve`), through the legacy
 * upload API that twine speaks: one multipart POST per file with `:action=file_upload`,
 * `protocol_version=1`, the file as `content`, its SHA-256, and the core metadata read from
 * the file itself (twine/package.py `metadata_dictionary`, twine/repository.py `_upload`).
 *
 * The bundle is verified first and fails closed exactly as `ferry verify` does (trusted keys,
 * or an explicit --allow-unsigned): nothing reaches the index from a bundle that is changed,
 * incomplete or not signed by enough trusted keys. A file the index already has is skipped
 * the way twine's --skip-existing recognises it, so a second publish of the same bundle, or of
 * an overlapping one, is not an error.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../bundle/manifest.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import { readSdistFiles } from '../index/sdist-metadata.js';
import { readWheelMetadata } from '../index/wheel-metadata.js';
import { multipartBody } from '../net/multipart.js';
import { netRequest } from '../net/request.js';
import type { NetSettings } from '../net/settings.js';
import { parseMetadataHeaders } from '../standards/metadata.js';
import type { OpenBundle } from './open.js';
import { withVerifiedBundle } from './verify.js';

export interface PublishRequest {
  /** A bundle folder, a NAME.ferry.tar, its first volume or its volumes.json. */
  readonly bundle: string;
  /** The upload URL: pypiserver's root, devpi's `/USER/INDEX/`, `ferry serve`'s `/INDEX/`. */
  readonly repository: string;
  readonly username?: string;
  readonly password?: string;
  readonly keyFiles: readonly string[];
  readonly requireSigners: number;
  readonly allowUnsigned: boolean;
  readonly open?: OpenBundle;
  readonly events?: EventSink;
  readonly settings?: NetSettings;
}

export interface PublishedFile {
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  /** `exists`: the index already had it (twine's --skip-existing). */
  readonly outcome: 'uploaded' | 'exists';
}

export interface PublishResult {
  readonly repository: string;
  readonly files: readonly PublishedFile[];
  readonly uploaded: number;
  readonly existing: number;
  readonly signaturesChecked: boolean;
  readonly signers: readonly string[];
}

/**
 * Core metadata field (lower-case header) → upload form field, as twine maps them
 * (`_RAW_TO_PACKAGE_METADATA`); a field that may repeat is sent once per value.
 */
const FORM_FIELDS: Readonly<Record<string, string>> = {
  'metadata-version': 'metadata_version',
  name: 'name',
  version: 'version',
  platform: 'platform',
  summary: 'summary',
  keywords: 'keywords',
  'home-page': 'home_page',
  author: 'author',
  'author-email': 'author_email',
  license: 'license',
  'supported-platform': 'supported_platform',
  'download-url': 'download_url',
  classifier: 'classifiers',
  requires: 'requires',
  provides: 'provides',
  obsoletes: 'obsoletes',
  maintainer: 'maintainer',
  'maintainer-email': 'maintainer_email',
  'requires-dist': 'requires_dist',
  'provides-dist': 'provides_dist',
  'obsoletes-dist': 'obsoletes_dist',
  'requires-python': 'requires_python',
  'requires-external': 'requires_external',
  'project-url': 'project_urls',
  'description-content-type': 'description_content_type',
  'provides-extra': 'provides_extra',
  dynamic: 'dynamic',
  'license-expression': 'license_expression',
  'license-file': 'license_file',
};

/** The form fields of one file, in the order twine sends them (action first). */
export function uploadFields(
  metadataText: string,
  file: { filename: string; sha256: string },
): [string, string][] {
  const headers = parseMetadataHeaders(metadataText);
  const fields: [string, string][] = [
    [':action', 'file_upload'],
    ['protocol_version', '1'],
  ];
  const metadataVersion = headers.fields.get('metadata-version')?.[0] ?? '';
  for (const [header, values] of headers.fields) {
    const field = FORM_FIELDS[header];
    if (field === undefined) continue;
    // setuptools writes License-File under Metadata-Version < 2.4, where it is not a field;
    // twine drops it there so that indexes that validate metadata accept the upload.
    if (header === 'license-file' && compareMetadataVersion(metadataVersion, '2.4') < 0) continue;
    for (const value of values) fields.push([field, value]);
  }
  const description = headers.body !== '' ? headers.body : headers.fields.get('description')?.[0];
  if (description !== undefined) fields.push(['description', description]);
  const wheel = /^[^-]+-[^-]+(?:-\d[^-]*)?-([^-]+)-[^-]+-[^-]+\.whl$/.exec(file.filename);
  // twine/wheel.py py_version: the wheel's Python tag; an sdist's is "source".
  fields.push(['filetype', wheel !== null ? 'bdist_wheel' : 'sdist']);
  fields.push(['pyversion', wheel?.[1] ?? 'source']);
  fields.push(['sha256_digest', file.sha256]);
  return fields;
}

function compareMetadataVersion(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

/**
 * Whether a refused upload means "the index already has this file", as twine's
 * `skip_upload` reads it: pypiserver and devpi answer 409; PyPI and Artifact Registry 400
 * "already exist(s)"; Nexus 400 "updating asset"; Artifactory 403 "overwrite artifact";
 * GitLab 400 "already been taken".
 */
export function alreadyExists(status: number, reason: string, text: string): boolean {
  const r = reason.toLowerCase();
  const t = text.toLowerCase();
  return (
    status === 409 ||
    (status === 400 && (r.includes('already exist') || t.includes('already exist'))) ||
    (status === 400 && (r.includes('updating asset') || t.includes('updating asset'))) ||
    (status === 403 && t.includes('overwrite artifact')) ||
    (status === 400 && t.includes('already been taken'))
  );
}

/** The repository URL with the credentials (flags win over ones written in the URL). */
function uploadUrl(request: PublishRequest): string {
  let url: URL;
  try {
    url = new URL(request.repository);
  } catch {
    throw new FerryError(
      'ERR_FERRY_BAD_URL',
      `--repository "${redactUrl(request.repository)}" is not a URL`,
      {
        hint: 'Give the upload URL, e.g. http://HOST:PORT/ for pypiserver or http://HOST:PORT/USER/INDEX/ for devpi.',
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FerryError(
      'ERR_FERRY_BAD_URL',
      `--repository "${redactUrl(request.repository)}" must be an http:// or https:// URL`,
      { hint: 'Give the upload URL of the index server.' },
    );
  if (request.username !== undefined) url.username = encodeURIComponent(request.username);
  if (request.password !== undefined) url.password = encodeURIComponent(request.password);
  return url.href;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.href;
}

async function readBody(body: AsyncIterable<Uint8Array>, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < limit) chunks.push(Buffer.from(chunk));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

async function metadataOf(path: string, filename: string): Promise<string> {
  if (filename.endsWith('.whl')) return readWheelMetadata(path);
  const files = await readSdistFiles(await readFile(path), filename);
  if (files.pkgInfo === undefined)
    throw new FerryError(
      'ERR_FERRY_BAD_SDIST',
      `${filename} has no PKG-INFO, so its metadata cannot be sent to the index`,
      { hint: 'Carry a wheel of this package, or an sdist built by a current build backend.' },
    );
  return files.pkgInfo;
}

export async function publish(request: PublishRequest): Promise<PublishResult> {
  const events = request.events ?? (() => {});
  const url = uploadUrl(request);
  return withVerifiedBundle({ ...request, events }, async (opened, report) => {
    const manifest = parseManifest(
      await readFile(join(opened.dir, 'manifest.json'), 'utf8'),
      'manifest.json',
    );
    // Shown in events and the result: the URL as given, without any credentials at all.
    const destination = withoutCredentials(url);
    const files: PublishedFile[] = [];
    for (const entry of manifest.files) {
      const filename = entry.path.slice(entry.path.lastIndexOf('/') + 1);
      const path = join(opened.dir, entry.path);
      const fields = uploadFields(await metadataOf(path, filename), {
        filename,
        sha256: entry.sha256,
      });
      events({ type: 'upload-start', filename, size: entry.size, destination });
      const form = multipartBody(fields, {
        field: 'content',
        filename,
        path,
        size: entry.size,
      });
      const response = await netRequest(url, {
        method: 'POST',
        body: form.body,
        headers: { 'content-type': form.contentType },
        ...(request.settings === undefined ? {} : { settings: request.settings }),
      });
      const text = await readBody(response.body);
      let outcome: PublishedFile['outcome'];
      if (response.status >= 200 && response.status < 300) outcome = 'uploaded';
      else if (alreadyExists(response.status, '', text)) outcome = 'exists';
      else
        throw uploadError(
          response.status,
          response.headers.get('location'),
          text,
          destination,
          filename,
        );
      events({ type: 'upload-done', filename, outcome });
      files.push({ filename, sha256: entry.sha256, size: entry.size, outcome });
    }
    return {
      repository: destination,
      files,
      uploaded: files.filter((f) => f.outcome === 'uploaded').length,
      existing: files.filter((f) => f.outcome === 'exists').length,
      signaturesChecked: report.signatures.checked,
      signers: report.signatures.signers,
    };
  });
}

function uploadError(
  status: number,
  location: string | null,
  text: string,
  destination: string,
  filename: string,
): FerryError {
  const said = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
  const hint =
    status >= 300 && status < 400
      ? `The server redirects uploads${location === null ? '' : ` to ${redactUrl(location)}`}; give that URL as --repository (an upload is never re-sent to another place on its own).`
      : status === 401 || status === 403
        ? 'The index refused the credentials: give --username and --password (or FERRY_PUBLISH_USERNAME / FERRY_PUBLISH_PASSWORD) of an account that may upload there.'
        : status === 404 || status === 405
          ? 'This URL does not take uploads: for pypiserver give its root (http://HOST:PORT/), for devpi http://HOST:PORT/USER/INDEX/.'
          : 'Read what the index said; the files before this one were published.';
  return new FerryError(
    'ERR_FERRY_HTTP_STATUS',
    `${destination} refused ${filename} (HTTP ${status})${said === '' ? '' : `: ${said}`}`,
    { hint, details: { status, filename, repository: destination } },
  );
}
