#!/usr/bin/env bash
# The GPU device check: fit + eval on magnetic tile with the extractor on CUDA, then the same on the CPU, with the
# per-stage times of each (extract, search, map) and the accuracy, so the two can be compared in one run on one
# machine. Run on a machine with an NVIDIA GPU and onnxruntime-node's CUDA provider:
#
#   bash bench/gpu-check.sh [DATA]      DATA defaults to ../shared/datasets/magnetic_tile
#
# Writes bench/results/gpu-check-{cuda,cpu}-{fit,eval}.json. Exits non-zero, naming why, if CUDA cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${PATCHLINE_SHARED:-../shared}/datasets/magnetic_tile}"
OUT=bench/results
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores"
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; else echo "nvidia-smi: not found"; fi

for dev in cuda cpu; do
  echo "== $dev: fit"
  t0=$(date +%s%3N)
  npx tsx electron/cli/run.ts fit --data "$DATA" --out "$WORK/model-$dev" --device "$dev" --json "$OUT/gpu-check-$dev-fit.json" \
    || { echo "fit on $dev failed (above)" >&2; exit 1; }
  echo "fit on $dev: $(( $(date +%s%3N) - t0 )) ms"
  echo "== $dev: eval"
  npx tsx electron/cli/run.ts eval --model "$WORK/model-$dev" --data "$DATA" --device "$dev" --json "$OUT/gpu-check-$dev-eval.json"
done

node -e '
const fs = require("fs");
const rows = ["cuda", "cpu"].map((d) => {
  const e = JSON.parse(fs.readFileSync(`bench/results/gpu-check-${d}-eval.json`, "utf8"));
  const s = e.stage_ms ?? {};
  return { device: d, ms_per_image: e.ms_per_image, extract: s.extract, search: s.search, map: s.map, image_auroc: e.image_auroc, pixel_auroc: e.pixel_auroc, aupro: e.aupro };
});
console.table(rows);
'
