/**
 * `ferry doctor`: will this bundle run on this host? A pure function over what the bundle says
 * about itself and what the probe saw on the host; every problem has a stable code, a message
 * that names the facts, and a fix.
 */
import type { Manifest } from '../bundle/manifest.js';
import { acceleratorName, isAcceleratorBuild } from '../frameworks/accelerators.js';
import {
  compareDottedVersions,
  cudaRuntimeSoname,
  cudaSupport,
  describeDriver,
  minimumDriverFor,
  normalizeCuda,
} from '../frameworks/cuda.js';
import { missingKernelsReason, toolkitCapabilityRange } from '../frameworks/gpu-arch.js';
import {
  type FrameworkName,
  type FrameworkTable,
  loadFrameworkTable,
} from '../frameworks/table.js';
import {
  cpuHas,
  interpreterVersion,
  type ProfileInterpreter,
  type TargetProfile,
} from '../host/profile.js';
import { parseWheelFilename, type WheelFilename } from '../standards/filename.js';
import { normalizeName } from '../standards/name.js';
import { parseSpecifierSet, specifierSetContains } from '../standards/specifier.js';
import { compareVersions, tryParseVersion } from '../standards/version.js';

export interface BundleFacts {
  /** Every binary wheel's tag set (expanded: 'cp39-cp39-manylinux_2_28_x86_64', ...). */
  readonly wheels?: readonly { readonly filename: string; readonly tags: readonly string[] }[];
  /** Interpreter tags the bundle was built for, e.g. ['cp39']. */
  readonly pythonTags?: readonly string[];
  /** The framework's (or bundle's) Requires-Python, e.g. '>=3.8,<3.13'. */
  readonly requiresPython?: string;
  /** The CUDA version the bundle's framework build needs ('11.8'); absent or 'cpu' for CPU builds. */
  readonly cuda?: string;
  readonly needsAvx?: boolean;
  readonly framework?: string;
  /** Sonames provided by nvidia-* wheels in the bundle (they land in site-packages/nvidia/*\/lib). */
  readonly cudaLibrariesBundled: readonly string[];
  /** Sonames the framework loads at run time; default: the CUDA runtime of `cuda`. */
  readonly cudaLibrariesNeeded?: readonly string[];
  /**
   * The compute capabilities the framework build has kernels for, when ferry's table knows
   * them (data/frameworks.json `capabilities`); absent: the CUDA toolkit's whole range.
   */
  readonly gpuCapabilities?: { readonly min: string; readonly max: string };
  /** The newest GLIBCXX version the framework's binaries need ('3.4.25'), when the table gives a floor. */
  readonly minGlibcxx?: string;
  /**
   * A build for an accelerator other than NVIDIA's, as the table names it ('rocm6.3', 'npu',
   * 'xpu', 'dcu'): neither a CUDA build nor a CPU build (`cuda` is then absent).
   */
  readonly accelerator?: string;
}

export type DoctorCode =
  | 'PYTHON_MISSING'
  | 'ARCH_MISMATCH'
  | 'LIBC_MISMATCH'
  | 'GLIBC_TOO_OLD'
  | 'TAGS_UNSUPPORTED'
  | 'NO_AVX'
  | 'CUDA_NO_DRIVER'
  | 'CUDA_DRIVER_TOO_OLD'
  | 'CUDA_MINOR_VERSION_COMPAT'
  | 'CUDA_LIBRARY_MISSING'
  | 'NO_GPU'
  | 'GPU_NO_KERNELS'
  | 'LIBSTDCXX_TOO_OLD'
  | 'ACCELERATOR_NOT_PROBED';

export interface DoctorProblem {
  readonly code: DoctorCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly fix: string;
}

export interface DoctorOptions {
  /** Count a driver that runs the CUDA build only through minor-version compatibility as a warning. */
  readonly allowMinorVersionCompat?: boolean;
}

interface PlatformTag {
  readonly kind: 'manylinux' | 'musllinux' | 'linux' | 'other';
  readonly arch: string;
  readonly version?: readonly [number, number];
}

const LEGACY: Readonly<Record<string, readonly [number, number]>> = {
  manylinux1: [2, 5],
  manylinux2010: [2, 12],
  manylinux2014: [2, 17],
};

