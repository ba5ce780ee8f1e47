/**
 * doctor: a framework build with no kernels for a GPU on the host (GPU_NO_KERNELS), and a
 * build that needs a newer libstdc++ than the host has (LIBSTDCXX_TOO_OLD). Unknown facts
 * (a profile made from flags: no capabilities, no libstdc++) give no finding.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FrameworkTable } from '../../src/frameworks/table.js';
import { loadFrameworkTable } from '../../src/frameworks/table.js';
import { parseTargetProfile, type TargetProfile } from '../../src/host/profile.js';
import {
  type BundleFacts,
  bundleFactsFromManifest,
  type DoctorCode,
  diagnose,
} from '../../src/onhost/doctor.js';
import { runCli, tempDir } from '../cli/run-cli.js';
import { manifestOf, writeManifestOnlyBundle } from './fake-bundle.js';

const profileText = (name: string): string =>
  readFileSync(new URL(`../fixtures/profiles/${name}.json`, import.meta.url), 'utf8');

/** ubuntu2204-535-py310 with these GPUs (nvidia-smi -L names and compute capabilities). */
function hostWith(
  gpus: readonly [string, string][],
  driver = '580.65.06',
  libstdcxx: { glibcxx: string | null; path: string | null } | null = null,
): TargetProfile {
  const p = JSON.parse(profileText('ubuntu2204-535-py310'));
  p.nvidia.driverVersion = driver;
  p.nvidia.gpuCount = gpus.length;
  p.nvidia.gpus = gpus.map(([name], i) => `GPU ${i}: ${name} (UUID: GPU-${i})`);
  p.nvidia.computeCapabilities = gpus.map(([, cap]) => cap);
  p.libstdcxx = libstdcxx;
  return parseTargetProfile(p, 'test host');
}

const cudaBuild = (cuda: string, extra: Partial<BundleFacts> = {}): BundleFacts => ({
  cuda,
  framework: `torch 2.9.0+cu${cuda.replace('.', '')}`,
  cudaLibrariesBundled: ['libcudart.so.11.0', 'libcudart.so.12', 'libcudart.so.13'],
  ...extra,
});

const problems = (facts: BundleFacts, host: TargetProfile, code: DoctorCode) =>
  diagnose(facts, host).filter((p) => p.code === code);

describe('doctor: GPU kernels', () => {
  it('GPU_NO_KERNELS: a CUDA 11.8 build on a Blackwell GPU (needs CUDA 12.8 or newer)', () => {
    const found = problems(
      cudaBuild('11.8'),
      hostWith([['NVIDIA GeForce RTX 5090', '12.0']]),
      'GPU_NO_KERNELS',
    );
    assert.equal(found.length, 1, JSON.stringify(found));
    const p = found[0];
    assert.ok(p);
    assert.equal(p.severity, 'error');
    assert.equal(
      p.message,
      'torch 2.9.0+cu118 has no kernels for GPU 0: NVIDIA GeForce RTX 5090: CUDA 11.8 builds end at compute capability 9.0; a Blackwell (compute capability 12.0) GPU needs a newer CUDA build',
    );
    assert.match(p.fix, /compute capability 12\.0 \(CUDA 12\.8 or newer\)/);
  });

  it('GPU_NO_KERNELS: a CUDA 13 build on a Pascal GPU (CUDA 13 starts at Turing)', () => {
    const found = problems(
      cudaBuild('13.0'),
      hostWith([
        ['Tesla P40', '6.1'],
        ['Tesla P40', '6.1'],
      ]),
      'GPU_NO_KERNELS',
    );
    assert.equal(found.length, 1, 'one finding for two GPUs of the same capability');
    assert.match(found[0]?.message ?? '', /CUDA 13\.0 builds start at compute capability 7\.5/);
    assert.match(found[0]?.fix ?? '', /\(CUDA 12\.9 or older\)/);
  });

  it('names each GPU that has no kernels on a mixed host', () => {
    const found = problems(
      cudaBuild('12.6'),
      hostWith([
        ['NVIDIA A100-SXM4-80GB', '8.0'],
        ['NVIDIA B200', '10.0'],
      ]),
      'GPU_NO_KERNELS',
    );
    assert.deepEqual(
      found.map((p) => /GPU \d: [^:]+/.exec(p.message)?.[0]),
      ['GPU 1: NVIDIA B200'],
    );
  });

  it("narrows the toolkit's range to the build's own arch list when the table gives it", () => {
    const host = hostWith([['Tesla P100-PCIE-16GB', '6.0']]);
    assert.deepEqual(problems(cudaBuild('12.6'), host, 'GPU_NO_KERNELS'), []);
    const narrowed = cudaBuild('12.6', { gpuCapabilities: { min: '7.0', max: '9.0' } });
    assert.match(
      problems(narrowed, host, 'GPU_NO_KERNELS')[0]?.message ?? '',
      /start at compute capability 7\.0/,
    );
  });

  it('says nothing when the capabilities are unknown, or for a CPU build', () => {
    assert.deepEqual(problems(cudaBuild('11.8'), hostWith([]), 'GPU_NO_KERNELS'), []);
    const cpu: BundleFacts = { cuda: 'cpu', cudaLibrariesBundled: [] };
    assert.deepEqual(
      problems(cpu, hostWith([['NVIDIA GeForce RTX 5090', '12.0']]), 'GPU_NO_KERNELS'),
      [],
    );
  });
});

