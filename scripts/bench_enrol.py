"""Benchmark: zero-shot enrolment time for 10 s and 30 s of audio (--seconds), C++ engine (the plugin's path,
through the pybind11 module; with the speaker bank when the models have one, and without it) and the torch-free
`tmrvc-enroll --zero-shot` (Python + ONNX Runtime, with the bank). Prints numbers; asserts nothing. The model
folder is a random-init export of the default (full) size unless --models names one.

    uv run python scripts/bench_enrol.py [--models DIR] [--threads 1] [--seconds 10 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def clips(total_seconds: float, rate: int = 44100) -> list[tuple[np.ndarray, int]]:
    """Harmonic 'voice' split into 5 s utterances (the speaker encoder sees up to 15 s of each)."""
    out, left, k = [], total_seconds, 0
    while left > 0:
        sec = min(5.0, left)
        t = np.arange(int(sec * rate)) / rate
        ph = 2 * np.pi * np.cumsum(160.0 + 20.0 * np.sin(2 * np.pi * 0.5 * t + k)) / rate
        x = sum(np.sin(h * ph) / h for h in range(1, 20))
        out.append(((0.2 * x).astype(np.float32), rate))
        left -= sec
        k += 1
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", type=Path, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seconds", type=float, nargs="+", default=[10.0, 30.0])
    a = p.parse_args()
    import tmrvc_engine
    from tmrvc_train.enroll_zero_shot import enrol_clips

    with tempfile.TemporaryDirectory() as tmp:
        models = a.models
        if models is None:
            from tmrvc_export.cli import ExportConfig
            from tmrvc_export.cli import main as export

            models = Path(tmp) / "models"
            print("[bench_enrol] exporting a random-init default-size model folder ...", flush=True)
            export(ExportConfig(output_dir=models, random_init=True, size="default", seed=0, quiet=True))
        for seconds in a.seconds:
            audio = clips(seconds)
            for label, fn in (
                ("C++ engine (plugin path)",
                 lambda: tmrvc_engine.enrol_zero_shot(str(models), audio, "bench", threads=a.threads)),
                ("C++ engine, no speaker bank",
                 lambda: tmrvc_engine.enrol_zero_shot(str(models), audio, "bench", threads=a.threads, bank=False)),
                ("Python torch-free (ONNX Runtime)",
                 lambda: enrol_clips(models, [(x.astype(np.float64), sr) for x, sr in audio], "bench",
                                     threads=a.threads)),
            ):
                times = []
                for _ in range(a.repeats):
                    t0 = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - t0)
                print(f"[bench_enrol] {seconds:4.0f} s of 44.1 kHz audio, {label:34s}: "
                      f"median {np.median(times):.2f} s (min {min(times):.2f}, {a.repeats} runs, "
                      f"{a.threads} thread(s))", flush=True)


if __name__ == "__main__":
    main()