function platformOf(tag: string): PlatformTag | undefined {
  const plat = tag.split('-')[2];
  if (plat === undefined) return undefined;
  if (plat === 'any') return undefined;
  let m = /^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$/.exec(plat);
  if (m !== null)
    return {
      kind: m[1] as 'manylinux' | 'musllinux',
      arch: m[4] as string,
      version: [Number(m[2]), Number(m[3])],
    };
  m = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(plat);
  if (m !== null)
    return {
      kind: 'manylinux',
      arch: m[2] as string,
      version: LEGACY[m[1] as string] as readonly [number, number],
    };
  m = /^linux_(.+)$/.exec(plat);
  if (m !== null) return { kind: 'linux', arch: m[1] as string };
  return { kind: 'other', arch: plat };
}

function hostArch(arch: string): string {
  const a = arch.toLowerCase();
  return a === 'amd64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

function interpreterFits(i: ProfileInterpreter, facts: BundleFacts): boolean {
  const [major, minor] = interpreterVersion(i);
  if (facts.pythonTags !== undefined && facts.pythonTags.length > 0) {
    const own = new Set(i.tags.map((t) => t.split('-')[0]));
    if (!facts.pythonTags.some((t) => own.has(t))) return false;
  }
  if (facts.requiresPython !== undefined && facts.requiresPython.trim() !== '') {
    try {
      if (!specifierSetContains(parseSpecifierSet(facts.requiresPython), i.version)) return false;
    } catch {
      // an unparsable Requires-Python is the bundle's problem, not the host's
    }
  }
  return major > 0 || minor > 0;
}

function wanted(facts: BundleFacts): string {
  const parts: string[] = [];
  if (facts.pythonTags !== undefined && facts.pythonTags.length > 0)
    parts.push(facts.pythonTags.join('/'));
  if (facts.requiresPython) parts.push(`Requires-Python ${facts.requiresPython}`);
  return parts.join(', ') || 'its Python';
}

/** Diagnoses whether a bundle can be installed and run on the profiled host. */
export function diagnose(
  facts: BundleFacts,
  host: TargetProfile,
  opts: DoctorOptions = {},
): DoctorProblem[] {
  const problems: DoctorProblem[] = [];
  const add = (p: DoctorProblem): void => {
    if (!problems.some((q) => q.code === p.code && q.message === p.message)) problems.push(p);
  };
  const arch = hostArch(host.arch);

  // Python
  const fitting = host.interpreters.filter((i) => interpreterFits(i, facts));
  if (fitting.length === 0) {
    const seen =
      host.interpreters.map((i) => `${i.version} (${i.paths[0]})`).join(', ') || 'no Python at all';
    add({
      code: 'PYTHON_MISSING',
      severity: 'error',
      message: `no Python on this host matches the bundle (${wanted(facts)}); found: ${seen}`,
      fix: 'Install the Python the bundle was built for on this host, or build the bundle again for a profile of this host (ferry probe).',
    });
  }

  // Wheel platforms, judged against the interpreters that fit (or all, when none does).
  const judges = fitting.length > 0 ? fitting : host.interpreters;
  for (const wheel of facts.wheels ?? []) {
    if (judges.some((i) => wheel.tags.some((t) => i.tags.includes(t)))) continue;
    const plats = wheel.tags.map(platformOf).filter((p): p is PlatformTag => p !== undefined);
    if (plats.length === 0) {
      if (judges.length > 0 && fitting.length > 0) {
        add({
          code: 'TAGS_UNSUPPORTED',
          severity: 'error',
          message: `${wheel.filename}: none of its tags (${wheel.tags.join(', ')}) is supported by the Python on this host`,
          fix: 'Build the bundle again for a profile of this host (ferry probe).',
        });
      }
      continue;
    }
    if (!plats.some((p) => hostArch(p.arch) === arch)) {
      add({
        code: 'ARCH_MISMATCH',
        severity: 'error',
        message: `${wheel.filename} is built for ${[...new Set(plats.map((p) => p.arch))].join('/')}, this host is ${arch}`,
        fix: `Build the bundle for linux ${arch} (probe this host and pass the profile to ferry).`,
      });
      continue;
    }
    const libc = host.libc;
    const sameArch = plats.filter((p) => hostArch(p.arch) === arch);
    const kinds = new Set(sameArch.map((p) => p.kind));
    if (
      libc !== null &&
      libc.kind === 'glibc' &&
      !kinds.has('manylinux') &&
      !kinds.has('linux') &&
      kinds.has('musllinux')
    ) {
      add({
        code: 'LIBC_MISMATCH',
        severity: 'error',
        message:
          `${wheel.filename} is built for musl libc (musllinux), this host uses glibc ${libc.version ?? ''}`.trim(),
        fix: 'Build the bundle for a glibc target (a profile of this host).',
      });
      continue;
    }
    if (
      libc !== null &&
      libc.kind === 'musl' &&
      !kinds.has('musllinux') &&
      (kinds.has('manylinux') || kinds.has('linux'))
    ) {
      add({
        code: 'LIBC_MISMATCH',
        severity: 'error',
        message: `${wheel.filename} is built for glibc (manylinux), this host uses musl libc`,
        fix: 'Build the bundle for a musl target (a profile of this host), or run on a glibc host.',
      });
      continue;
    }
    const many = sameArch.filter((p) => p.kind === 'manylinux' && p.version !== undefined);
    // A host glibc version that does not parse is not compared: no finding rather than a wrong one.
    const hostGlibc = libc?.kind === 'glibc' && libc.version !== null ? libc.version : undefined;
    if (hostGlibc !== undefined && tryParseVersion(hostGlibc) !== undefined && many.length > 0) {
      const glibc = (tag: PlatformTag) => (tag.version as readonly [number, number]).join('.');
      // The oldest glibc any of the wheel's manylinux tags asks for.
      const oldest = [...many].sort((x, y) =>
        compareVersions(glibc(x), glibc(y)),
      )[0] as PlatformTag;
      const v = oldest.version as readonly [number, number];
      if (compareVersions(glibc(oldest), hostGlibc) > 0) {
        add({
          code: 'GLIBC_TOO_OLD',
          severity: 'error',
          message: `${wheel.filename}: bundle needs manylinux_${v[0]}_${v[1]}, host glibc is ${hostGlibc}`,
          fix: `Upgrade the host to glibc ≥ ${v[0]}.${v[1]} (a newer OS release), or build the bundle for this host's profile so older wheels are chosen.`,
        });
        continue;
      }
    }
    if (fitting.length > 0) {
      add({
        code: 'TAGS_UNSUPPORTED',
        severity: 'error',
        message: `${wheel.filename}: none of its tags (${wheel.tags.join(', ')}) is supported by the Python on this host`,
        fix: 'Build the bundle again for a profile of this host (ferry probe).',
      });
    }
  }

  // AVX
  if (facts.needsAvx === true && arch === 'x86_64' && cpuHas(host, 'avx') === false) {
    add({
      code: 'NO_AVX',
      severity: 'error',
      message: `${facts.framework ?? 'the bundle'} needs a CPU with AVX; this host's CPU (${host.cpu.model ?? 'unknown model'}) has none`,
      fix: 'Run on a CPU with AVX, or bundle a build compiled without AVX (a source build).',
    });
  }

  // libstdc++: the table's floor against the host's newest GLIBCXX. A profile made from flags
  // (libstdcxx null) or a library the probe could not read says nothing: no finding.
  const haveGlibcxx = host.libstdcxx?.glibcxx ?? null;
  if (
    facts.minGlibcxx !== undefined &&
    haveGlibcxx !== null &&
    compareDottedVersions(haveGlibcxx, facts.minGlibcxx) < 0
  ) {
    add({
      code: 'LIBSTDCXX_TOO_OLD',
      severity: 'error',
      message: `${facts.framework ?? 'the bundle'} needs a libstdc++ with GLIBCXX_${facts.minGlibcxx}; this host's ${host.libstdcxx?.path ?? 'libstdc++.so.6'} goes up to GLIBCXX_${haveGlibcxx}`,
      fix: `Run on a host whose libstdc++ has GLIBCXX_${facts.minGlibcxx} (GCC 8's runtime has 3.4.25; CentOS 7 ships 3.4.19), or bundle a framework release built with an older compiler (ferry frameworks choose shows which).`,
    });
  }

  // ROCm, Ascend, Kunlunxin, Hygon: a probe sees only NVIDIA's driver, so nothing NVIDIA's is
  // asked of such a build, and what cannot be checked here is said (the smoke test checks it).
  if (facts.accelerator !== undefined) {
    const name = acceleratorName(facts.accelerator);
    add({
      code: 'ACCELERATOR_NOT_PROBED',
      severity: 'warning',
      message: `${facts.framework ?? 'this bundle'} is a${/^[AEIOU]/.test(name) ? 'n' : ''} ${name} build; ferry does not probe the ${name} driver or devices, so they are not checked here`,
      fix: `Check the ${name} stack on this host (${ACCELERATOR_TOOLS[facts.accelerator.startsWith('rocm') ? 'rocm' : facts.accelerator] ?? "the vendor's tools"}); ferry install's smoke test runs the framework there.`,
    });
  }

  // NVIDIA driver and CUDA libraries
  const cuda =
    facts.cuda === undefined || facts.cuda.toLowerCase() === 'cpu'
      ? undefined
      : normalizeCuda(facts.cuda);
  if (cuda !== undefined) {
    const soname = cudaRuntimeSoname(cuda);
    const driver = host.nvidia.driverVersion;
    if (driver === null) {
      add({
        code: 'CUDA_NO_DRIVER',
        severity: 'error',
        message: `this bundle is a CUDA ${cuda} build, and this host has no NVIDIA driver (no /proc/driver/nvidia/version, no nvidia-smi)`,
        fix: `Install NVIDIA driver ≥ ${minimumDriverFor(cuda)}, or bundle the CPU build.`,
      });
    } else {
      const support = cudaSupport(driver, cuda);
      if (
        support === 'none' ||
        (support === 'minor-version-compat' && !opts.allowMinorVersionCompat)
      ) {
        add({
          code: 'CUDA_DRIVER_TOO_OLD',
          severity: 'error',
          message: `${soname} will not be found: ${describeDriver(driver)} and this bundle needs ${cuda} — install driver ≥ ${minimumDriverFor(cuda)}, or bundle the CPU build`,
          fix: `Install NVIDIA driver ≥ ${minimumDriverFor(cuda)}, or bundle the CPU build (--cuda cpu) or a CUDA build the driver supports.`,
        });
      } else if (support === 'minor-version-compat') {
        add({
          code: 'CUDA_MINOR_VERSION_COMPAT',
          severity: 'warning',
          message: `${describeDriver(driver)}; this bundle needs ${cuda} and will run only through CUDA minor-version compatibility (no PTX JIT of newer code)`,
          fix: `Install NVIDIA driver ≥ ${minimumDriverFor(cuda)} for full support.`,
        });
      }
      // Kernels for each GPU's architecture: however new the driver, a GPU outside the build's
      // compute-capability range fails at the first kernel launch. Empty = not known: no finding.
      const capabilities = host.nvidia.computeCapabilities;
      for (const [i, capability] of capabilities.entries()) {
        if (capabilities.indexOf(capability) !== i) continue;
        const reason = missingKernelsReason(cuda, capability, facts.gpuCapabilities);
        if (reason === undefined) continue;
        const gpu = host.nvidia.gpus[i]?.replace(/\s*\(UUID:.*\)$/, '') ?? `GPU ${i}`;
        add({
          code: 'GPU_NO_KERNELS',
          severity: 'error',
          message: `${facts.framework ?? 'the bundle'} has no kernels for ${gpu}: ${reason}`,
          fix: `Bundle a build whose CUDA version covers compute capability ${capability}${cudaCovering(capability)}, or run on another GPU.`,
        });
      }
      if (host.nvidia.gpuCount === 0) {
        add({
          code: 'NO_GPU',
          severity: 'warning',
          message: `driver ${driver} is installed but no GPU was found; a CUDA build will run on the CPU only, or fail`,
          fix: 'Check the GPUs with nvidia-smi -L, or bundle the CPU build.',
        });
      }
    }
    const needed = facts.cudaLibrariesNeeded ?? [soname];
    const hostSonames = new Set(host.cudaLibraries.map((l) => l.soname));
    const bundled = new Set(facts.cudaLibrariesBundled);
    for (const lib of needed) {
      if (bundled.has(lib) || hostSonames.has(lib)) continue;
      const others = host.cudaLibraries
        .filter((l) => lib.startsWith(`lib${l.library}.so`))
        .map((l) => `${l.soname} (${l.path})`);
      add({
        code: 'CUDA_LIBRARY_MISSING',
        severity: 'error',
        message: `${lib} is not in the bundle's nvidia-* wheels and not on this host (ldconfig, LD_LIBRARY_PATH, /usr/local/cuda*/lib64)${others.length > 0 ? `; found only ${others.join(', ')}` : ''}`,
        fix: `Install the CUDA ${cuda} runtime libraries (CUDA toolkit / cuDNN) on this host, or bundle the framework build that depends on nvidia-* wheels.`,
      });
    }
  }
  return problems;
}

/** CUDA versions whose kernel ranges differ (gpu-arch.ts), to say which ones cover a GPU. */
const CUDA_STEPS = ['11.0', '11.1', '11.8', '12.0', '12.8', '12.9', '13.0'];

/** ' (CUDA 12.8 or newer)', ' (CUDA 11.8 or older)', ' (CUDA 11.0 to 12.9)', or ''. */
function cudaCovering(capability: string): string {
  const covering = CUDA_STEPS.filter((c) => missingKernelsReason(c, capability) === undefined);
  const first = covering[0];
  const last = covering[covering.length - 1];
  if (first === undefined || last === undefined) return '';
  if (last === CUDA_STEPS[CUDA_STEPS.length - 1]) return ` (CUDA ${first} or newer)`;
  if (first === CUDA_STEPS[0] && toolkitCapabilityRange(first) !== undefined)
    return ` (CUDA ${last} or older)`;
  return ` (CUDA ${first} to ${last})`;
}

/** Normalized distribution name → the framework it is a build of. */
const FRAMEWORK_PROJECTS: Readonly<Record<string, FrameworkName>> = {
  paddlepaddle: 'paddlepaddle',
  'paddlepaddle-gpu': 'paddlepaddle',
  torch: 'torch',
  tensorflow: 'tensorflow',
  'tensorflow-cpu': 'tensorflow',
  'tensorflow-gpu': 'tensorflow',
  'paddlepaddle-xpu': 'paddlepaddle',
  'paddlepaddle-dcu': 'paddlepaddle',
};

/** How to look at each accelerator's stack on the host, for ACCELERATOR_NOT_PROBED. */
const ACCELERATOR_TOOLS: Readonly<Record<string, string>> = {
  rocm: 'rocm-smi, or rocminfo, and the ROCm release the build names',
  npu: 'npu-smi info, and the CANN toolkit torch-npu needs',
  xpu: 'xpu_smi, and the Kunlunxin driver',
  dcu: 'hy-smi, and the DTK the build needs',
};

/**
 * The accelerator build (table `cuda` value 'rocm6.3', 'npu', 'xpu', 'dcu') a bundled wheel is:
 * a `+rocmX.Y` local label, or a project the table gives only to one accelerator build
 * (paddlepaddle-xpu, paddlepaddle-dcu, torch-npu).
 */
function acceleratorOf(
  wheels: readonly WheelFilename[],
  table: FrameworkTable,
): string | undefined {
  const byProject = new Map<string, Set<string>>();
  for (const series of table.series)
    for (const v of series.variants) {
      const project = normalizeName(v.project);
      const kinds = byProject.get(project) ?? new Set<string>();
      kinds.add(isAcceleratorBuild(v.cuda) ? v.cuda : 'other');
      byProject.set(project, kinds);
    }
  for (const w of wheels) {
    const rocm = /\+(rocm\d+(?:\.\d+)*)$/.exec(w.version);
    if (rocm !== null && FRAMEWORK_PROJECTS[w.name] !== undefined) return rocm[1];
    const kinds = byProject.get(w.name);
    if (kinds?.size === 1) {
      const only = [...kinds][0] as string;
      if (only !== 'other') return only;
    }
  }
  return undefined;
}

/** Projects that are CPU builds whatever their version says. */
const CPU_PROJECTS = new Set(['paddlepaddle', 'tensorflow-cpu']);

/** An `nvidia-*-cuNN` wheel (pinned by Paddle 3.x, PyTorch and tensorflow[and-cuda]). */
const NVIDIA_WHEEL = /^nvidia-(.+?)(?:-cu(\d+))?$/;

/** The sonames an nvidia-* wheel puts under site-packages/nvidia/*\/lib. */
function nvidiaSonames(
  component: string,
  cudaMajor: number | undefined,
  version: string,
): string[] {
  const major = cudaMajor ?? Number(version.split('.')[0]);
  switch (component) {
    case 'cuda-runtime':
      return [major === 11 ? 'libcudart.so.11.0' : `libcudart.so.${major}`];
    case 'cudnn':
      return [`libcudnn.so.${version.split('.')[0]}`];
    case 'cublas':
      return [`libcublas.so.${major}`, `libcublasLt.so.${major}`];
    case 'nccl':
      return ['libnccl.so.2'];
    default:
      return [];
  }
}

/**
 * The CUDA version a framework build needs, from what the bundle carries, best evidence first:
 * Paddle's `.postNNN` and PyTorch's `+cuNNN`; a `/cuNNN/` index path the wheel came from;
 * ferry's variant table (paddlepaddle-gpu 2.6.2 from the default index is the CUDA 11.8 build);
 * the version of the bundled nvidia-cuda-runtime wheel. 'cpu' for CPU builds.
 */
function frameworkCuda(
  project: string,
  version: string,
  url: string | undefined,
  runtime: { major?: number; version: string } | undefined,
  table: FrameworkTable,
): string | undefined {
  if (CPU_PROJECTS.has(project)) return 'cpu';
  const post = /\.post(\d{3,4})$/.exec(version);
  if (project === 'paddlepaddle-gpu' && post !== null) return normalizeCudaTag(post[1] as string);
  const local = /\+(cu\d{3,4}|cpu|rocm[\d.]*)$/.exec(version);
  if (local !== null)
    return local[1] === 'cpu'
      ? 'cpu'
      : local[1]?.startsWith('cu')
        ? normalizeCudaTag(local[1].slice(2))
        : undefined;
  const fromUrl = url === undefined ? null : /\/cu(\d{3,4})\//.exec(url);
  if (fromUrl !== null) return normalizeCudaTag(fromUrl[1] as string);
  if (runtime !== undefined) {
    const [a, b] = runtime.version.split('.');
    return `${Number(a)}.${Number(b ?? 0)}`;
  }
  const rows = table.series.flatMap((s) =>
    s.variants
      .filter((v) => v.project === project && v.cuda !== 'cpu' && v.index === 'default')
      .filter((v) => s.versions.some((r) => v.version.replace('{version}', r) === version))
      .map((v) => v.cuda),
  );
  if (new Set(rows).size === 1) return rows[0];
  return project === 'torch' || project === 'tensorflow' ? 'cpu' : undefined;
}

function normalizeCudaTag(digits: string): string {
  return normalizeCuda(digits);
}

export interface BundleFactsFromManifest extends BundleFacts {
  /** The framework distribution found, e.g. { name: 'paddlepaddle-gpu', version: '2.6.2.post112' }. */
  readonly frameworkPackage?: { readonly name: string; readonly version: string };
}

/**
 * What a bundle says about itself, from its manifest: every wheel's tags, the framework build,
 * the CUDA version it needs, whether it needs AVX, and the CUDA libraries its nvidia-* wheels
 * carry. Pure: the manifest is the only input (plus ferry's variant table).
 */
export function bundleFactsFromManifest(
  manifest: Manifest,
  table: FrameworkTable = loadFrameworkTable(),
): BundleFactsFromManifest {
  const wheels: WheelFilename[] = [];
  for (const file of manifest.files) {
    const name = file.path.split('/').pop() ?? file.path;
    if (!name.endsWith('.whl')) continue;
    try {
      wheels.push(parseWheelFilename(name));
    } catch {
      // not a wheel ferry can read: pip will say so
    }
  }
  const bundled = new Set<string>();
  let runtime: { major?: number; version: string } | undefined;
  for (const w of wheels) {
    const m = NVIDIA_WHEEL.exec(w.name);
    if (m === null) continue;
    const major = m[2] === undefined ? undefined : Number(m[2]);
    for (const soname of nvidiaSonames(m[1] as string, major, w.version)) bundled.add(soname);
    if (m[1] === 'cuda-runtime')
      runtime = { ...(major === undefined ? {} : { major }), version: w.version };
  }
  const frameworkWheel = wheels.find((w) => FRAMEWORK_PROJECTS[w.name] !== undefined);
  const frameworkPackage =
    frameworkWheel ??
    manifest.packages
      .map((p) => ({ name: normalizeName(p.name), version: p.version }))
      .find((p) => FRAMEWORK_PROJECTS[p.name] !== undefined);
  const facts: {
    -readonly [K in keyof BundleFactsFromManifest]: BundleFactsFromManifest[K];
  } = {
    wheels: wheels.map((w) => ({ filename: w.filename, tags: w.tags })),
    cudaLibrariesBundled: [...bundled].sort(),
  };
  const binaryPython = (w: WheelFilename): string[] =>
    w.abiTags.some((a) => a !== 'none' && a !== 'abi3')
      ? w.pythonTags.filter((t) => /^cp\d+$/.test(t))
      : [];
  const pythonTags =
    frameworkWheel !== undefined
      ? binaryPython(frameworkWheel)
      : [...new Set(wheels.flatMap(binaryPython))];
  if (pythonTags.length > 0) facts.pythonTags = pythonTags;
  if (frameworkPackage !== undefined) {
    const framework = FRAMEWORK_PROJECTS[frameworkPackage.name] as FrameworkName;
    facts.framework = `${frameworkPackage.name} ${frameworkPackage.version}`;
    facts.frameworkPackage = { name: frameworkPackage.name, version: frameworkPackage.version };
    const url = manifest.files.find(
      (f) => normalizeName(f.name) === frameworkPackage.name && f.path.endsWith('.whl'),
    )?.url;
    const cuda = frameworkCuda(
      frameworkPackage.name,
      frameworkPackage.version,
      url,
      runtime,
      table,
    );
    const accelerator = acceleratorOf(wheels, table);
    // torch-npu beside torch: torch itself reads as a CPU build, but the bundle is Ascend's.
    if (accelerator !== undefined) facts.accelerator = accelerator;
    else if (cuda !== undefined) facts.cuda = cuda;
    const avx = table.series.find((s) => s.framework === framework)?.requiresAvx.value;
    if (avx !== undefined) facts.needsAvx = avx;
    const floors = buildFloors(
      table,
      frameworkPackage.name,
      frameworkPackage.version,
      accelerator ?? cuda,
    );
    if (floors.gpuCapabilities !== undefined) facts.gpuCapabilities = floors.gpuCapabilities;
    if (floors.minGlibcxx !== undefined) facts.minGlibcxx = floors.minGlibcxx;
  }
  return facts;
}

/** The optional per-build facts of a table row that doctor reads (data/frameworks.json). */
interface BuildRow {
  readonly project: string;
  readonly version: string;
  readonly cuda: string;
  readonly releases?: readonly string[];
  readonly minGlibcxx?: string;
  readonly capabilities?: { readonly min: string; readonly max: string };
}

/**
 * The kernel range and libstdc++ floor of the table's build that `project==version` is, for
 * its CUDA version: the rows of every series whose pin spells that version. Given only when
 * every such row agrees (a pin two builds share with different facts says nothing).
 */
function buildFloors(
  table: FrameworkTable,
  project: string,
  version: string,
  cuda: string | undefined,
): Pick<BundleFacts, 'gpuCapabilities' | 'minGlibcxx'> {
  const rows: BuildRow[] = [];
  const sameCuda = (c: string): boolean =>
    cuda === undefined ||
    (c.toLowerCase() === 'cpu'
      ? cuda === 'cpu'
      : // Builds for other accelerators (rocm6.3, npu, xpu, dcu) are named, not numbered.
        !/^\d/.test(c)
        ? cuda === c
        : cuda !== 'cpu' && normalizeCuda(c) === cuda);
  for (const series of table.series) {
    for (const variant of series.variants as readonly BuildRow[]) {
      if (normalizeName(variant.project) !== project || !sameCuda(variant.cuda)) continue;
      const releases = variant.releases ?? series.versions;
      if (releases.some((r) => variant.version.replace('{version}', r) === version))
        rows.push(variant);
    }
  }
  const agreed = <T>(values: (T | undefined)[]): T | undefined => {
    const keys = new Set(values.map((v) => JSON.stringify(v ?? null)));
    return keys.size === 1 ? values[0] : undefined;
  };
  const out: { -readonly [K in 'gpuCapabilities' | 'minGlibcxx']?: BundleFacts[K] } = {};
  const range = agreed(
    rows.map((r) =>
      r.capabilities === undefined
        ? undefined
        : { min: r.capabilities.min, max: r.capabilities.max },
    ),
  );
  if (range !== undefined) out.gpuCapabilities = range;
  const glibcxx = agreed(rows.map((r) => r.minGlibcxx));
  if (glibcxx !== undefined) out.minGlibcxx = glibcxx;
  return out;
}