describe('doctor: libstdc++', () => {
  const paddle: BundleFacts = {
    framework: 'paddlepaddle 3.2.0',
    cuda: 'cpu',
    minGlibcxx: '3.4.25',
    cudaLibrariesBundled: [],
  };
  it('LIBSTDCXX_TOO_OLD: a build needing GLIBCXX_3.4.25 on CentOS 7 (3.4.19)', () => {
    const host = hostWith([], '580.65.06', { glibcxx: '3.4.19', path: '/lib64/libstdc++.so.6' });
    const found = problems(paddle, host, 'LIBSTDCXX_TOO_OLD');
    assert.equal(found.length, 1);
    assert.equal(
      found[0]?.message,
      "paddlepaddle 3.2.0 needs a libstdc++ with GLIBCXX_3.4.25; this host's /lib64/libstdc++.so.6 goes up to GLIBCXX_3.4.19",
    );
    assert.equal(found[0]?.severity, 'error');
  });
  it('accepts a new enough libstdc++, and says nothing when it is unknown', () => {
    const ok = hostWith([], '580.65.06', { glibcxx: '3.4.30', path: '/usr/lib/libstdc++.so.6' });
    assert.deepEqual(problems(paddle, ok, 'LIBSTDCXX_TOO_OLD'), []);
    assert.deepEqual(problems(paddle, hostWith([]), 'LIBSTDCXX_TOO_OLD'), []);
  });
});

describe('doctor: the build facts come from the framework table', () => {
  // A table row with the per-build facts (data/frameworks.json: capabilities, minGlibcxx).
  const real = loadFrameworkTable();
  const torchSeries = real.series.find((s) => s.framework === 'torch');
  assert.ok(torchSeries);
  const table = {
    ...real,
    series: [
      {
        ...torchSeries,
        series: '9.9',
        versions: ['9.9.0'],
        defaultVersion: '9.9.0',
        variants: [
          {
            ...torchSeries.variants[0],
            project: 'torch',
            cuda: '12.6',
            index: 'pytorch-cu126',
            version: '{version}+cu126',
            minGlibcxx: '3.4.25',
            capabilities: { min: '7.0', max: '9.0', from: 'test' },
          },
        ],
      },
    ],
  } as unknown as FrameworkTable;

  it("reads the build's kernel range and libstdc++ floor for the bundle's pin", () => {
    const f = bundleFactsFromManifest(
      manifestOf(['torch-9.9.0+cu126-cp310-cp310-manylinux_2_28_x86_64.whl']),
      table,
    );
    assert.equal(f.cuda, '12.6');
    assert.deepEqual(f.gpuCapabilities, { min: '7.0', max: '9.0' });
    assert.equal(f.minGlibcxx, '3.4.25');
    const other = bundleFactsFromManifest(
      manifestOf(['torch-9.9.1+cu126-cp310-cp310-manylinux_2_28_x86_64.whl']),
      table,
    );
    assert.equal(other.gpuCapabilities, undefined, 'a release the row does not list');
  });

  it('ferry doctor --profile refuses a CUDA 11.8 bundle on a Blackwell host (exit 9)', async () => {
    const dir = tempDir('ferry-doctor-gpu-');
    const bundle = await writeManifestOnlyBundle(join(dir, 'bundle'), [
      'torch-2.7.1+cu118-cp310-cp310-manylinux_2_28_x86_64.whl',
    ]);
    const profile = join(dir, 'host.json');
    const p = JSON.parse(profileText('ubuntu2204-535-py310'));
    p.nvidia.driverVersion = '575.51.03';
    p.nvidia.gpus = ['GPU 0: NVIDIA RTX PRO 6000 Blackwell Server Edition (UUID: GPU-0)'];
    p.nvidia.computeCapabilities = ['12.0'];
    writeFileSync(profile, JSON.stringify(p));
    const r = await runCli(['doctor', bundle, '--profile', profile, '--json']);
    assert.equal(r.code, 9, r.stderr + r.stdout);
    assert.match(r.stdout, /GPU_NO_KERNELS/);
    assert.match(r.stdout, /CUDA 11\.8 builds end at compute capability 9\.0/);
  });
});
