#!/usr/bin/env bash
# Builds the engine and its GoogleTest suite under sanitizers and runs ctest in each build:
#   address -> build-asan (ASan + UBSan, leaks checked at exit)
#   thread  -> build-tsan (TSan)
# ONNX Runtime is a prebuilt, uninstrumented library: reports inside it are suppressed by the committed files in
# scripts/sanitizers/ (each entry says why); reports in the engine's own code are never suppressed.
#
# test_realtime_allocations is left out: it replaces malloc/free in its own binary to count allocations, which
# cannot coexist with the sanitizers' allocators (under ASan its probe sees nothing, then glibc's free() is handed
# ASan memory: "free(): invalid size"). It runs in the normal build.
#
# usage: scripts/run_sanitizers.sh [address] [thread]     (default: both)
# env:   SAN_BUILD_PREFIX (default <repo>/build), CTEST_ARGS (extra ctest arguments, e.g. "-R test_soak"),
#        JOBS (default nproc). Exit status: non-zero if any build or test failed.
set -uo pipefail

ROOT="${TMRVC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PREFIX="${SAN_BUILD_PREFIX:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"
PY="$ROOT/.venv/bin/python"
SUPP="$ROOT/scripts/sanitizers"
KINDS=("$@")
[ ${#KINDS[@]} -gt 0 ] || KINDS=(address thread)
[ -x "$PY" ] || { echo "$PY missing: run scripts/setup.sh (uv sync) first" >&2; exit 2; }

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=1"
export UBSAN_OPTIONS="suppressions=$SUPP/ubsan.supp:print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="suppressions=$SUPP/tsan.supp:print_suppressions=1:halt_on_error=1:second_deadlock_stack=1"

status=0
summary=()
for kind in "${KINDS[@]}"; do
  case "$kind" in
    address) dir="$PREFIX-asan" ;;
    thread) dir="$PREFIX-tsan" ;;
    *) echo "unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;;
  esac
  echo "=== $kind: $dir"
  if ! cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMRVC_SANITIZE="$kind" \
       -DTMRVC_BUILD_PYTHON=OFF -DTMRVC_BUILD_TESTS=ON -DPython3_EXECUTABLE="$PY" >/dev/null ||
     ! cmake --build "$dir" -j "$JOBS"; then
    summary+=("$kind: BUILD FAILED")
    status=1
    continue
  fi
  # shellcheck disable=SC2086
  if (cd "$dir" && ctest --output-on-failure -j "$JOBS" -E '^test_realtime_allocations$' ${CTEST_ARGS:-}); then
    summary+=("$kind: all tests passed")
  else
    summary+=("$kind: FAILURES (see $dir/Testing/Temporary/LastTest.log)")
    status=1
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
