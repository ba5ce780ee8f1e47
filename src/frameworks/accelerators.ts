/**
 * Builds for accelerators other than NVIDIA's, asked for by name through the same flag as a
 * CUDA version (`--cuda rocm6.3`, `--cuda npu`, `--cuda xpu`, `--cuda dcu`): AMD ROCm, Huawei
 * Ascend NPU, Kunlunxin (昆仑芯) XPU and Hygon (海光) DCU. They are never chosen by `--cuda auto`
 * (a probe sees only NVIDIA drivers), and ferry checks no driver for them: ferry doctor and the
 * smoke test on the target do. Where no wheel index exists for a framework and accelerator, the
 * refusal names the vendor's channel.
 */

/** 'rocm6.3' | 'npu' | 'xpu' | 'dcu' (or 'rocm' for the newest ROCm build). */
export function isAcceleratorBuild(build: string): boolean {
  return /^(rocm(\d+(\.\d+)*)?|npu|xpu|dcu)$/.test(build);
}

/** A CUDA build: 'MAJOR.MINOR' as the table writes it. */
export function isCudaBuild(build: string): boolean {
  return /^\d+\.\d+$/.test(build);
}

const ACCELERATOR_NAMES: Readonly<Record<string, string>> = {
  rocm: 'AMD ROCm',
  npu: 'Huawei Ascend NPU',
  xpu: 'Kunlunxin (昆仑芯) XPU',
  dcu: 'Hygon (海光) DCU',
};

export function acceleratorName(build: string): string {
  const kind = build.startsWith('rocm') ? 'rocm' : build;
  const version = build.startsWith('rocm') ? build.slice(4) : '';
  return `${ACCELERATOR_NAMES[kind] ?? build}${version ? ` ${version}` : ''}`;
}

/**
 * Where a framework's build for an accelerator comes from when ferry's table has no wheel index
 * for it: the vendor's own channel, to fetch the wheel by hand and bundle it with --find-links.
 */
const VENDOR_CHANNELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  torch: {
    rocm: "PyTorch's ROCm wheels are published for the torch releases in ferry's table that list them (ferry frameworks); for others, AMD's repository (repo.radeon.com, rocm/manylinux)",
    xpu: "Kunlunxin's PyTorch adaptation is distributed by Kunlunxin (昆仑芯) to its customers, not on a public wheel index",
    dcu: "Hygon's DCU builds of PyTorch come from Hygon's developer community (光合开发者社区, developer.hpccube.com), not from a public wheel index",
    npu: 'Ascend builds are torch plus the torch-npu adapter (PyPI) and the CANN toolkit from Huawei (hiascend.com)',
  },
  tensorflow: {
    rocm: "AMD publishes tensorflow-rocm wheels in its own repository (repo.radeon.com); ferry's table does not carry them",
    npu: "Huawei's TensorFlow adapter for Ascend (npu_bridge) ships with the CANN toolkit (hiascend.com), not as a wheel on a public index",
    xpu: 'Kunlunxin does not publish TensorFlow builds on a public wheel index',
    dcu: "Hygon's DCU builds of TensorFlow come from Hygon's developer community (光合开发者社区, developer.hpccube.com)",
  },
  paddlepaddle: {
    rocm: 'PaddlePaddle publishes no ROCm wheels on its index; Paddle supports AMD GPUs through its Hygon DCU builds',
    npu: 'PaddlePaddle for Ascend is the paddle-custom-device plugin (PaddlePaddle/PaddleCustomDevice), built against the CANN toolkit from Huawei (hiascend.com)',
    xpu: "PaddlePaddle's Kunlunxin builds are on Paddle's index for the releases in ferry's table that list them (ferry frameworks)",
    dcu: "PaddlePaddle's Hygon DCU builds are on Paddle's index for the releases in ferry's table that list them (ferry frameworks)",
  },
};

export function vendorChannel(framework: string, build: string): string {
  const kind = build.startsWith('rocm') ? 'rocm' : build;
  return VENDOR_CHANNELS[framework]?.[kind] ?? `ask the ${acceleratorName(build)} vendor`;
}
