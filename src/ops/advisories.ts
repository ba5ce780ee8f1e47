/**
 * `ferry advisories fetch`, the online half of the audit: the OSV snapshot for PyPI, downloaded
 * and checked on the online side so that `ferry audit` can run with no network at all.
 */
import { createHash } from 'node:crypto';
import { readAdvisorySnapshot } from '../audit/snapshot.js';
import { AtomicFile } from '../core/atomic-write.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import { netRequest } from '../net/request.js';
import type { NetSettings } from '../net/settings.js';

/** osv.dev's public bucket: one zip per ecosystem, one JSON per advisory (osv.dev README). */
export const OSV_PYPI_ZIP_URL = 'https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip';

export interface FetchAdvisoriesRequest {
  readonly output: string;
  /** Default: OSV_PYPI_ZIP_URL. */
  readonly url?: string;
  readonly settings?: NetSettings;
  readonly events?: EventSink;
}

export interface FetchAdvisoriesResult {
  readonly path: string;
  readonly url: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly advisories: number;
  readonly newest?: string;
}

/**
 * The online half: downloads the PyPI snapshot through src/net (pip's proxy and certificate
 * settings apply), checks that it reads as a snapshot, and only then puts it at `output`
 * (atomically: an interrupted download never leaves a half zip that a later audit would read).
 */
export async function fetchAdvisories(
  request: FetchAdvisoriesRequest,
): Promise<FetchAdvisoriesResult> {
  const url = request.url ?? OSV_PYPI_ZIP_URL;
  const file = await AtomicFile.open(request.output).catch((error: NodeJS.ErrnoException) => {
    throw new FerryError(
      'ERR_FERRY_DESTINATION',
      `cannot write "${request.output}": ${error.code ?? error.message}`,
      { hint: 'Check that the folder exists and is writable, or choose another -o path.' },
    );
  });
  try {
    const hash = createHash('sha256');
    let response: Awaited<ReturnType<typeof netRequest>>;
    try {
      response = await netRequest(url, {
        ...(request.settings === undefined ? {} : { settings: request.settings }),
      });
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw new FerryError(
        'ERR_FERRY_DOWNLOAD_FAILED',
        `cannot download ${redactUrl(url)}: ${(error as Error).message}`,
        {
          hint: 'Run this on the online side; check the proxy settings pip uses, or give --url for a mirror of the snapshot.',
        },
      );
    }
    if (response.status !== 200) {
      await response.body.cancel();
      throw new FerryError(
        'ERR_FERRY_HTTP_STATUS',
        `${redactUrl(url)} answered HTTP ${response.status}`,
        { hint: 'Check the URL (--url) and that the snapshot is published there.' },
      );
    }
    request.events?.({ type: 'info', message: `downloading ${redactUrl(url)}` });
    for await (const chunk of response.body) {
      hash.update(chunk);
      await file.write(chunk);
    }
    await file.close();
    const snapshot = await readAdvisorySnapshot(file.tempPath).catch((error: unknown) => {
      throw new FerryError(
        'ERR_FERRY_BAD_ADVISORIES',
        `${redactUrl(url)} did not send an OSV snapshot: ${(error as Error).message}`,
        { hint: 'Check the URL (--url): it should serve the PyPI all.zip.' },
      );
    });
    await file.commit();
    return {
      path: request.output,
      url: redactUrl(url),
      bytes: file.size,
      sha256: hash.digest('hex'),
      advisories: snapshot.advisories,
      ...(snapshot.newest === undefined ? {} : { newest: snapshot.newest }),
    };
  } catch (error) {
    await file.abort();
    throw error;
  }
}
