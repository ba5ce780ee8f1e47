/**
 * `ferry export-static --to s3://BUCKET/PREFIX`: the static export (ops/export-static.ts)
 * written to a temporary folder, then uploaded with net/s3.ts's uploadTree, which sends only
 * what the bucket does not already hold with the same bytes and sends index pages last.
 * Nothing is deleted from the bucket: an object a reader may still be fetching stays.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSink } from '../core/events.js';
import { parseS3Url, type S3Config, type UploadTreeResult, uploadTree } from '../net/s3.js';
import type { NetSettings } from '../net/settings.js';
import { type ExportStaticResult, exportStatic } from './export-static.js';

export interface ExportToObjectStoreRequest {
  readonly store: string;
  /** s3://BUCKET/PREFIX */
  readonly to: string;
  /** Credentials and endpoint (default: the AWS_* variables). */
  readonly config?: S3Config;
  readonly settings?: NetSettings;
  readonly events?: EventSink;
}

export interface ExportToObjectStoreResult {
  readonly to: string;
  readonly generation: number;
  readonly export: Omit<ExportStaticResult, 'out'>;
  readonly upload: UploadTreeResult;
}

export async function exportToObjectStore(
  request: ExportToObjectStoreRequest,
): Promise<ExportToObjectStoreResult> {
  // A malformed URL is refused before the export is written.
  parseS3Url(request.to);
  const temp = await mkdtemp(join(tmpdir(), 'ferry-export-s3-'));
  try {
    const { out: _out, ...exported } = await exportStatic({
      store: request.store,
      out: join(temp, 'tree'),
    });
    const upload = await uploadTree(join(temp, 'tree'), request.to, {
      ...(request.config === undefined ? {} : { config: request.config }),
      ...(request.settings === undefined ? {} : { settings: request.settings }),
      ...(request.events === undefined ? {} : { events: request.events }),
    });
    return { to: request.to, generation: exported.generation, export: exported, upload };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
