import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cudaBuildOf, cudaVariantWarning } from '../../src/frameworks/cuda-variants.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import { parseVersion } from '../../src/standards/version.js';

test('CUDA builds are read from Paddle post-releases and PyTorch local labels', () => {
  assert.equal(cudaBuildOf('paddlepaddle-gpu', parseVersion('2.6.2.post112')), '11.2');
  assert.equal(cudaBuildOf('paddlepaddle-gpu', parseVersion('2.6.2.post120')), '12.0');
  assert.equal(cudaBuildOf('torch', parseVersion('2.1.2+cu118')), '11.8');
  assert.equal(cudaBuildOf('torch', parseVersion('2.7.1+cu126')), '12.6');
  assert.equal(cudaBuildOf('torch', parseVersion('2.1.2+cpu')), undefined);
  assert.equal(cudaBuildOf('paddlepaddle-gpu', parseVersion('2.6.2')), undefined);
  assert.equal(cudaBuildOf('requests', parseVersion('2.0.post1')), undefined);
});

const warn = (req: string, chosen: string) =>
  cudaVariantWarning(parseRequirement(req), 'the command line', parseVersion(chosen), chosen);

test('an unpinned or >= requirement on a CUDA build warns, naming the build it chose', () => {
  const message = warn('paddlepaddle-gpu>=2.6.2', '2.6.2.post120');
  assert.match(
    message ?? '',
    /"paddlepaddle-gpu>=2\.6\.2" \(the command line\) selected paddlepaddle-gpu 2\.6\.2\.post120, the CUDA 12\.0 build/,
  );
  assert.match(message ?? '', /paddlepaddle-gpu==2\.6\.2\.post120/);
  assert.ok(warn('paddlepaddle-gpu', '2.6.2.post118'));
  // ==2.1.2 matches every +cuXXX build (a local label), so it does not pin one.
  assert.ok(warn('torch==2.1.2', '2.1.2+cu118'));
});

test('an exact pin of the build does not warn', () => {
  assert.equal(warn('paddlepaddle-gpu==2.6.2.post112', '2.6.2.post112'), undefined);
  assert.equal(warn('torch==2.1.2+cu118', '2.1.2+cu118'), undefined);
  assert.equal(warn('torch===2.1.2+cu118', '2.1.2+cu118'), undefined);
  assert.equal(warn('numpy>=1', '1.26.4'), undefined);
});
