#!/usr/bin/env bash
# Regenerates every scanner fixture (deterministic: re-running gives identical bytes).
# Uses Debian's python3 when present, where python3-torch, numpy, sklearn, h5py, onnx and py7zr install;
# each generator skips the framework files whose package is missing and keeps the committed ones.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; fi
"$PY" scripts/make-scan-fixtures.py
for f in scripts/fixtures/*.py; do
  echo "== $f"
  "$PY" "$f"
done
git status --short test/fixtures || true
