#!/usr/bin/env bash
# Benchmarks Petal against the Python pipelines users would otherwise run,
# on the same photos and the same bundled model, and writes
# docs/benchmarks.md. Run from anywhere in a clone:
#
#   bash tools/bench/run.sh [--with-torch] [--torch-python PATH] [--repeats N]
#
# --with-torch         also time the training tool's PyTorch model; installs
#                      the CPU-only torch wheel into the benchmark's venv
# --torch-python PATH  use this Python (with torch and efficientnet_lite_pytorch)
#                      for the PyTorch rows instead of installing torch
# --checkpoint FILE    PyTorch weights (default tools/train/runs/lite0/best.pt;
#                      without it the model runs with untrained weights)
# --petal BINARY       time this petal build instead of building one
# --repeats N          timed runs per photo measure (default 20; folders get
#                      a fifth of that, at least 3)
# --quick              a smoke run that proves the script works end to end:
#                      2 runs per measure, 1 per folder, no waiting for an
#                      idle machine, and the report goes to a temporary
#                      file (its path is printed) instead of docs/benchmarks.md
#
# Petal is timed with each of its engines: tract, built in, and ONNX
# Runtime, whose library comes from ORT_DYLIB_PATH when set, else from the
# onnxruntime package in the benchmark's venv (PETAL_ONNXRUNTIME). When
# neither loads, the onnxruntime engine's rows are skipped with a note.
#
# Needs Linux (taskset, /proc), python3 with venv, the Rust toolchain, and
# xvfb-run for the app's start-up measure (skipped when missing). Photos
# come from PETAL_DATASET (default ../shared/datasets/oxford102).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

WITH_TORCH=0
TORCH_PYTHON=""
CHECKPOINT="$ROOT/tools/train/runs/lite0/best.pt"
REPEATS=20
PETAL=""
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --with-torch) WITH_TORCH=1 ;;
    --torch-python) TORCH_PYTHON="$2"; WITH_TORCH=1; shift ;;
    --checkpoint) CHECKPOINT="$2"; shift ;;
    --repeats) REPEATS="$2"; shift ;;
    --petal) PETAL="$2"; shift ;;
    --quick) QUICK=1 ;;
    *) echo "error: unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done
FOLDER_REPEATS=$(( REPEATS / 5 > 3 ? REPEATS / 5 : 3 ))
LOAD_REPEATS=$(( REPEATS / 2 > 5 ? REPEATS / 2 : 5 ))
if [ "$QUICK" = 1 ]; then
  REPEATS=2 FOLDER_REPEATS=1 LOAD_REPEATS=2
  export PETAL_BENCH_MAX_WAIT=0
fi

DATASET="${PETAL_DATASET:-$ROOT/../shared/datasets/oxford102}"
VALID="$DATASET/valid"
[ -d "$VALID" ] || { echo "error: no validation photos in $VALID; set PETAL_DATASET" >&2; exit 2; }

# Python packages for the comparison, in their own venv.
VENV="${PETAL_BENCH_VENV:-$ROOT/.venv-bench}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet -r tools/bench/requirements.txt
PYTHON="$VENV/bin/python"
# The onnxruntime engine loads the library of the venv's onnxruntime package
# unless ORT_DYLIB_PATH names another.
export PETAL_ONNXRUNTIME="${PETAL_ONNXRUNTIME:-$VENV}"
if [ "$WITH_TORCH" = 1 ] && [ -z "$TORCH_PYTHON" ]; then
  # The CPU wheel; the default PyPI wheel pulls about 3 GB of CUDA libraries.
  "$VENV/bin/pip" install --quiet torch --index-url https://download.pytorch.org/whl/cpu
  "$VENV/bin/pip" install --quiet -r tools/bench/requirements-torch.txt
  TORCH_PYTHON="$PYTHON"
fi

if [ -z "$PETAL" ]; then
  cargo build --release --locked --quiet
  PETAL="${CARGO_TARGET_DIR:-$ROOT/target}/release/petal"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results.jsonl"

