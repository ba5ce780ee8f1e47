/**
 * doctor on builds for accelerators other than NVIDIA's (ROCm, Ascend NPU, Kunlunxin XPU, Hygon
 * DCU), recognised from ferry's table: not called CPU builds, no NVIDIA checks asked of them, and
 * a warning that their stack is not probed here (the smoke test runs the framework on it).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseTargetProfile, type TargetProfile } from '../../src/host/profile.js';
import { bundleFactsFromManifest, diagnose } from '../../src/onhost/doctor.js';
import { runCli, tempDir } from '../cli/run-cli.js';
import { manifestOf, writeManifestOnlyBundle } from './fake-bundle.js';

const profileText = (name: string): string =>
  readFileSync(new URL(`../fixtures/profiles/${name}.json`, import.meta.url), 'utf8');

/** ubuntu2204-535-py310 with no NVIDIA driver and no GPU (an AMD or Ascend host). */
function hostWithoutNvidia(): TargetProfile {
  const p = JSON.parse(profileText('ubuntu2204-535-py310'));
  p.nvidia.driverVersion = null;
  p.nvidia.driverSource = null;
  p.nvidia.gpuCount = null;
  p.nvidia.gpus = [];
  p.nvidia.computeCapabilities = [];
  return parseTargetProfile(p, 'test host');
}

const ROCM = 'torch-2.7.1+rocm6.3-cp310-cp310-manylinux_2_28_x86_64.whl';

describe('doctor: accelerator builds', () => {
  it('a +rocm torch wheel is the ROCm build, not a CPU build', () => {
    const facts = bundleFactsFromManifest(manifestOf([ROCM]));
    assert.equal(facts.accelerator, 'rocm6.3');
    assert.equal(facts.cuda, undefined);
  });

  it('paddlepaddle-xpu, paddlepaddle-dcu and torch-npu are their accelerator builds', () => {
    const of = (files: string[]) => bundleFactsFromManifest(manifestOf(files));
    const xpu = of(['paddlepaddle_xpu-3.3.1-cp310-cp310-linux_x86_64.whl']);
    assert.equal(xpu.accelerator, 'xpu');
    assert.equal(xpu.framework, 'paddlepaddle-xpu 3.3.1');
    assert.equal(of(['paddlepaddle_dcu-3.3.1-cp310-cp310-linux_x86_64.whl']).accelerator, 'dcu');
    const npu = of([
      'torch-2.7.1-cp310-cp310-manylinux_2_28_aarch64.whl',
      'torch_npu-2.7.1-cp310-cp310-manylinux_2_28_aarch64.whl',
    ]);
    assert.equal(npu.accelerator, 'npu');
    assert.equal(npu.cuda, undefined, 'torch beside torch-npu is not read as the CPU build');
  });

  it('CPU and CUDA builds stay what they are', () => {
    const cpu = bundleFactsFromManifest(
      manifestOf(['torch-2.7.1+cpu-cp310-cp310-manylinux_2_28_x86_64.whl']),
    );
    assert.equal(cpu.cuda, 'cpu');
    assert.equal(cpu.accelerator, undefined);
    const cu = bundleFactsFromManifest(
      manifestOf(['torch-2.7.1+cu126-cp310-cp310-manylinux_2_28_x86_64.whl']),
    );
    assert.equal(cu.cuda, '12.6');
    assert.equal(cu.accelerator, undefined);
  });

  it('no NVIDIA checks on a ROCm build, and a warning that ROCm is not probed', () => {
    const facts = bundleFactsFromManifest(manifestOf([ROCM]));
    const found = diagnose(facts, hostWithoutNvidia());
    assert.deepEqual(
      found.filter((p) => /^(CUDA_|NO_GPU|GPU_NO_KERNELS)/.test(p.code)),
      [],
      JSON.stringify(found),
    );
    const warning = found.find((p) => p.code === 'ACCELERATOR_NOT_PROBED');
    assert.ok(warning, JSON.stringify(found));
    assert.equal(warning.severity, 'warning');
    assert.match(warning.message, /AMD ROCm 6\.3 build; ferry does not probe the AMD ROCm 6\.3/);
    assert.match(warning.fix, /rocm-smi/);
  });

  it('ferry doctor names the ROCm build (not "CPU build") and exits 0', async () => {
    const dir = tempDir('ferry-doctor-rocm-');
    // The fixture's interpreter lists only manylinux_2_35 and linux tags.
    const bundle = await writeManifestOnlyBundle(join(dir, 'bundle'), [
      'torch-2.7.1+rocm6.3-cp310-cp310-linux_x86_64.whl',
    ]);
    const profile = join(dir, 'host.json');
    const p = JSON.parse(profileText('ubuntu2204-535-py310'));
    p.nvidia.driverVersion = null;
    p.nvidia.driverSource = null;
    p.nvidia.gpus = [];
    p.nvidia.computeCapabilities = [];
    writeFileSync(profile, JSON.stringify(p));
    const r = await runCli(['doctor', bundle, '--profile', profile]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const text = r.stdout + r.stderr;
    assert.match(text, /torch 2\.7\.1\+rocm6\.3, AMD ROCm 6\.3 build/);
    assert.doesNotMatch(text, /CPU build/);
    assert.match(text, /ACCELERATOR_NOT_PROBED|does not probe the AMD ROCm/);
  });
});
