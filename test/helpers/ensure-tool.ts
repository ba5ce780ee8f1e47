/**
 * Makes sure a command-line tool from a Debian package is on PATH for interop tests
 * (minisign, openssl, tar): tries `apt-get install -y PACKAGE`, and if that fails,
 * `apt-get update` and once more. Needs root; returns false (so the test can skip with a
 * reason) when the tool still cannot be found.
 */
import { spawnSync } from 'node:child_process';

const onPath = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v "$1" >/dev/null 2>&1`, 'sh', command]).status === 0;

const attempted = new Map<string, boolean>();

export function ensureDebianTool(command: string, pkg: string): boolean {
  if (onPath(command)) return true;
  const known = attempted.get(command);
  if (known !== undefined) return known;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
      stdio: 'ignore',
      env,
    }).status === 0;
  if (isRoot && !install()) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    install();
  }
  const ok = onPath(command);
  attempted.set(command, ok);
  return ok;
}

/** A skip reason for node:test, or false when the tool is there. */
export const skipUnlessTool = (command: string, pkg: string): string | false =>
  ensureDebianTool(command, pkg)
    ? false
    : `${command} is not installed and apt-get install ${pkg} failed`;
