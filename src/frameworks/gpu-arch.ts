/**
 * NVIDIA GPU compute capabilities, and which CUDA toolkits can build kernels for them.
 *
 * A framework wheel carries kernels (SASS, plus PTX for the newest arch) only for the compute
 * capabilities its CUDA toolkit could target, so a GPU outside that range fails at the first
 * kernel launch ("no kernel image is available for execution on the device"), however new the
 * driver is. Sources, per row:
 * - NVIDIA, "CUDA Toolkit Release Notes" (docs.nvidia.com/cuda/cuda-toolkit-release-notes):
 *   11.0 added sm_80 and dropped sm_30; 11.1 added sm_86; 11.8 added sm_89 and sm_90;
 *   12.0 removed sm_35/sm_37 (Kepler); 12.8 added sm_100, sm_101 and sm_120 (Blackwell);
 *   12.9 added sm_103 and sm_121; 13.0 removed offline compilation for Maxwell, Pascal and
 *   Volta (sm_50–sm_72), so CUDA 13 builds start at Turing (sm_75).
 * - NVIDIA, "CUDA GPUs - Compute Capability" (developer.nvidia.com/cuda-gpus) for the names.
 */

import { compareDottedVersions, normalizeCuda } from './cuda.js';

export interface GpuArchitecture {
  /** 'MAJOR.MINOR', as nvidia-smi --query-gpu=compute_cap prints it. */
  readonly capability: string;
  readonly name: string;
}

export const GPU_ARCHITECTURES: readonly GpuArchitecture[] = [
  { capability: '3.5', name: 'Kepler' },
  { capability: '3.7', name: 'Kepler' },
  { capability: '5.0', name: 'Maxwell' },
  { capability: '5.2', name: 'Maxwell' },
  { capability: '6.0', name: 'Pascal' },
  { capability: '6.1', name: 'Pascal' },
  { capability: '7.0', name: 'Volta' },
  { capability: '7.2', name: 'Volta' },
  { capability: '7.5', name: 'Turing' },
  { capability: '8.0', name: 'Ampere' },
  { capability: '8.6', name: 'Ampere' },
  { capability: '8.7', name: 'Ampere' },
  { capability: '8.9', name: 'Ada Lovelace' },
  { capability: '9.0', name: 'Hopper' },
  { capability: '10.0', name: 'Blackwell' },
  { capability: '10.3', name: 'Blackwell' },
  { capability: '12.0', name: 'Blackwell' },
  { capability: '12.1', name: 'Blackwell' },
];

/** The compute-capability range a CUDA toolkit can compile for: [min, max], inclusive. */
interface ToolkitRange {
  readonly fromCuda: string;
  readonly min: string;
  readonly max: string;
}

// Ordered by toolkit; each row holds from its version until the next row's.
const TOOLKIT_RANGES: readonly ToolkitRange[] = [
  { fromCuda: '11.0', min: '3.5', max: '8.0' },
  { fromCuda: '11.1', min: '3.5', max: '8.6' },
  { fromCuda: '11.8', min: '3.5', max: '9.0' },
  { fromCuda: '12.0', min: '5.0', max: '9.0' },
  { fromCuda: '12.8', min: '5.0', max: '12.0' },
  { fromCuda: '12.9', min: '5.0', max: '12.1' },
  { fromCuda: '13.0', min: '7.5', max: '12.1' },
];

export function gpuArchitectureName(capability: string): string {
  const known = GPU_ARCHITECTURES.find((a) => a.capability === capability);
  return known ? known.name : `compute capability ${capability}`;
}

/** The capability range CUDA `cuda` ('12.6', 'cu126') can build for, or undefined before 11.0. */
export function toolkitCapabilityRange(cuda: string): { min: string; max: string } | undefined {
  const version = normalizeCuda(cuda);
  let found: ToolkitRange | undefined;
  for (const row of TOOLKIT_RANGES) {
    if (compareDottedVersions(version, row.fromCuda) >= 0) found = row;
  }
  return found ? { min: found.min, max: found.max } : undefined;
}

/**
 * Why a build for CUDA `cuda` has no kernels for a GPU of compute capability `capability`, or
 * undefined when it can. `buildRange` narrows the toolkit's range to what the framework's
 * wheels were actually compiled for (a row of data/frameworks.json), when the table knows it.
 */
export function missingKernelsReason(
  cuda: string,
  capability: string,
  buildRange?: { readonly min: string; readonly max: string },
): string | undefined {
  const toolkit = toolkitCapabilityRange(cuda);
  const range = buildRange ?? toolkit;
  if (!range) return undefined;
  const arch = `${gpuArchitectureName(capability)} (compute capability ${capability})`;
  if (compareDottedVersions(capability, range.min) < 0) {
    return `CUDA ${normalizeCuda(cuda)} builds start at compute capability ${range.min}; a ${arch} GPU has no kernels in them`;
  }
  if (compareDottedVersions(capability, range.max) > 0) {
    return `CUDA ${normalizeCuda(cuda)} builds end at compute capability ${range.max}; a ${arch} GPU needs a newer CUDA build`;
  }
  return undefined;
}
