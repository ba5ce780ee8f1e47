/**
 * CUDA toolkit → minimum NVIDIA Linux driver, and the sonames a CUDA runtime is loaded by.
 *
 * Source of every row: NVIDIA, "CUDA Toolkit Release Notes", Table 3 ("CUDA Toolkit and
 * Corresponding Driver Versions", the "Toolkit Driver Version, Linux x86_64" column)
 * https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html — as transcribed in
 * ferry's brief (not re-checked against the live page from this machine). The minor-version
 * compatibility floors come from the same notes (Table 2, "CUDA Minor Version Compatibility"):
 * an application built with any 11.x / 12.x / 13.x toolkit runs on a driver at or above the
 * floor of its major version, with limited features (no PTX JIT of newer PTX, ...).
 */

import { FerryError } from '../core/errors.js';
import { compareVersions } from '../standards/version.js';

export const CUDA_RELEASE_NOTES_URL =
  'https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html';

export interface CudaDriverRow {
  /** Toolkit version, 'MAJOR.MINOR'. */
  readonly cuda: string;
  /** Minimum Linux x86_64 driver for full support. */
  readonly minDriver: string;
  readonly source: string;
}

const TABLE3 = `${CUDA_RELEASE_NOTES_URL} (Table 3), via the ferry brief`;

export const CUDA_DRIVER_TABLE: readonly CudaDriverRow[] = [
  { cuda: '11.0', minDriver: '450.51.05', source: TABLE3 },
  { cuda: '11.1', minDriver: '455.23', source: TABLE3 },
  { cuda: '11.2', minDriver: '460.27.03', source: TABLE3 },
  { cuda: '11.3', minDriver: '465.19.01', source: TABLE3 },
  { cuda: '11.4', minDriver: '470.42.01', source: TABLE3 },
  { cuda: '11.5', minDriver: '495.29.05', source: TABLE3 },
  { cuda: '11.6', minDriver: '510.39.01', source: TABLE3 },
  { cuda: '11.7', minDriver: '515.43.04', source: TABLE3 },
  { cuda: '11.8', minDriver: '520.61.05', source: TABLE3 },
  { cuda: '12.0', minDriver: '525.60.13', source: TABLE3 },
  { cuda: '12.1', minDriver: '530.30.02', source: TABLE3 },
  { cuda: '12.2', minDriver: '535.54.03', source: TABLE3 },
  { cuda: '12.3', minDriver: '545.23.06', source: TABLE3 },
  { cuda: '12.4', minDriver: '550.54.14', source: TABLE3 },
  { cuda: '12.5', minDriver: '555.42.02', source: TABLE3 },
  { cuda: '12.6', minDriver: '560.28.03', source: TABLE3 },
  { cuda: '12.8', minDriver: '570.26', source: TABLE3 },
  { cuda: '12.9', minDriver: '575.51.03', source: TABLE3 },
  { cuda: '13.0', minDriver: '580.65.06', source: TABLE3 },
];

/** Minor-version compatibility floor per CUDA major version (release notes, Table 2). */
export const CUDA_MINOR_COMPAT_FLOOR: Readonly<Record<number, string>> = {
  11: '450.80.02',
  // Table 2 gives 525.60.13 (not 525.xx in general) for CUDA 12.x minor-version compatibility.
  12: '525.60.13',
  13: '580',
};

const NUMERIC = /^\d+(\.\d+)*$/;

function parts(version: string, what: string): number[] {
  const v = version.trim();
  if (!NUMERIC.test(v)) {
    throw new FerryError('ERR_FERRY_INVALID_VERSION', `"${version}" is not a ${what} version`, {
      hint:
        what === 'CUDA'
          ? 'Write a CUDA version as MAJOR.MINOR, e.g. 11.8.'
          : 'A driver version looks like 535.54.03.',
    });
  }
  return v.split('.').map(Number);
}

/**
 * Compares dotted numeric versions (driver, CUDA or glibc): negative, zero or positive. Missing
 * parts count as 0. Refuses anything but digits and dots first, so that a driver string such
 * as "r470" is named as a bad driver version rather than read as a PEP 440 version.
 */
