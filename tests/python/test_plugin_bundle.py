"""The built TMRVC.vst3 and Standalone are self-contained: copied into a fresh folder, their run paths are
$ORIGIN only, `ldd` resolves the engine and ONNX Runtime to the copies and everything else to system libraries,
and the copied bundle converts audio in pedalboard and in DawDreamer, each in a subprocess without
LD_LIBRARY_PATH/PYTHONPATH. Each host reads /proc/self/maps after converting, so the test sees which engine and
ONNX Runtime files were really mapped: the copies, not the build tree's (the build tree cannot be moved away
while the suite runs, and this shows that nothing loaded from it). Skips only when the plugin was not built."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plugin_support import host_state, plugin_or_skip, plugin_state, speech_like

BUNDLED = ("libtmrvc_engine", "libonnxruntime")
SYSTEM_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")
RATE = 48000


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A copy of the VST3 bundle and of the Standalone folder in a new folder (symlinks become files)."""
    bundle = plugin_or_skip()
    out = tmp_path_factory.mktemp("fresh_install").resolve()
    shutil.copytree(bundle, out / "TMRVC.vst3", symlinks=False)
    shutil.copytree(bundle.parent.parent / "Standalone", out / "Standalone", symlinks=False)
    return out


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH")}


def _magic(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(4)


def elf_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and _magic(p) == b"\x7fELF")


def run_paths(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
    return [entry for kind, value in re.findall(r"\((RPATH|RUNPATH)\).*\[(.*)\]", out) for entry in value.split(":")]


def ldd(path: Path) -> dict[str, str]:
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=clean_env(), check=True).stdout
    assert "not found" not in out, f"{path.name}: unresolved libraries\n{out}"
    return dict(re.findall(r"^\s*(\S+) => (/\S+)", out, re.M))


def test_bundle_and_standalone_carry_the_engine_and_onnx_runtime(fresh):
    for folder in (fresh / "TMRVC.vst3" / "Contents" / "x86_64-linux", fresh / "Standalone"):
        names = sorted(p.name for p in folder.iterdir())
        for lib in BUNDLED:
            assert any(n.startswith(lib) for n in names), f"{lib} missing from {folder}: {names}"


def test_run_paths_are_origin_relative_only(fresh):
    files = elf_files(fresh)
    assert len(files) >= 6  # plugin .so, Standalone, and the two libraries beside each
    for path in files:
        for entry in run_paths(path):
            assert entry.startswith("$ORIGIN"), f"{path.relative_to(fresh)} has run path {entry!r}"


@pytest.mark.parametrize("binary", ["TMRVC.vst3/Contents/x86_64-linux/TMRVC.so", "Standalone/TMRVC"])
def test_ldd_resolves_inside_the_copy_or_system_libraries(fresh, binary):
    path = fresh / binary
    resolved = ldd(path)
    for lib in BUNDLED:
        hits = [p for name, p in resolved.items() if name.startswith(lib)]
        assert hits and all(Path(p).resolve().parent == path.resolve().parent for p in hits), f"{lib}: {hits}"
    for name, p in resolved.items():
        inside = Path(p).resolve().is_relative_to(fresh)
        assert inside or p.startswith(SYSTEM_DIRS), f"{binary} loads {name} from {p}"


PEDALBOARD_HOST = """
import json, sys, time, numpy as np, pedalboard
bundle, state, x_path, y_path = sys.argv[1:5]
t0 = time.perf_counter()
plugin = pedalboard.load_plugin(bundle)
load_s = time.perf_counter() - t0
plugin.raw_state = open(state, "rb").read()
x = np.load(x_path)
np.save(y_path, plugin.process(x[None, :], %d, buffer_size=512)[0])
maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if "/" in l})
print(json.dumps({"load_s": load_s, "maps": maps}))
""" % RATE

DAWDREAMER_HOST = """
import json, sys, numpy as np, dawdreamer as daw
bundle, state, x_path, y_path = sys.argv[1:5]
x = np.load(x_path)
engine = daw.RenderEngine(%d, 512)
plugin = engine.make_plugin_processor("tmrvc", bundle)
assert plugin.load_state(state) is not False
source = engine.make_playback_processor("source", np.stack([x, x]))
engine.load_graph([(source, []), (plugin, ["source"])])
engine.render(x.size / %d)
np.save(y_path, engine.get_audio()[0, : x.size])
maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if "/" in l})
print(json.dumps({"load_s": None, "maps": maps}))
""" % (RATE, RATE)


@pytest.mark.parametrize("host", ["pedalboard", "dawdreamer"])
def test_copied_bundle_converts_in_a_host_subprocess(fresh, tiny_models, tmp_path, host):
    pytest.importorskip(host)
    x = speech_like(RATE, 1.0, seed=4)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "state.bin").write_bytes(host_state(plugin_state(tiny_models, tiny_models / "demo.tmrvc_speaker")))
    script = PEDALBOARD_HOST if host == "pedalboard" else DAWDREAMER_HOST
    run = subprocess.run([sys.executable, "-c", script, str(fresh / "TMRVC.vst3"), str(tmp_path / "state.bin"),
                          str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
                         capture_output=True, text=True, timeout=300, env=clean_env(), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    for lib in BUNDLED:
        mapped = [m for m in report["maps"] if Path(m).name.startswith(lib)]
        assert mapped and all(Path(m).is_relative_to(fresh) for m in mapped), f"{host} mapped {lib} from {mapped}"
    y = np.load(tmp_path / "y.npy")
    assert y.shape == x.shape and np.isfinite(y).all()
    tail = slice(RATE // 2, None)  # past any start-up latency
    assert np.sqrt(np.mean(y[tail] ** 2)) > 1e-3, "converted output is silent"
    dry = np.sqrt(np.mean(x[tail] ** 2))
    assert np.sqrt(np.mean((y[tail] - x[tail]) ** 2)) > 0.1 * dry, "output is the dry input: the models did not run"
    if report["load_s"] is not None:
        print(f"pedalboard load of the copied bundle: {report['load_s'] * 1e3:.0f} ms")
