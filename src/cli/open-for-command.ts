/**
 * openBundle for a command: the temporary copy of an archive is removed on SIGINT and SIGTERM
 * too. Node's default for those signals ends the process at once, skipping every `finally`,
 * which left the whole extracted bundle in $TMPDIR. The handler is in place before extraction
 * starts, removes the copies synchronously, then lets the same signal end the process as it
 * would have (so the exit status still says which signal it was).
 */
import { type OpenedBundle, openBundle, removeOpenedBundlesSync } from '../bundle/open.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function openBundleForCommand(pathOrArchive: string): Promise<OpenedBundle> {
  const onSignal = (signal: NodeJS.Signals): void => {
    removeOpenedBundlesSync();
    release();
    process.kill(process.pid, signal);
  };
  const release = (): void => {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  let opened: OpenedBundle;
  try {
    opened = await openBundle(pathOrArchive);
  } catch (error) {
    release();
    throw error;
  }
  return {
    ...opened,
    cleanup: async () => {
      try {
        await opened.cleanup();
      } finally {
        release();
      }
    },
  };
}
