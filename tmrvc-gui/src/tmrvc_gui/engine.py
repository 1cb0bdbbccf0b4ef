"""The C++ engine (pybind11 module `tmrvc_engine`, built in build/tmrvc-engine) as the Convert page uses it: what
controls this build exposes, and offline conversion of one file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from tmrvc_gui.project import REPO

BLOCK = 256


def module_dir() -> Path:
    return Path(os.environ.get("TMRVC_BUILD_DIR", REPO / "build")) / "tmrvc-engine"


def load_module():
    """The tmrvc_engine module; ImportError says how to build it."""
    d = str(module_dir())
    if d not in sys.path:
        sys.path.insert(0, d)
    try:
        import tmrvc_engine
    except ImportError as exc:
        raise ImportError(f"the C++ engine module is not built ({exc}): run `make build` in {REPO}") from exc
    return tmrvc_engine


def optional_controls(module) -> dict[str, str]:
    """{'formant': setter, 'gate': setter} for the controls this build of the engine has (newer builds add them)."""
    found = {}
    names = [n for n in dir(module.StreamingEngine) if n.startswith("set_")]
    for control in ("formant", "gate"):
        match = next((n for n in names if control in n), None)
        if match:
            found[control] = match
    return found


def convert_file(src: Path, dst: Path, models: Path, speaker: Path, q: float = 0.0, pitch: float = 0.0,
                 extra: dict[str, float] | None = None, int8: bool = False) -> dict:
    """Stream one file through a fresh engine at the file's own rate; writes dst; returns latency and RTF."""
    import time

    import soundfile as sf

    m = load_module()
    x, rate = sf.read(str(src), dtype="float32", always_2d=True)
    x = np.ascontiguousarray(x.mean(axis=1))
    e = m.StreamingEngine()
    e.load_models(str(models), int8)
    e.load_speaker(str(speaker), True)
    e.set_quality(q)
    e.set_pitch_shift(pitch)
    for name, value in (extra or {}).items():
        getattr(e, optional_controls(m)[name])(value)
    e.prepare(float(rate), BLOCK)
    e.set_non_realtime(True)
    t0 = time.perf_counter()
    y = e.process(x, BLOCK)
    wall = time.perf_counter() - t0
    lat = e.latency_samples()
    y = np.concatenate([y[lat:], np.zeros(lat, np.float32)])  # line up with the input
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(dst), y, rate, subtype="FLOAT")
    return {"latency_samples": lat, "rtf": wall / max(len(x) / rate, 1e-9)}
