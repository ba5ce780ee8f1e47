/** PEP 751 lock files: pointing a lock's files at a bundle's own wheels/ folder. */
import { FerryError } from '../../core/errors.js';

import type { PylockDist, PylockFile } from './types.js';

/**
 * Points every wheel and sdist at `baseDir/<file name>` (relative to the lock file, POSIX
 * separators), as a bundle carries them, and drops the URLs so an offline installer never
 * reaches for the network (uv #13094). The index URL stays: it is provenance for the SBOM.
 */
export function relocatePylock(lock: PylockFile, baseDir: string): PylockFile {
  const dir = baseDir.replace(/\\/g, '/').replace(/\/+$/, '');
  if (dir.startsWith('/') || /^[A-Za-z]:/.test(dir) || dir.split('/').includes('..')) {
    throw new FerryError(
      'ERR_FERRY_BAD_LOCK',
      `Cannot relocate a lock to ${JSON.stringify(baseDir)}`,
      {
        hint: 'Give a folder relative to the lock file, inside the bundle, such as "wheels".',
      },
    );
  }
  const move = (d: PylockDist): PylockDist => {
    const { url: _url, path: _path, ...rest } = d;
    return { ...rest, path: dir === '' || dir === '.' ? d.name : `${dir}/${d.name}` };
  };
  return {
    ...lock,
    packages: lock.packages.map((p) => ({
      ...p,
      ...(p.sdist === undefined ? {} : { sdist: move(p.sdist) }),
      ...(p.wheels === undefined ? {} : { wheels: p.wheels.map(move) }),
    })),
  };
}
