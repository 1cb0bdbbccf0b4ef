#!/usr/bin/env bash
# Set up everything `make test` and `make demo` need on a fresh Debian 12 machine. Idempotent: a second run
# only checks. Installs apt build dependencies if missing, syncs the uv environment, generates constants,
# and provides ONNX Runtime (library from the Python wheel, C headers from Debian's libonnxruntime-dev) under .deps/.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(cmake g++ make ninja-build pkg-config libgtest-dev libkissfft-dev nlohmann-json3-dev
              libsndfile1-dev libssl-dev libflac-dev
              libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 libportaudio2
              espeak-ng libespeak-ng1 festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts sox
              flite festival-ca festival-czech festival-hi festival-mr festival-te festlex-ifd
              festvox-ca-ona-hts festvox-czech-dita festvox-czech-krb festvox-czech-machac festvox-czech-ph
              festvox-hi-nsk festvox-mr-nsk festvox-te-nsk festvox-italp16k festvox-itapc16k festvox-ru
              festvox-suopuhe-lj festvox-suopuhe-mv)

# Opt-in: the JUCE VST3/Standalone plugin (TMRVC_BUILD_PLUGIN=1) needs Debian's JUCE 7 (it pulls its -dev packages).
if [ "${TMRVC_SETUP_FUZZ:-0}" = 1 ]; then APT_PACKAGES+=(clang libclang-rt-14-dev); fi  # libFuzzer, `make fuzz` only
if [ "${TMRVC_BUILD_PLUGIN:-0}" = "1" ]; then
  APT_PACKAGES+=(juce-modules-source)
fi

say() { printf '[setup] %s\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v uv >/dev/null 2>&1; then
  say "installing uv (PyPI)"
  python3 -m pip install -q uv
fi
say "uv sync"
uv sync --quiet
uv run --quiet python scripts/generate_constants.py >/dev/null

bash scripts/setup_onnxruntime.sh
say "done"
