/**
 * probe.py's GPU compute capabilities (nvidia-smi's compute_cap, else the model name the
 * driver exposes in /proc) and the host's libstdc++ GLIBCXX version, on fake host trees and a
 * fake nvidia-smi on PATH.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { probeHost, probeScriptPath } from '../../src/host/probe.js';

const hosts = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/hosts/${name}`, import.meta.url));
const python = process.env.FERRY_PYTHON ?? 'python3';

/** A folder holding an `nvidia-smi` that answers the probe's queries as `script` says. */
function fakeNvidiaSmi(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-nvsmi-'));
  const path = join(dir, 'nvidia-smi');
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return dir;
}

const withPath = (dir: string): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
});

describe('probe.py: GPU compute capability', () => {
  it('reads each GPU compute capability from nvidia-smi --query-gpu=name,compute_cap', async () => {
    const dir = fakeNvidiaSmi(
      [
        'case "$*" in',
        '  *name,compute_cap*) printf "NVIDIA H100 80GB HBM3, 9.0\\nNVIDIA GeForce RTX 5090, 12.0\\n" ;;',
        '  *driver_version*) echo 570.86.15 ;;',
        '  -L) printf "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\\nGPU 1: NVIDIA GeForce RTX 5090 (UUID: GPU-2)\\n" ;;',
        '  *) exit 1 ;;',
        'esac',
      ].join('\n'),
    );
    const p = await probeHost({ python, root: hosts('uos-noavx'), env: withPath(dir) });
    assert.equal(p.nvidia.driverVersion, '570.86.15');
    assert.equal(p.nvidia.gpuCount, 2);
    assert.deepEqual(p.nvidia.computeCapabilities, ['9.0', '12.0']);
  });

  it('falls back to the GPU model in /proc/driver/nvidia/gpus when nvidia-smi has no compute_cap (driver < 510)', async () => {
    // What nvidia-smi 470 says to a field it does not know.
    const dir = fakeNvidiaSmi(
      [
        'case "$*" in',
        '  *compute_cap*) echo \'Field "compute_cap" is not a valid field to query.\'; exit 2 ;;',
        '  -L) printf "GPU 0: Tesla V100-PCIE-32GB (UUID: GPU-1)\\nGPU 1: Tesla V100-PCIE-32GB (UUID: GPU-2)\\n" ;;',
        '  *) exit 1 ;;',
        'esac',
      ].join('\n'),
    );
    const p = await probeHost({ python, root: hosts('gpu-centos7-470'), env: withPath(dir) });
    assert.equal(p.nvidia.driverVersion, '470.82.01');
    assert.deepEqual(p.nvidia.computeCapabilities, ['7.0', '7.0']);
    assert.deepEqual(
      p.warnings.filter((w) => w.includes('compute capability')),
      [],
    );
  });

  it('reads the GPU models from /proc without running commands', async () => {
    const p = await probeHost({ python, root: hosts('gpu-centos7-470'), runCommands: false });
    assert.deepEqual(p.nvidia.computeCapabilities, ['7.0', '7.0']);
  });

  it('leaves the capabilities empty and warns for a GPU model it does not know', async () => {
    const p = await probeHost({ python, root: hosts('gpu-unknown-model'), runCommands: false });
    assert.equal(p.nvidia.driverVersion, '450.80.02');
    assert.deepEqual(p.nvidia.computeCapabilities, []);
    const warning = p.warnings.find((w) => w.includes('compute capability'));
    assert.ok(warning, p.warnings.join('\n'));
    assert.match(warning, /Imaginary Accelerator X1/);
    assert.match(warning, /driver 510/);
  });

  it('names the capability of common data-centre and workstation GPUs', () => {
    const names: Record<string, string | null> = {
      'Tesla K80': '3.7',
      'Tesla P4': '6.1',
      'Tesla P100-PCIE-16GB': '6.0',
      'Tesla V100-SXM2-16GB': '7.0',
      'Tesla T4': '7.5',
      'NVIDIA A100-SXM4-80GB': '8.0',
      'NVIDIA A10': '8.6',
      'NVIDIA A10G': '8.6',
      'NVIDIA RTX A6000': '8.6',
      'NVIDIA L4': '8.9',
      'NVIDIA L40S': '8.9',
      'NVIDIA RTX 6000 Ada Generation': '8.9',
      'NVIDIA GeForce RTX 4090': '8.9',
      'NVIDIA H100 80GB HBM3': '9.0',
      'NVIDIA H20': '9.0',
      'NVIDIA B200': '10.0',
      'NVIDIA GeForce RTX 5090': '12.0',
      'Quadro RTX 8000': '7.5',
      'Imaginary Accelerator X1': null,
    };
    const code = [
      'import importlib.util, json, sys',
      'spec = importlib.util.spec_from_file_location("probe", sys.argv[1])',
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'print(json.dumps({n: m.capability_for_name(n) for n in json.loads(sys.argv[2])}))',
    ].join('\n');
    const r = spawnSync(python, [
      '-c',
      code,
      probeScriptPath(),
      JSON.stringify(Object.keys(names)),
    ]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(JSON.parse(r.stdout.toString()), names);
  });
});

describe('probe.py: libstdc++', () => {
  it("reads the newest GLIBCXX version from the file's bytes (CentOS 7: 3.4.19)", async () => {
    const p = await probeHost({ python, root: hosts('gpu-centos7-470'), runCommands: false });
    assert.deepEqual(p.libstdcxx, { glibcxx: '3.4.19', path: '/lib64/libstdc++.so.6' });
  });

  it('says null when the host has no libstdc++.so.6', async () => {
    const p = await probeHost({ python, root: hosts('alpine-musl'), runCommands: false });
    assert.equal(p.libstdcxx, null);
  });

  const found = spawnSync(python, [
    '-c',
    'import ctypes.util; print(ctypes.util.find_library("stdc++") or "")',
  ])
    .stdout.toString()
    .trim();
  it('reads this host’s libstdc++ through ldconfig', {
    skip: found === '' ? 'this host has no libstdc++ the loader can find' : false,
  }, async () => {
    const p = await probeHost({ python });
    assert.ok(p.libstdcxx, 'libstdcxx found');
    assert.match(p.libstdcxx.glibcxx ?? '', /^3\.4\.\d+$/);
    assert.ok(p.libstdcxx.path !== null && existsSync(p.libstdcxx.path), p.libstdcxx.path ?? '');
  });
});
