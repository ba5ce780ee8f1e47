/**
 * The legacy upload API as twine speaks it (Warehouse's `forklift/legacy.py`): a
 * multipart/form-data POST with `:action=file_upload`, `name`, `version`, `content` (the
 * file) and `sha256_digest`, plus core metadata fields. What it checks before anything
 * reaches the store: the file's name is a safe wheel (PEP 427) or sdist (PEP 625) name of the
 * project and version the form names, its SHA-256 (and MD5, when sent) is what the form says,
 * and it is no larger than the cap, counted while it streams in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { FerryError } from '../../core/errors.js';
import { readWheelMetadata } from '../../index/wheel-metadata.js';
import {
  assertSafeFilename,
  type DistFilename,
  normalizeVersionText,
  parseDistFilename,
} from '../../standards/filename.js';
import { parseMetadataHeaders } from '../../standards/metadata.js';
import { isValidProjectName, normalizeName } from '../../standards/name.js';
import type { IndexStore, PublishResult, TokenInfo } from '../store/types.js';
import { bodyChunks, FormError, multipartBoundary, readUploadForm } from './multipart.js';

export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadLimits {
  readonly maxUploadBytes: number;
  readonly maxFieldBytes: number;
  readonly tmpDir: string;
}

export interface UploadDone {
  readonly index: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly actor: string;
  readonly result: PublishResult;
}

const one = (fields: ReadonlyMap<string, readonly string[]>, name: string): string | undefined => {
  const values = fields.get(name);
  return values === undefined || values.length === 0 ? undefined : values[values.length - 1];
};

const HEX64 = /^[0-9a-f]{64}$/;

/** The file name checks, apart from the socket: name and version of the form vs. the file. */
export function checkUploadNames(
  filename: string,
  name: string | undefined,
  version: string | undefined,
): DistFilename {
  if (name === undefined || name.trim() === '')
    throw new UploadRefused(400, 'the form has no "name"');
  if (version === undefined || version.trim() === '') {
    throw new UploadRefused(400, 'the form has no "version"');
  }
  if (!isValidProjectName(name)) {
    throw new UploadRefused(400, `"${name}" is not a valid project name (PEP 508)`);
  }
  try {
    assertSafeFilename(filename);
  } catch {
    throw new UploadRefused(
      400,
      `the file name ${JSON.stringify(filename)} is not a safe file name`,
    );
  }
  let parsed: DistFilename | undefined;
  try {
    parsed = parseDistFilename(filename, name);
  } catch (error) {
    throw new UploadRefused(400, error instanceof FerryError ? error.message : String(error));
  }
  if (parsed === undefined) {
    throw new UploadRefused(
      400,
      `"${filename}" is neither a wheel (.whl, PEP 427) nor an sdist (.tar.gz, PEP 625)`,
    );
  }
  if (parsed.name !== normalizeName(name)) {
    throw new UploadRefused(
      400,
      `the file "${filename}" is of project "${parsed.name}", but the form says "${name}"`,
    );
  }
  const formVersion = normalizeVersionText(version.trim());
  if (formVersion === undefined) {
    throw new UploadRefused(400, `the version "${version}" is not a valid PEP 440 version`);
  }
  if (parsed.version !== formVersion) {
    throw new UploadRefused(
      400,
      `the file "${filename}" is version ${parsed.version}, but the form says ${version}`,
    );
  }
  return parsed;
}