# Without the training tool's checkpoint, the PyTorch rows time the same
# model with untrained weights: the arithmetic, and so the time, is the same.
TORCH_WEIGHTS=trained
if [ "$WITH_TORCH" = 1 ] && [ ! -f "$CHECKPOINT" ]; then
  echo "warning: no PyTorch checkpoint at $CHECKPOINT; timing the model with untrained weights" >&2
  CHECKPOINT="$WORK/untrained.pt"
  TORCH_WEIGHTS=untrained
  "$TORCH_PYTHON" tools/bench/pipelines.py --save-untrained "$CHECKPOINT"
fi
SMALL="$(find "$VALID/1" -type f -name '*.jpg' | sort | head -n 1)"
LARGE="$WORK/phone-12mp.jpg"
"$PYTHON" tools/bench/make_photo.py "$SMALL" "$LARGE"

# Waits until the one-minute load average is below 0.6 (at most
# PETAL_BENCH_MAX_WAIT seconds, default 900), so that a build or another job
# does not slow one side of a comparison.
MAX_WAIT="${PETAL_BENCH_MAX_WAIT:-900}"
wait_quiet() {
  local waited=0
  while awk '{ exit !($1 >= 0.6) }' /proc/loadavg; do
    if [ "$waited" -ge "$MAX_WAIT" ]; then
      echo "warning: load average still $(cut -d' ' -f1 /proc/loadavg); measuring anyway" >&2
      echo "{\"note\": \"busy\", \"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$RESULTS"
      return
    fi
    sleep 10
    waited=$((waited + 10))
  done
}

# record LABEL CPUS COMMAND...: runs one measure pinned to CPUS and stores
# its JSON line with the label and the photo set.
record() {
  local label="$1" cpus="$2"
  shift 2
  local line
  line="$(taskset -c "$cpus" "$@")"
  "$PYTHON" -c 'import json,sys; r=json.loads(sys.argv[1]); r["label"]=sys.argv[2]; print(json.dumps(r))' \
    "$line" "$label" >>"$RESULTS"
  echo "  $label done" >&2
}

# Petal's onnxruntime engine gets rows only when its library loads.
ORT_ENGINE=1
if ! why="$("$PETAL" bench --measure load --repeats 1 --engine onnxruntime 2>&1 >/dev/null)"; then
  ORT_ENGINE=0
  echo "warning: skipping the onnxruntime engine's rows: $why" >&2
  "$PYTHON" -c 'import json,sys; print(json.dumps({"skipped": "petal-ort", "why": sys.argv[1]}))' \
    "$why" >>"$RESULTS"
fi
# record_ort LABEL CPUS ARGS...: `record` for `petal bench ARGS --engine
# onnxruntime`, when that engine is available.
record_ort() {
  local label="$1" cpus="$2"
  shift 2
  if [ "$ORT_ENGINE" = 1 ]; then record "$label" "$cpus" "$PETAL" bench "$@" --engine onnxruntime; fi
}

PY=("$PYTHON" tools/bench/pipelines.py)
TORCH_PY=("${TORCH_PYTHON:-python3}" tools/bench/pipelines.py --pipeline torch --checkpoint "$CHECKPOINT")

echo "measuring model load" >&2
wait_quiet
record "load petal" 0 "$PETAL" bench --measure load --repeats "$LOAD_REPEATS"
record_ort "load petal-ort" 0 --measure load --repeats "$LOAD_REPEATS"
record "load ort" 0 "${PY[@]}" --pipeline plain --measure load --threads 1 --repeats "$LOAD_REPEATS"
if [ "$WITH_TORCH" = 1 ]; then record "load torch" 0 "${TORCH_PY[@]}" --measure load --threads 1 --repeats "$LOAD_REPEATS"; fi

