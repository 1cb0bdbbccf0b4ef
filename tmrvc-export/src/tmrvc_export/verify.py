"""Export gate: ONNX Runtime vs PyTorch over ≥ 100 streamed frames (state carried), and the INT8 deviation.

Metrics per output: ``max_abs``, ``mean_abs`` and ``scale`` (RMS of the PyTorch output). The vocoder's phase
is atan2(sin head, cos head), ill-conditioned where the head radius r = hypot(sin, cos) is near zero (a 1e-6
rounding difference becomes 1e-6 / r radians). It is therefore gated as ``stft_phase_weighted`` = wrapped
phase difference × min(1, r), with r taken from the PyTorch run; the raw complex-spectrum difference
``stft_complex`` (mag · exp(i·phase)) is reported but not gated.
Gate (contract): ``max_abs ≤ 1e-4 · max(1, scale)`` and ``mean_abs ≤ mean_rel · max(1, scale)``.
converter_hq streams one frame per call too; its content windows come from one random content sequence under the
engine's replication rule (slot r = frame min(u + min(r, L), T − 1)), L = max_lookahead_hops for the first half
of the frames and 2 for the rest (a lookahead change while streaming, as the engine does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch

from tmrvc_core import constants as K
from tmrvc_export.wrappers import ModelSpec, export_wrapper
from tmrvc_train.models import StudentModels, lookahead_windows

IR_CHUNKS = (10, 5, 7, 9, 6, 8)
PHASE_RADIUS = "_phase_head_radius"
UNGATED = ("stft_complex",)  # reported only (see the module docstring)
SPEAKER_LENGTHS = (300, 517)


class ExportGateError(RuntimeError):
    """ONNX Runtime and PyTorch disagree beyond the contract's bounds."""


@dataclass(frozen=True)
class GateBounds:
    max_abs: float = 1e-4
    mean_rel: float = 1e-6
    int8_frame_rel: float = 0.05


@dataclass
class ModelReport:
    name: str
    n_frames: int
    fp32: dict[str, dict[str, float]] = field(default_factory=dict)
    int8: dict[str, dict[str, float]] = field(default_factory=dict)
    passed: bool = True
    int8_within_bound: bool | None = None


def _session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def make_steps(spec: ModelSpec, n_frames: int, seed: int) -> list[dict[str, np.ndarray]]:
    """Seeded non-state inputs per call: n_frames frames (T = 1, or chunks for ir_estimator, lengths for speaker)."""
    rng = np.random.default_rng(seed)
    if spec.name == "speaker_encoder":
        lengths = list(SPEAKER_LENGTHS)
    elif spec.name == "ir_estimator":
        lengths, total = [], 0
        while total < n_frames:
            lengths.append(IR_CHUNKS[len(lengths) % len(IR_CHUNKS)])
            total += lengths[-1]
    else:
        lengths = [1] * n_frames
    fixed = {"spk_embed": None, "acoustic_params": None}
    steps = []
    for t in lengths:
        step = {}
        for name, shape in spec.inputs:
            if name == "state_in":
                continue
            if name in fixed:  # per-utterance conditioning stays fixed while streaming
                if fixed[name] is None:
                    v = rng.standard_normal(shape).astype(np.float32)
                    fixed[name] = v / np.linalg.norm(v) if name == "spk_embed" else np.abs(v) * 0.5
                step[name] = fixed[name]
                continue
            shape = tuple(t if i == 2 and len(shape) == 3 else s for i, s in enumerate(shape))
            x = rng.standard_normal(shape).astype(np.float32)
            if name in ("mel_frame", "mel_chunk", "mel_ref"):
                x = x * 2.0 - 4.0
            elif name == "f0":
                x = np.where(rng.random(shape) < 0.3, 0.0, rng.uniform(4.0, 6.5, shape)).astype(np.float32)
            step[name] = x
        steps.append(step)
    return hq_windows(steps) if spec.name == "converter_hq" else steps