/** Reads, checks and publishes one upload; throws UploadRefused with the status to answer. */
export async function receiveUpload(
  req: IncomingMessage,
  store: IndexStore,
  index: string,
  token: TokenInfo,
  limits: UploadLimits,
  now: () => Date,
): Promise<UploadDone> {
  const boundary = multipartBoundary(req.headers['content-type']);
  if (boundary === undefined) {
    throw new UploadRefused(400, 'an upload is a multipart/form-data POST (as twine sends it)');
  }
  const announced = Number(req.headers['content-length']);
  if (Number.isFinite(announced) && announced > limits.maxUploadBytes + limits.maxFieldBytes) {
    throw new UploadRefused(
      413,
      `the upload is ${announced} bytes; this server takes files up to ${limits.maxUploadBytes} bytes (--max-upload)`,
    );
  }
  const tmp = await mkdtemp(join(limits.tmpDir, 'ferry-upload-'));
  try {
    let form: Awaited<ReturnType<typeof readUploadForm>>;
    try {
      form = await readUploadForm(bodyChunks(req), boundary, {
        maxFileBytes: limits.maxUploadBytes,
        maxFieldBytes: limits.maxFieldBytes,
        tmpDir: tmp,
        fileField: 'content',
      });
    } catch (error) {
      if (error instanceof FormError) {
        throw new UploadRefused(
          error.status,
          error.status === 413 ? `${error.message} (--max-upload)` : error.message,
        );
      }
      throw error;
    }
    const action = one(form.fields, ':action');
    if (action !== 'file_upload') {
      throw new UploadRefused(
        400,
        `":action" is ${action === undefined ? 'missing' : `"${action}"`}; only "file_upload" is supported`,
      );
    }
    const file = form.file;
    if (file === undefined) throw new UploadRefused(400, 'the form has no "content" file');
    const name = one(form.fields, 'name');
    const parsed = checkUploadNames(file.filename, name, one(form.fields, 'version'));
    const sha256 = one(form.fields, 'sha256_digest')?.trim().toLowerCase();
    if (sha256 === undefined || !HEX64.test(sha256)) {
      throw new UploadRefused(400, 'the form has no valid "sha256_digest" (64 hex digits)');
    }
    if (sha256 !== file.sha256) {
      throw new UploadRefused(
        400,
        `the file "${file.filename}" has SHA-256 ${file.sha256}, but the form says ${sha256}`,
      );
    }
    const md5 = one(form.fields, 'md5_digest')?.trim().toLowerCase();
    if (md5 !== undefined && md5 !== '' && md5 !== file.md5) {
      throw new UploadRefused(
        400,
        `the file "${file.filename}" has MD5 ${file.md5}, but the form says ${md5}`,
      );
    }
    let coreMetadata: Buffer | undefined;
    let requiresPython = one(form.fields, 'requires_python')?.trim() || undefined;
    if (parsed.kind === 'wheel') {
      let text: string;
      try {
        text = await readWheelMetadata(file.path);
      } catch (error) {
        throw new UploadRefused(
          400,
          `"${file.filename}" is not a readable wheel: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const headers = parseMetadataHeaders(text);
      const metaName = headers.fields.get('name')?.[0];
      const metaVersion = headers.fields.get('version')?.[0];
      if (
        metaName === undefined ||
        !isValidProjectName(metaName) ||
        normalizeName(metaName) !== parsed.name ||
        metaVersion === undefined ||
        normalizeVersionText(metaVersion) !== parsed.version
      ) {
        throw new UploadRefused(
          400,
          `the METADATA inside "${file.filename}" names ${metaName ?? '(no name)'} ${metaVersion ?? '(no version)'}, not the file's project and version`,
        );
      }
      requiresPython ??= headers.fields.get('requires-python')?.[0];
      coreMetadata = Buffer.from(text, 'utf8');
    }
    const time = now().toISOString();
    const result = await store.publish(
      index,
      [
        {
          path: file.path,
          filename: file.filename,
          sha256: file.sha256,
          size: file.size,
          uploadTime: time,
          project: name!,
          ...(requiresPython === undefined ? {} : { requiresPython }),
          ...(coreMetadata === undefined ? {} : { coreMetadata }),
        },
      ],
      { kind: 'upload', signers: [], actor: token.name, time },
    );
    return {
      index,
      filename: file.filename,
      sha256: file.sha256,
      size: file.size,
      actor: token.name,
      result,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
