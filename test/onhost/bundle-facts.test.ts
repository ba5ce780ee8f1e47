import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundleFactsFromManifest } from '../../src/onhost/doctor.js';
import { selectSmokeChecks } from '../../src/onhost/smoke/checks.js';
import { manifestOf } from './fake-bundle.js';

const facts = (...wheels: string[]) => bundleFactsFromManifest(manifestOf(wheels));

describe('bundleFactsFromManifest', () => {
  it('reads the CUDA version from .postNNN, +cuNNN, the variant table and nvidia-cuda-runtime', () => {
    assert.equal(
      facts('paddlepaddle_gpu-2.6.2.post112-cp39-cp39-manylinux1_x86_64.whl').cuda,
      '11.2',
    );
    assert.equal(facts('paddlepaddle_gpu-2.6.2-cp39-cp39-manylinux1_x86_64.whl').cuda, '11.8');
    assert.equal(facts('torch-2.1.2+cu118-cp310-cp310-linux_x86_64.whl').cuda, '11.8');
    assert.equal(facts('torch-2.1.2+cpu-cp310-cp310-linux_x86_64.whl').cuda, 'cpu');
    assert.equal(
      facts(
        'torch-2.4.1-cp310-cp310-manylinux1_x86_64.whl',
        'nvidia_cuda_runtime_cu12-12.1.105-py3-none-manylinux1_x86_64.whl',
      ).cuda,
      '12.1',
    );
    assert.equal(facts('paddlepaddle-3.2.0-cp310-cp310-manylinux1_x86_64.whl').cuda, 'cpu');
    assert.equal(facts('tensorflow_cpu-2.15.1-cp310-cp310-manylinux_2_17_x86_64.whl').cuda, 'cpu');
  });
  it('lists the sonames nvidia-* wheels carry, AVX and the interpreter tags', () => {
    const f = facts(
      'paddlepaddle_gpu-3.2.0-cp311-cp311-manylinux1_x86_64.whl',
      'nvidia_cuda_runtime_cu12-12.6.77-py3-none-manylinux2014_x86_64.whl',
      'nvidia_cudnn_cu12-9.5.1.17-py3-none-manylinux2014_x86_64.whl',
      'nvidia_cublas_cu12-12.6.4.1-py3-none-manylinux2014_x86_64.whl',
      'numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.whl',
    );
    assert.deepEqual(f.cudaLibrariesBundled, [
      'libcublas.so.12',
      'libcublasLt.so.12',
      'libcudart.so.12',
      'libcudnn.so.9',
    ]);
    assert.equal(f.cuda, '12.6');
    assert.equal(f.needsAvx, true);
    assert.deepEqual(f.pythonTags, ['cp311']);
    assert.deepEqual(f.frameworkPackage, { name: 'paddlepaddle-gpu', version: '3.2.0' });
    assert.equal(facts('numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.whl').framework, undefined);
  });
});

describe('selectSmokeChecks', () => {
  it('auto picks the checks by the packages; imports come first; none is none', () => {
    const ids = (mode: Parameters<typeof selectSmokeChecks>[0], names: string[]) =>
      selectSmokeChecks(mode, names).map((c) => c.id);
    assert.deepEqual(ids('auto', ['numpy', 'paddlepaddle']), [
      'imports',
      'paddle.version',
      'paddle.cuda',
      'paddle.resnet18',
      'paddle.run_check',
    ]);
    assert.deepEqual(ids('auto', ['torch']), [
      'imports',
      'torch.version',
      'torch.cuda',
      'torch.forward',
    ]);
    assert.deepEqual(ids('auto', ['tensorflow-cpu']), [
      'imports',
      'tensorflow.version',
      'tensorflow.gpus',
      'tensorflow.keras_forward',
    ]);
    assert.deepEqual(ids('auto', ['numpy']), ['imports']);
    assert.deepEqual(ids('imports', ['paddlepaddle']), ['imports']);
    assert.deepEqual(ids('none', ['paddlepaddle']), []);
  });
});
