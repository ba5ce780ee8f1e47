/**
 * The verify use case: the keys the user trusts, then the bundle (folder, archive or volumes)
 * checked offline against them, failing closed (src/bundle/verify.ts says what is checked).
 */
import type { OpenedBundle } from '../bundle/open.js';
import { type VerifyReport, verifyBundle } from '../bundle/verify.js';
import type { EventSink } from '../core/events.js';
import { loadTrustedKeys } from '../trust/keys.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

export interface VerifyRequest {
  /** A bundle folder, a NAME.ferry.tar, its first volume or its volumes.json. */
  readonly bundle: string;
  /** --trusted-key and --trust-file files. */
  readonly keyFiles: readonly string[];
  readonly requireSigners: number;
  readonly allowUnsigned: boolean;
  readonly open?: OpenBundle;
  readonly events?: EventSink;
}

export async function verify(request: VerifyRequest): Promise<VerifyReport> {
  return withVerifiedBundle(request, async (_opened, report) => report);
}

/**
 * The verification step every use case that takes a bundle shares (verify, publish): keys
 * first, then the bundle opened and checked offline, failing closed; `use` runs only on a
 * bundle that passed, while its folder still exists, and the temporary folder is removed after.
 */
export async function withVerifiedBundle<T>(
  request: VerifyRequest,
  use: (opened: OpenedBundle, report: VerifyReport) => Promise<T>,
): Promise<T> {
  // Keys first: a typo in a key path is reported before an archive is unpacked.
  const trustedKeys = await loadTrustedKeys([...request.keyFiles]);
  const opened = await (request.open ?? defaultOpenBundle)(request.bundle);
  try {
    const report = await verifyBundle(opened.dir, {
      trustedKeys,
      requireSigners: request.requireSigners,
      allowUnsigned: request.allowUnsigned,
      label: opened.label,
    });
    if (!report.signatures.checked) {
      request.events?.({
        type: 'warning',
        code: 'ERR_FERRY_UNSIGNED',
        message:
          'signatures were NOT checked (--allow-unsigned); only integrity and completeness were',
      });
    }
    return await use(opened, report);
  } finally {
    await opened.cleanup();
  }
}
