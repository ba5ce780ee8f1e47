#!/usr/bin/env bash
# The main job end to end on this host: bundle PaddlePaddle (CPU) and its whole closure from the
# index pip is configured to use, sign it, then install the bundle inside a network namespace
# with no network at all (unshare -n), trusting only that key, and import paddle there.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${FERRY_DEMO_DIR:-.ferry-work/demo}
mkdir -p "$work"
ferry() { node bin/ferry.js "$@"; }

echo "== ferry bundle paddlepaddle -o $work/bundle"
ferry bundle paddlepaddle -o "$work/bundle" --force

echo "== ferry keygen + ferry sign"
ferry keygen "$work/builder" --force
ferry sign "$work/bundle" --key "$work/builder.key"

echo "== ferry install (inside unshare -n: no network; only builder.pub is trusted)"
rm -rf "$work/venv"
unshare -n node bin/ferry.js install "$work/bundle" --trusted-key "$work/builder.pub" --venv "$work/venv"

echo "== import paddle (no network)"
unshare -n "$work/venv/bin/python" -c "import paddle; print('paddle', paddle.__version__, 'imported offline; CUDA build:', paddle.is_compiled_with_cuda())"