def hq_windows(steps: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """Replace each step's content (1, D, W) by the window of frame u of one sequence (1, D, T = len(steps))."""
    seq = torch.from_numpy(np.concatenate([s["content"][:, :, :1] for s in steps], axis=2))
    half = len(steps) // 2
    wins = list(lookahead_windows(seq, K.MAX_LOOKAHEAD_HOPS))[:half] + list(lookahead_windows(seq, 2))[half:]
    return [{**s, "content": np.ascontiguousarray(w.numpy())} for s, w in zip(steps, wins)]


def run_torch(name: str, students: StudentModels, spec: ModelSpec, steps: list[dict[str, np.ndarray]]
              ) -> list[dict[str, np.ndarray]]:
    """PyTorch outputs per step, state carried (one intra-op thread: per-frame calls are tiny)."""
    wrapper = export_wrapper(name, students)
    state = torch.zeros(spec.state_shape) if spec.state_shape else None
    outs = []
    heads: list[torch.Tensor] = []
    hook = students.vocoder.phase_head.register_forward_hook(lambda m, i, o: heads.append(o))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            for step in steps:
                args = [torch.from_numpy(step[n]) for n in spec.input_names if n != "state_in"]
                res = wrapper(*args, state) if state is not None else wrapper(*args)
                outs.append({n: r.numpy() for n, r in zip(spec.output_names, res)})
                if heads:  # vocoder: radius of the (sin, cos) head, (1, 513, T)
                    sc = heads.pop().transpose(1, 2)
                    n_bins = sc.shape[1] // 2
                    outs[-1][PHASE_RADIUS] = torch.hypot(sc[:, :n_bins], sc[:, n_bins:]).numpy()
                if state is not None:
                    state = res[-1]
    finally:
        torch.set_num_threads(threads)
        hook.remove()
    return outs


def run_ort(path: Path, spec: ModelSpec, steps: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    sess = _session(path)
    state = np.zeros(spec.state_shape, np.float32) if spec.state_shape else None
    outs = []
    for step in steps:
        feeds = dict(step)
        if state is not None:
            feeds["state_in"] = state
        res = sess.run(spec.output_names, feeds)
        outs.append(dict(zip(spec.output_names, res)))
        if state is not None:
            state = res[-1]
    return outs


def _pairs(ref: list[dict[str, np.ndarray]], got: list[dict[str, np.ndarray]], key: str
           ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per call: (reference values, |difference|) for output ``key`` (or a derived vocoder metric)."""
    pairs = []
    for r, g in zip(ref, got):
        if key == "stft_complex":
            zr = r["stft_mag"] * np.exp(1j * r["stft_phase"].astype(np.float64))
            zg = g["stft_mag"] * np.exp(1j * g["stft_phase"].astype(np.float64))
            pairs.append((np.abs(zr), np.abs(zr - zg)))
        elif key == "stft_phase_weighted":
            d = r["stft_phase"].astype(np.float64) - g["stft_phase"]
            wrapped = np.abs(np.arctan2(np.sin(d), np.cos(d)))
            pairs.append((r["stft_phase"].astype(np.float64), wrapped * np.minimum(1.0, r[PHASE_RADIUS])))
        else:
            pairs.append((r[key].astype(np.float64), np.abs(r[key].astype(np.float64) - g[key])))
    return pairs


def _keys(spec: ModelSpec, with_state: bool) -> list[str]:
    keys = [n for n in spec.output_names if n != "stft_phase" and (with_state or n != "state_out")]
    return keys + (["stft_phase_weighted", "stft_complex"] if "stft_phase" in spec.output_names else [])


def compare(ref: list[dict[str, np.ndarray]], got: list[dict[str, np.ndarray]], spec: ModelSpec
            ) -> dict[str, dict[str, float]]:
    """Whole-run metrics per output: max_abs, mean_abs, scale (RMS of the reference)."""
    metrics = {}
    for key in _keys(spec, with_state=True):
        pairs = _pairs(ref, got, key)
        r = np.concatenate([p[0].ravel() for p in pairs])
        d = np.concatenate([p[1].ravel() for p in pairs])
        metrics[key] = {"max_abs": float(d.max()), "mean_abs": float(d.mean()),
                        "scale": float(np.sqrt(np.mean(r ** 2)))}
    return metrics


def compare_frames(ref: list[dict[str, np.ndarray]], got: list[dict[str, np.ndarray]], spec: ModelSpec
                   ) -> dict[str, dict[str, float]]:
    """Per call: max abs diff / RMS of the reference frame; worst and median over the run."""
    metrics = {}
    for key in _keys(spec, with_state=False):
        ratios = [float(d.max() / max(np.sqrt(np.mean(r ** 2)), 1e-12)) for r, d in _pairs(ref, got, key)]
        metrics[key] = {"worst_frame_rel": max(ratios), "median_frame_rel": float(np.median(ratios))}
    return metrics


def gate_failures(report: ModelReport, bounds: GateBounds) -> list[str]:
    problems = []
    for key, m in report.fp32.items():
        if key in UNGATED:
            continue
        scale = max(1.0, m["scale"])
        if m["max_abs"] > bounds.max_abs * scale:
            problems.append(f"{report.name}.{key}: max abs {m['max_abs']:.3g} > {bounds.max_abs * scale:.3g}")
        if m["mean_abs"] > bounds.mean_rel * scale:
            problems.append(f"{report.name}.{key}: mean abs {m['mean_abs']:.3g} > {bounds.mean_rel * scale:.3g}")
    return problems


def verify_model(name: str, students: StudentModels, spec: ModelSpec, fp32_path: Path, int8_path: Path | None,
                 n_frames: int = 100, seed: int = 0, bounds: GateBounds = GateBounds()) -> ModelReport:
    """Compare ORT (FP32, and INT8 if given) against PyTorch; the report says whether the FP32 gate passed."""
    steps = make_steps(spec, n_frames, seed)
    ref = run_torch(name, students, spec, steps)
    per_call = (lambda s: 1) if name == "converter_hq" else (lambda s: next(iter(s.values())).shape[-1])
    report = ModelReport(name, sum(per_call(s) for s in steps) if spec.per_frame else len(steps))
    report.fp32 = compare(ref, run_ort(fp32_path, spec, steps), spec)
    report.passed = not gate_failures(report, bounds)
    if int8_path is not None:
        report.int8 = compare_frames(ref, run_ort(int8_path, spec, steps), spec)
        report.int8_within_bound = all(m["worst_frame_rel"] <= bounds.int8_frame_rel for k, m in report.int8.items()
                                       if k not in UNGATED)
    return report


def enforce_gate(reports: list[ModelReport], bounds: GateBounds) -> None:
    """Raise ExportGateError listing every FP32 bound that was exceeded."""
    problems = [p for r in reports for p in gate_failures(r, bounds)]
    if problems:
        raise ExportGateError("export gate failed (ONNX Runtime vs PyTorch): " + "; ".join(problems))


def report_dict(report: ModelReport) -> dict[str, Any]:
    return {"frames": report.n_frames, "fp32": report.fp32, "passed": report.passed, "int8": report.int8,
            "int8_within_bound": report.int8_within_bound}
