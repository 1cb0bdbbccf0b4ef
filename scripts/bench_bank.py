#!/usr/bin/env python3
"""Per-hop cost of the speaker bank: converter.onnx of two model folders (e.g. the same students exported before
and after the bank) timed in ONNX Runtime, 1 thread, interleaved rounds in one run, so the ratio is fair on a
shared machine.

    uv run python scripts/bench_bank.py BEFORE/converter.onnx AFTER/converter.onnx [--rounds 6 --calls 300]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import onnxruntime as ort

from tmrvc_core import constants as K


def session(path: str) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def feeds_for(sess: ort.InferenceSession, rng: np.random.Generator) -> dict[str, np.ndarray]:
    content = np.abs(rng.standard_normal((1, K.D_CONTENT, 1))).astype(np.float32)
    content[0, -1, 0] = 5.0  # voiced F0 channel
    return {"content": content, "spk_embed": rng.standard_normal((1, K.D_SPEAKER)).astype(np.float32),
            "acoustic_params": rng.random((1, K.N_ACOUSTIC_PARAMS)).astype(np.float32),
            "state_in": np.zeros(sess.get_inputs()[3].shape, np.float32)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--calls", type=int, default=300)
    a = p.parse_args(argv)
    rng = np.random.default_rng(0)
    sessions = [session(a.before), session(a.after)]
    feeds = [feeds_for(s, rng) for s in sessions]
    medians: list[list[float]] = [[], []]
    for _ in range(a.rounds):
        for i, s in enumerate(sessions):
            for _ in range(50):
                s.run(None, feeds[i])
            t = []
            for _ in range(a.calls):
                t0 = time.perf_counter()
                s.run(None, feeds[i])
                t.append(time.perf_counter() - t0)
            medians[i].append(float(np.median(t)) * 1e3)
    before, after = float(np.median(medians[0])), float(np.median(medians[1]))
    print(f"converter per hop (ORT, 1 thread, median of {a.rounds} interleaved rounds x {a.calls}): before "
          f"{before:.3f} ms, after {after:.3f} ms, ratio {after / before:.2f}, extra {after - before:+.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