for size in small large; do
  photo="$SMALL"; [ "$size" = large ] && photo="$LARGE"
  echo "measuring one $size photo end to end" >&2
  wait_quiet
  record "photo $size petal" 0 "$PETAL" bench --measure photo --repeats "$REPEATS" "$photo"
  record "photo $size petal-full-decode" 0 "$PETAL" bench --measure photo --full-decode --repeats "$REPEATS" "$photo"
  record_ort "photo $size petal-ort" 0 --measure photo --repeats "$REPEATS" "$photo"
  record "photo $size plain-1" 0 "${PY[@]}" --pipeline plain --measure photo --threads 1 --repeats "$REPEATS" "$photo"
  record "photo $size draft-1" 0 "${PY[@]}" --pipeline draft --measure photo --threads 1 --repeats "$REPEATS" "$photo"
  record "photo $size plain-2" 0,1 "${PY[@]}" --pipeline plain --measure photo --threads 2 --repeats "$REPEATS" "$photo"
  record "photo $size draft-2" 0,1 "${PY[@]}" --pipeline draft --measure photo --threads 2 --repeats "$REPEATS" "$photo"
  if [ "$WITH_TORCH" = 1 ]; then record "photo $size torch-1" 0 "${TORCH_PY[@]}" --measure photo --threads 1 --repeats "$REPEATS" "$photo"; fi
done

echo "measuring raw inference" >&2
wait_quiet
record "raw petal" 0 "$PETAL" bench --measure raw --repeats $((REPEATS * 2)) "$SMALL"
record_ort "raw petal-ort" 0 --measure raw --repeats $((REPEATS * 2)) "$SMALL"
record "raw ort-1" 0 "${PY[@]}" --pipeline plain --measure raw --threads 1 --repeats $((REPEATS * 2)) "$SMALL"
record "raw ort-2" 0,1 "${PY[@]}" --pipeline plain --measure raw --threads 2 --repeats $((REPEATS * 2)) "$SMALL"
if [ "$WITH_TORCH" = 1 ]; then record "raw torch-1" 0 "${TORCH_PY[@]}" --measure raw --threads 1 --repeats $((REPEATS * 2)) "$SMALL"; fi

echo "measuring the validation folder on 2 cores" >&2
wait_quiet
record "folder petal" 0,1 "$PETAL" bench --measure folder --jobs 2 --repeats "$FOLDER_REPEATS" "$VALID"
record_ort "folder petal-ort" 0,1 --measure folder --jobs 2 --repeats "$FOLDER_REPEATS" "$VALID"
record "folder plain-2" 0,1 "${PY[@]}" --pipeline plain --measure folder --threads 2 --repeats "$FOLDER_REPEATS" "$VALID"
record "folder draft-2" 0,1 "${PY[@]}" --pipeline draft --measure folder --threads 2 --repeats "$FOLDER_REPEATS" "$VALID"
if [ "$WITH_TORCH" = 1 ]; then record "folder torch-2" 0,1 "${TORCH_PY[@]}" --measure folder --threads 2 --repeats "$FOLDER_REPEATS" "$VALID"; fi

if [ "$QUICK" = 1 ]; then
  echo "quick run: skipping the decoding accuracy and app start-up measures" >&2
else
  echo "comparing top-1 accuracy with reduced and full-scale decoding" >&2
  PYTHONPATH=tools/bench "$PYTHON" tools/bench/dct_accuracy.py --petal "$PETAL" "$VALID" >>"$RESULTS"
fi

if [ "$QUICK" = 1 ]; then
  :
elif command -v xvfb-run >/dev/null; then
  echo "measuring app start to first frame" >&2
  wait_quiet
  record "app petal" 0,1 "$PYTHON" tools/bench/app_start.py --repeats "$LOAD_REPEATS" "$PETAL"
else
  echo "warning: xvfb-run not found; skipping the app start-up measure" >&2
fi

OUT=docs/benchmarks.md
if [ "$QUICK" = 1 ]; then
  # Kept past the clean-up so the smoke run's report can be read.
  OUT="$(mktemp --suffix=-benchmarks-quick.md)"
fi
"$PYTHON" tools/bench/report.py "$RESULTS" --large "$LARGE" --small "$SMALL" \
  --petal "$PETAL" --torch-python "${TORCH_PYTHON:-}" --torch-weights "$TORCH_WEIGHTS" --out "$OUT"
echo "wrote $OUT" >&2
