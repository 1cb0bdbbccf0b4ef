#!/usr/bin/env bash
# Installs or packages the self-contained TMRVC plugin built by `make plugin`.
#   package_plugin.sh install BUILD_DIR PREFIX   copies TMRVC.vst3 into PREFIX (default ~/.vst3 from the Makefile)
#   package_plugin.sh package BUILD_DIR MODELS   writes dist/tmrvc-plugin-<version>-linux-x86_64.tar.gz
set -euo pipefail
mode=${1:?usage: package_plugin.sh install|package BUILD_DIR PREFIX|MODELS}
build=${2:?build directory}
arg=${3:?install prefix or model folder}
root=$(cd "$(dirname "$0")/.." && pwd)

# The artefacts folder is named by the build type (RelWithDebInfo, Release, ...); take the one holding the bundle.
vst3=$(ls -d "$build"/tmrvc-plugin/TmrvcPlugin_artefacts/*/VST3/TMRVC.vst3 2>/dev/null | head -n 1 || true)
standalone=${vst3%/VST3/TMRVC.vst3}/Standalone
if [[ -z $vst3 || ! -d $vst3 ]]; then
  echo "package_plugin: no TMRVC.vst3 under $build/tmrvc-plugin: run 'make plugin' first" >&2
  exit 1
fi

case $mode in
  install)
    mkdir -p "$arg"
    rm -rf "$arg/TMRVC.vst3"
    cp -r "$vst3" "$arg/"
    echo "installed $arg/TMRVC.vst3"
    ;;
  package)
    if [[ ! -d $arg ]] || ! compgen -G "$arg/*.onnx" >/dev/null; then
      echo "package_plugin: model folder '$arg' is missing or has no .onnx files: run 'make demo'" \
           "(writes demo-output/models) or pass MODELS=<exported model folder>" >&2
      exit 1
    fi
    # One version for the whole project: the workspace root's pyproject.toml.
    version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$root/pyproject.toml" | head -n 1)
    name=tmrvc-plugin-$version-linux-x86_64
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' EXIT
    mkdir -p "$stage/$name/Standalone"
    cp -r "$vst3" "$stage/$name/"
    cp "$standalone"/* "$stage/$name/Standalone/"
    cp -r "$arg" "$stage/$name/models"
    sed "s/@VERSION@/$version/g" "$root/tmrvc-plugin/package/README.txt" >"$stage/$name/README.txt"
    mkdir -p "$root/dist"
    tar -C "$stage" -czf "$root/dist/$name.tar.gz" "$name"
    echo "wrote dist/$name.tar.gz ($(du -h "$root/dist/$name.tar.gz" | cut -f1))"
    ;;
  *)
    echo "package_plugin: unknown mode '$mode' (install or package)" >&2
    exit 2
    ;;
esac
