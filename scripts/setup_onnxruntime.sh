#!/usr/bin/env bash
# Provide ONNX Runtime to CMake under .deps/onnxruntime/{include,lib} in the official release layout:
#  - lib/: the very libonnxruntime.so.1.x that the Python `onnxruntime` wheel in .venv carries (so Python and C++
#    run the same kernels);
#  - include/: C API headers from Debian trixie's libonnxruntime-dev (.deb downloaded and unpacked, not installed;
#    the C API is ABI-stable, so the older headers work with the newer library).
# An ONNXRUNTIME_ROOT already set in the environment wins and this script does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*"; }

if [ -n "${ONNXRUNTIME_ROOT:-}" ]; then say "using ONNXRUNTIME_ROOT=$ONNXRUNTIME_ROOT"; exit 0; fi
DEST=.deps/onnxruntime
mkdir -p "$DEST/lib" "$DEST/include"

capi=$(uv run --quiet python -c "import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), 'capi'))")
lib=$(ls "$capi"/libonnxruntime.so.1.* 2>/dev/null | head -n 1)
[ -n "$lib" ] || { echo "setup: no libonnxruntime.so.1.* in $capi (is onnxruntime installed in .venv?)" >&2; exit 1; }
if [ "$(readlink -f "$DEST/lib/libonnxruntime.so.1" 2>/dev/null)" != "$(readlink -f "$lib")" ]; then
  ln -sf "$lib" "$DEST/lib/libonnxruntime.so.1"
  ln -sf libonnxruntime.so.1 "$DEST/lib/libonnxruntime.so"
  say "ONNX Runtime library: $lib"
fi

if [ ! -f "$DEST/include/onnxruntime_c_api.h" ]; then
  say "fetching libonnxruntime-dev headers (Debian trixie .deb, unpacked only)"
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  # The machine's own Debian mirror (deb822 "URIs:" or one-line "deb URI" form), ending in /debian.
  mirror=$( (cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) \
           | awk '($1=="URIs:" || $1=="deb") { for (i=2;i<=NF;i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }')
  [ -n "$mirror" ] || { echo "setup: no Debian mirror found in /etc/apt sources" >&2; exit 1; }
  echo "deb ${mirror%/} trixie main" > "$work/sources.list"
  opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$work/lists" -o Dir::Cache::Archives="$work/archives"
        -o APT::Architecture=amd64 -o Debug::NoLocking=1)
  apt-get "${opts[@]}" update -qq
  (cd "$work" && apt-get "${opts[@]}" download libonnxruntime-dev >/dev/null)
  dpkg -x "$work"/libonnxruntime-dev_*.deb "$work/x"
  hdr=$(dirname "$(find "$work/x" -name onnxruntime_c_api.h | head -n 1)")
  cp "$hdr"/*.h "$DEST/include/"
  rm -rf "$work"
  say "ONNX Runtime headers in $DEST/include"
fi
