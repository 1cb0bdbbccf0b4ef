#!/usr/bin/env python3
"""Engine vs ONNX Runtime in Python on the same models, in one run, with ratios.

    uv run python scripts/run_benchmark.py --models DIR [--iterations 300] [--json OUT.json]

C++ per-model times come from `tmrvc-bench` (the engine's ORT C API layer, 1 intra-op thread); Python times from
onnxruntime's InferenceSession with the same settings and the same per-frame inputs. The whole-engine real-time
factor comes from `tmrvc-convert` on a 20 s file (inference thread included).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
PER_HOP = ("content_encoder", "converter", "vocoder", "ir_estimator")


def tool(name: str) -> Path:
    build = Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build"))
    path = build / "tmrvc-engine" / name
    if not path.exists():
        raise SystemExit(f"{path} not found: build the engine first (make build)")
    return path


def python_session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def feeds_for(sess: ort.InferenceSession, interval: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    feeds = {}
    for inp in sess.get_inputs():
        shape = [d if isinstance(d, int) else interval for d in inp.shape]
        feeds[inp.name] = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    return feeds


def time_python(path: Path, iterations: int, interval: int) -> dict[str, float]:
    sess = python_session(path)
    feeds = feeds_for(sess, interval)
    outs = [o.name for o in sess.get_outputs()]
    for _ in range(20):
        sess.run(outs, feeds)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        sess.run(outs, feeds)
        times.append(1000.0 * (time.perf_counter() - t0))
    t = np.array(times)
    return {"median_ms": float(np.median(t)), "p99_ms": float(np.percentile(t, 99)), "max_ms": float(t.max())}


def engine_rtf(models: Path, speaker: Path, int8: bool) -> dict[str, float]:
    rate, seconds = 48000, 20.0
    t = np.arange(int(rate * seconds)) / rate
    x = 0.2 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 0.5 * t) > -0.5)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        sf.write(src, x.astype(np.float32), rate, subtype="FLOAT")
        cmd = [str(tool("tmrvc-convert")), "--models", str(models), "--speaker", str(speaker),
               "--block", "256", "--allow-model-mismatch", str(src), str(dst)]
        if int8:
            cmd.insert(1, "--int8")
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        wall = time.perf_counter() - t0
    m = re.search(r"real-time factor[^0-9]*([0-9.]+)", out, re.IGNORECASE)
    return {"rtf_reported": float(m.group(1)) if m else float("nan"), "rtf_wall": wall / seconds}


def run(models: Path, speaker: Path, iterations: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        bench_json = Path(tmp) / "bench.json"
        subprocess.run([str(tool("tmrvc-bench")), "--models", str(models), "--iterations", str(iterations),
                        "--json", str(bench_json)], check=True, capture_output=True, text=True)
        cpp = json.loads(bench_json.read_text())
    meta = json.loads((models / "metadata.json").read_text())
    interval = int(meta.get("ir_update_interval", 10))
    result: dict = {"models": str(models), "iterations": iterations, "precisions": {}}
    for precision, sub in (("fp32", models), ("int8", models / "int8")):
        if precision not in cpp:
            continue
        rows = {}
        for name in PER_HOP:
            py = time_python(sub / f"{name}.onnx", iterations, interval)
            c = cpp[precision][name]
            rows[name] = {"cpp": c, "python": py, "python_over_cpp": py["median_ms"] / max(c["median_ms"], 1e-9)}
        result["precisions"][precision] = {"models": rows, "cpp_total_per_hop": cpp[precision]["total_per_hop"]}
        try:
            result["precisions"][precision]["engine"] = engine_rtf(models, speaker, precision == "int8")
        except (subprocess.CalledProcessError, OSError) as exc:
            result["precisions"][precision]["engine"] = {"error": str(exc)}
    return result


def print_table(result: dict) -> None:
    for precision, part in result["precisions"].items():
        print(f"{precision.upper()}  (1 intra-op thread; ms per call, median / p99)")
        print(f"  {'model':16s} {'C++ engine':>18s} {'ORT Python':>18s} {'Python/C++':>11s}")
        for name, row in part["models"].items():
            c, p = row["cpp"], row["python"]
            print(f"  {name:16s} {c['median_ms']:8.3f} / {c['p99_ms']:7.3f} {p['median_ms']:8.3f} / {p['p99_ms']:7.3f}"
                  f" {row['python_over_cpp']:10.2f}x")
        total = part["cpp_total_per_hop"]
        print(f"  C++ total per hop: {total['median_ms']:.3f} ms median, {total['p99_ms']:.3f} ms p99 (hop = 10 ms)")
        print(f"  whole engine (tmrvc-convert, 20 s at 48 kHz): {part['engine']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--speaker", type=Path, help="speaker file for the whole-engine run (default: DIR/demo.tmrvc_speaker)")
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    result = run(a.models, a.speaker or a.models / "demo.tmrvc_speaker", a.iterations)
    print_table(result)
    if a.json:
        a.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
