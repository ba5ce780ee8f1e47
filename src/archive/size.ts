/**
 * Sizes as people write them for volumes (`--split 3900M`, `4.7GB`): binary units as
 * `split -b` reads them, decimal ones as media are labelled.
 */
import { FerryError } from '../core/errors.js';
import { BLOCK } from './tar.js';

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  KIB: 1024,
  M: 1024 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GIB: 1024 ** 3,
  T: 1024 ** 4,
  TIB: 1024 ** 4,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

/**
 * Parses a size: bytes, or a number with K/M/G/T (binary, as `split -b` reads them; also
 * KiB...) or KB/MB/GB/TB (decimal, as media are labelled). "3900M", "4G", "700K", "4.7GB".
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = m === null ? undefined : UNITS[m[2]!.toUpperCase()];
  if (m === null || unit === undefined) {
    throw new FerryError('ERR_FERRY_BAD_SIZE', `"${text}" is not a size`, {
      hint: 'Write a number of bytes or a number with K, M, G or T (1024-based) or KB, MB, GB (1000-based), e.g. 3900M or 4.7GB.',
    });
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < BLOCK) {
    throw new FerryError(
      'ERR_FERRY_BAD_SIZE',
      `"${text}" is too ${bytes < BLOCK ? 'small' : 'large'} for a volume size (at least 512 bytes)`,
      { hint: 'Give --split a size between 512 bytes and 8 PiB, e.g. 3900M for FAT32 media.' },
    );
  }
  return bytes;
}
