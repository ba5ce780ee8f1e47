import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CUDA_DRIVER_TABLE,
  compareDottedVersions,
  cudaRuntimeSoname,
  cudaSupport,
  cudaTag,
  maxCudaForDriver,
  minimumDriverFor,
  normalizeCuda,
} from '../../src/frameworks/cuda.js';

describe('CUDA driver table', () => {
  it('every row cites its source and drivers grow with CUDA', () => {
    for (const [i, row] of CUDA_DRIVER_TABLE.entries()) {
      assert.match(row.source, /cuda-toolkit-release-notes/);
      const prev = CUDA_DRIVER_TABLE[i - 1];
      if (prev) assert.ok(compareDottedVersions(row.minDriver, prev.minDriver) > 0, row.cuda);
    }
  });
  it('minimumDriverFor', () => {
    assert.equal(minimumDriverFor('11.8'), '520.61.05');
    assert.equal(minimumDriverFor('cu112'), '460.27.03');
    assert.equal(minimumDriverFor('12.8'), '570.26');
    assert.equal(minimumDriverFor('13.0'), '580.65.06');
    assert.equal(minimumDriverFor('12.7'), '570.26', 'an unlisted version takes the next row');
    assert.throws(() => minimumDriverFor('14.0'), /newer than ferry's driver table/);
  });
  it('maxCudaForDriver', () => {
    assert.equal(maxCudaForDriver('470.82.01'), '11.4');
    assert.equal(maxCudaForDriver('470.82'), '11.4');
    assert.equal(maxCudaForDriver('520.61.05'), '11.8');
    assert.equal(maxCudaForDriver('520.61.04'), '11.7');
    assert.equal(maxCudaForDriver('535.54.03'), '12.2');
    assert.equal(maxCudaForDriver('570.26'), '12.8');
    assert.equal(maxCudaForDriver('580.65.06'), '13.0');
    assert.equal(maxCudaForDriver('418.87.01'), undefined);
  });
  it('minor-version compatibility floors', () => {
    assert.equal(cudaSupport('470.82.01', '11.8'), 'minor-version-compat');
    assert.equal(cudaSupport('450.51.06', '11.8'), 'none');
    assert.equal(cudaSupport('525.60.13', '12.4'), 'minor-version-compat');
    assert.equal(cudaSupport('520.61.05', '12.0'), 'none');
    assert.equal(cudaSupport('580.65.06', '13.0'), 'full');
  });
  it('the CUDA 12 minor-version compatibility floor is 525.60.13, not any 525 driver', () => {
    assert.equal(cudaSupport('525.60.13', '12.6'), 'minor-version-compat');
    assert.equal(cudaSupport('525.0', '12.6'), 'none');
    assert.equal(cudaSupport('525.53', '12.1'), 'none');
  });
  it('compares driver versions numerically', () => {
    assert.ok(compareDottedVersions('470.82.01', '470.9') > 0);
    assert.equal(compareDottedVersions('525', '525.0.0'), 0);
    assert.throws(() => compareDottedVersions('r470', '1'), /is not a driver version/);
  });
  it('runtime sonames and tags', () => {
    assert.equal(cudaRuntimeSoname('11.2'), 'libcudart.so.11.0');
    assert.equal(cudaRuntimeSoname('11.8'), 'libcudart.so.11.0');
    assert.equal(cudaRuntimeSoname('12.6'), 'libcudart.so.12');
    assert.equal(cudaRuntimeSoname('cu130'), 'libcudart.so.13');
    assert.equal(normalizeCuda('11.8.0'), '11.8');
    assert.equal(cudaTag('12.6'), 'cu126');
  });
});
