#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan+UBSan) and runs each for a while on its seed corpus.
#
# usage: scripts/run_fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]
#   SECONDS_PER_HARNESS  default 60 (the issue's acceptance run uses 600)
#   HARNESS              fuzz_speaker_file fuzz_model_metadata fuzz_model_onnx (default: all three)
# env: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_PARALLEL=1 runs the harnesses at the same time,
#      FUZZ_SMOKE=1 only replays the seed corpora (-runs=0; a quick regression check).
# Output: $FUZZ_BUILD_DIR/fuzz-logs/<harness>.log, crash reproducers in $FUZZ_BUILD_DIR/fuzz-artifacts/<harness>/,
# the grown corpus in $FUZZ_BUILD_DIR/fuzz-corpus/<harness>/ (kept between runs). Exit status 1 if any harness
# found a crash, leak or timeout.
set -euo pipefail

ROOT="${TMRVC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_PER="${1:-60}"
shift || true
HARNESSES=("$@")
[ ${#HARNESSES[@]} -gt 0 ] || HARNESSES=(fuzz_speaker_file fuzz_model_metadata fuzz_model_onnx)
PY="$ROOT/.venv/bin/python"

command -v clang++ >/dev/null || { echo "clang++ not found: apt-get install -y clang" >&2; exit 2; }
[ -x "$PY" ] || { echo "$PY missing: run scripts/setup.sh (uv sync) first" >&2; exit 2; }

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMRVC_BUILD_FUZZERS=ON -DTMRVC_BUILD_TESTS=OFF -DTMRVC_BUILD_PYTHON=OFF \
  -DPython3_EXECUTABLE="$PY" >/dev/null
cmake --build "$BUILD" --target "${HARNESSES[@]}"

MODELS="$BUILD/fixtures/tiny_models"
[ -f "$MODELS/metadata.json" ] || "$PY" "$ROOT/tests/fixtures/tiny_model_folder.py" "$MODELS"
export TMRVC_FUZZ_MODELS="$MODELS"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$ROOT/tmrvc-engine/fuzz/lsan.supp:print_suppressions=1"

# Working corpus: committed seeds + valid files from the fixture folder (ONNX seeds carry the file-picking byte).
seed_corpus() {
  local h="$1" dir="$BUILD/fuzz-corpus/$1"
  mkdir -p "$dir" "$BUILD/fuzz-artifacts/$h" "$BUILD/fuzz-logs"
  cp -n "$ROOT/tmrvc-engine/fuzz/corpus/$h/"* "$dir/" 2>/dev/null || true
  case "$h" in
    fuzz_speaker_file) cp "$MODELS/demo.tmrvc_speaker" "$dir/fixture_demo.tmrvc_speaker" ;;
    fuzz_model_metadata) cp "$MODELS/metadata.json" "$dir/fixture_metadata.json" ;;
    fuzz_model_onnx)
      local i=0
      for m in content_encoder ir_estimator converter vocoder; do
        { printf "\\x0$i"; cat "$MODELS/$m.onnx"; } > "$dir/fixture_$m.bin"
        head -c 2000 "$dir/fixture_$m.bin" > "$dir/fixture_${m}_truncated.bin"
        i=$((i + 1))
      done ;;
  esac
}

run_one() {
  local h="$1" log="$BUILD/fuzz-logs/$1.log" args=()
  if [ "${FUZZ_SMOKE:-0}" = 1 ]; then args=(-runs=0); else args=(-max_total_time="$SECONDS_PER"); fi
  "$BUILD/tmrvc-engine/fuzz/$h" "${args[@]}" -print_final_stats=1 -timeout=30 -rss_limit_mb=4096 \
    -artifact_prefix="$BUILD/fuzz-artifacts/$h/" "$BUILD/fuzz-corpus/$h" >"$log" 2>&1
}

status=0
pids=()
for h in "${HARNESSES[@]}"; do
  seed_corpus "$h"
  if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then run_one "$h" & pids+=($!); else run_one "$h" || status=1; fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done

printf '%-22s %12s %8s %8s %8s\n' harness executions cov ft crashes
for h in "${HARNESSES[@]}"; do
  log="$BUILD/fuzz-logs/$h.log"
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  last=$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -1)
  crashes=$(find "$BUILD/fuzz-artifacts/$h" -type f | wc -l)
  printf '%-22s %12s %8s %8s %8s\n' "$h" "${execs:-?}" "$(echo "$last" | awk '{print $2}')" \
    "$(echo "$last" | awk '{print $4}')" "$crashes"
  [ "$crashes" -eq 0 ] || status=1
done
exit $status