export function compareDottedVersions(a: string, b: string): number {
  parts(a, 'driver');
  parts(b, 'driver');
  return compareVersions(a, b);
}

/** 'MAJOR.MINOR' from '11.8', '11.8.0', 'cu118', '118'. */
export function normalizeCuda(cuda: string): string {
  const t = cuda.trim().toLowerCase();
  const compact = /^(?:cu)?(\d{2})(\d)$/.exec(t) ?? /^(?:cu)?(\d{2})(\d{1,2})$/.exec(t);
  if (compact !== null && !t.includes('.')) {
    // 'cu118' → 11.8, 'cu130' → 13.0, 'cu1210' → 12.10 is not a CUDA release; keep it simple.
    return `${Number(compact[1])}.${Number(compact[2])}`;
  }
  const p = parts(t.replace(/^cu/, ''), 'CUDA');
  return `${p[0]}.${p[1] ?? 0}`;
}

/** 'cu118' for '11.8'. */
export function cudaTag(cuda: string): string {
  const [major, minor] = normalizeCuda(cuda).split('.');
  return `cu${major}${minor}`;
}

export function cudaMajor(cuda: string): number {
  return Number(normalizeCuda(cuda).split('.')[0]);
}

/** The table row for a CUDA version, or undefined when the table does not list it. */
export function cudaRow(cuda: string): CudaDriverRow | undefined {
  const c = normalizeCuda(cuda);
  return CUDA_DRIVER_TABLE.find((r) => r.cuda === c);
}

/**
 * Minimum Linux driver for a CUDA toolkit version (full support). For a version between two
 * rows (12.7 is not a release) the next listed version's driver is used, which is safe.
 */
export function minimumDriverFor(cuda: string): string {
  const c = normalizeCuda(cuda);
  const row = cudaRow(c) ?? CUDA_DRIVER_TABLE.find((r) => compareDottedVersions(r.cuda, c) >= 0);
  if (row === undefined) {
    throw new FerryError(
      'ERR_FERRY_UNKNOWN_CUDA',
      `CUDA ${c} is newer than ferry's driver table (up to ${lastRow().cuda})`,
      {
        hint: `Check the minimum driver in NVIDIA's CUDA Toolkit release notes: ${CUDA_RELEASE_NOTES_URL}`,
      },
    );
  }
  return row.minDriver;
}

function lastRow(): CudaDriverRow {
  return CUDA_DRIVER_TABLE[CUDA_DRIVER_TABLE.length - 1] as CudaDriverRow;
}

/** Newest CUDA version the driver fully supports per Table 3, or undefined below 11.0's minimum. */
export function maxCudaForDriver(driver: string): string | undefined {
  let best: string | undefined;
  for (const row of CUDA_DRIVER_TABLE)
    if (compareDottedVersions(driver, row.minDriver) >= 0) best = row.cuda;
  return best;
}

export type CudaSupport = 'full' | 'minor-version-compat' | 'none';

/** Whether a driver runs a CUDA version: fully, only through minor-version compatibility, or not. */
export function cudaSupport(driver: string, cuda: string): CudaSupport {
  if (compareDottedVersions(driver, minimumDriverFor(cuda)) >= 0) return 'full';
  const floor = CUDA_MINOR_COMPAT_FLOOR[cudaMajor(cuda)];
  if (floor !== undefined && compareDottedVersions(driver, floor) >= 0)
    return 'minor-version-compat';
  return 'none';
}

/** The CUDA runtime's soname: all 11.x runtimes are libcudart.so.11.0; 12 → .so.12; 13 → .so.13. */
export function cudaRuntimeSoname(cuda: string): string {
  const major = cudaMajor(cuda);
  return major === 11 ? 'libcudart.so.11.0' : `libcudart.so.${major}`;
}

/** 'driver 470.82.01 supports CUDA ≤ 11.4' — the phrase used by the chooser and doctor. */
export function describeDriver(driver: string): string {
  const max = maxCudaForDriver(driver);
  return max === undefined
    ? `driver ${driver} is older than any CUDA 11 release needs`
    : `driver ${driver} supports CUDA ≤ ${max}`;
}
