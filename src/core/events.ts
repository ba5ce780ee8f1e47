import type { ErrorCode, WarningCode } from './error-codes.js';

/**
 * Library code never prints. Long operations report progress as events through a sink the
 * caller passes in; the CLI renders them as a progress display on a TTY or as JSON lines.
 */
export type FerryEvent =
  | { type: 'resolve-start'; requirements: string[] }
  | { type: 'resolve-project'; name: string; index: string }
  | { type: 'resolve-done'; packages: number; seconds: number }
  | { type: 'download-start'; filename: string; url: string; size?: number; resumeFrom?: number }
  | { type: 'download-progress'; filename: string; received: number; size?: number }
  | { type: 'download-cached'; filename: string; sha256: string }
  | { type: 'download-retry'; filename: string; url: string; attempt: number; reason: string }
  | { type: 'download-done'; filename: string; sha256: string; size: number }
  | { type: 'download-failed'; filename: string; url: string; code: ErrorCode; message: string }
  | { type: 'install-step'; step: string; detail?: string }
  /** A file going to an index (`ferry publish`) or an object store (S3 upload). */
  | { type: 'upload-start'; filename: string; size: number; destination: string }
  /** `uploaded`; `exists`: the destination already had it (nothing sent, or refused as a duplicate). */
  | { type: 'upload-done'; filename: string; outcome: 'uploaded' | 'exists' }
  | { type: 'warning'; code: ErrorCode | WarningCode; message: string }
  | { type: 'info'; message: string }
  | {
      type: 'serve-listening';
      urls: string[];
      store: string;
      generation: number;
      /** `--upstream`, redacted. */
      upstream?: string;
    }
  /** `ferry serve --upstream`: a file fetched from the upstream and published into the store. */
  | {
      type: 'serve-upstream';
      index: string;
      filename: string;
      sha256: string;
      size: number;
      generation: number;
    }
  | { type: 'serve-request'; method: string; path: string; status: number; ms: number }
  | {
      type: 'serve-upload';
      index: string;
      filename: string;
      sha256: string;
      size: number;
      actor: string;
      generation: number;
    }
  | { type: 'serve-stopped'; reason: string };

export type EventSink = (event: FerryEvent) => void;

export const ignoreEvents: EventSink = () => {};
