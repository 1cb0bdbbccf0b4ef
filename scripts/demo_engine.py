"""Demo stages on the C++ side: conversion (tmrvc-convert FP32/INT8, the VST3 plugin in pedalboard), evaluation,
benchmarks, latency and Python↔C++ parity."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from demo_stages import ROOT, Context, Stage, sh, uv_run

BLOCK = 256
# Every demo conversion moves the source's pitch into the target's range (auto pitch match): tmrvc-eval scores
# F0 against the source contour shifted onto the target's mean, and a female target sung at a male pitch is not
# the target's voice.
AUTO_PITCH = True


def _convert_all(ctx: Context, models: Path, dest: Path, int8: bool, q: float = 0.0,
                 vocoder_phase: bool = False, speaker: Path | None = None) -> dict:
    ev = Path(ctx.results["eval_set"]["dir"])
    speaker = speaker or ctx.out / "target.tmrvc_speaker"
    rtfs, latency = [], None
    for src in sorted((ev / "source").glob("*.wav")):
        cmd = [ctx.tool("tmrvc-convert"), "--models", models, "--speaker", speaker, "--block", BLOCK, "--q", q,
               "--allow-model-mismatch", src, dest / src.name]
        if int8:
            cmd.insert(1, "--int8")
        if vocoder_phase:
            cmd.insert(1, "--vocoder-phase")
        if AUTO_PITCH:
            cmd.insert(1, "--auto-pitch")
        dest.mkdir(parents=True, exist_ok=True)
        out = sh(cmd)
        latency = int(re.search(r"latency: (\d+)", out).group(1))
        rtfs.append(float(re.search(r"real-time factor: ([0-9.]+)", out).group(1)))
    return {"files": len(rtfs), "latency_samples": latency, "rtf_median": float(np.median(rtfs)), "dir": str(dest),
            "q": q, "vocoder_phase": vocoder_phase}


def stage_convert(ctx: Context) -> dict:
    conv = ctx.out / "converted"
    return {"fp32": _convert_all(ctx, ctx.out / "models", conv / "fp32", False),
            "int8": _convert_all(ctx, ctx.out / "models", conv / "int8", True),
            # q = 1: six hops of lookahead, the 80 ms F0 window and converter_hq.onnx when the folder has one
            "fp32_q1": _convert_all(ctx, ctx.out / "models", conv / "fp32_q1", False, q=1.0),
            # the vocoder's own phase instead of the reconstructed one (docs/dsp-and-streaming.md)
            "fp32_vocoder_phase": _convert_all(ctx, ctx.out / "models", conv / "fp32_vocoder_phase", False,
                                               vocoder_phase=True),
            "python": _convert_python(ctx, conv / "python"),
            # the same speaker without its speaker bank: the converter's own envelopes (before issue 18)
            "fp32_no_bank": _convert_all(ctx, ctx.out / "models", conv / "fp32_no_bank", False,
                                         speaker=ctx.out / "target_no_bank.tmrvc_speaker")}


def _convert_python(ctx: Context, dest: Path) -> dict:
    """The same files through the Python streaming reference (tmrvc_core + ONNX Runtime in Python), on the same
    timeline as tmrvc-convert's output (which also holds the engine's one block of buffering)."""
    from tmrvc_export.reference_pipeline import ReferenceSettings, reference_convert  # noqa: PLC0415

    ev = Path(ctx.results["eval_set"]["dir"])
    dest.mkdir(parents=True, exist_ok=True)
    fp32 = ctx.out / "converted/fp32"
    for src in sorted((ev / "source").glob("*.wav")):
        x, rate = sf.read(src, dtype="float32")
        y = reference_convert(x, rate, ctx.out / "models", ctx.out / "target.tmrvc_speaker",
                              ReferenceSettings(auto_pitch=AUTO_PITCH))
        n = sf.info(fp32 / src.name).frames
        sf.write(dest / src.name, np.concatenate([np.zeros(BLOCK, np.float32), y])[:n], rate, subtype="FLOAT")
    return {"dir": str(dest)}


def stage_plugin(ctx: Context) -> dict:
    """The same held-out files through the built VST3 in pedalboard; compared with tmrvc-convert's output."""
    sys.path.insert(0, str(ROOT / "tests/python"))
    from plugin_support import find_plugin, host_state, plugin_state  # noqa: PLC0415
    import pedalboard  # noqa: PLC0415

    bundle = find_plugin()
    if bundle is None:
        return {"bundle": None, "note": "plugin not built"}
    plugin = pedalboard.load_plugin(str(bundle))
    plugin.raw_state = host_state(plugin_state(ctx.out / "models", ctx.out / "target.tmrvc_speaker",
                                               {"autoPitchMatch": float(AUTO_PITCH)}))
    ev = Path(ctx.results["eval_set"]["dir"])
    dest = ctx.out / "converted/plugin"
    dest.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    for src in sorted((ev / "source").glob("*.wav")):
        x, rate = sf.read(src, dtype="float32")
        y = plugin.process(x[None, :], rate, buffer_size=BLOCK, reset=True)[0]
        sf.write(dest / src.name, y, rate, subtype="FLOAT")
        ref, _ = sf.read(ctx.out / "converted/fp32" / src.name, dtype="float32")
        # pedalboard compensates the reported latency; tmrvc-convert keeps it.
        lat = ctx.results["convert"]["fp32"]["latency_samples"]
        n = min(len(y), len(ref) - lat)
        worst = max(worst, float(np.max(np.abs(y[:n] - ref[lat:lat + n]))))
    return {"bundle": str(bundle), "max_abs_vs_tmrvc_convert": worst, "dir": str(dest)}


def eval_dir(converted: Path, evalset: Path, out: Path, log: Path) -> dict:
    """tmrvc-eval of ``converted`` against the eval set's source / target_ref / ground_truth → its metrics."""
    sh(uv_run("tmrvc-eval", "--config", ROOT / "configs/eval/eval.yaml", "--converted", converted,
              "--source", evalset / "source", "--target_ref", evalset / "target_ref",
              "--ground_truth", evalset / "ground_truth", "--out", out), log)
    return json.loads((out / "metrics.json").read_text())


# The two metrics whose acceptance is "gap closed" = (converted − identity) / (ground truth − identity).
GAP_METRICS = {"speaker_similarity_converted_to_target": "speaker similarity", "mcd_db": "MCD (dB)"}


def gap_closed(value: float, identity: float, truth: float) -> float:
    return (value - identity) / (truth - identity)


def demo_baselines(demo: Path) -> dict[str, dict]:
    """The identity and ground-truth summaries of a finished demo's eval (demo/eval/<name>/metrics.json)."""
    return {k: json.loads((demo / f"eval/{k}/metrics.json").read_text())["summary"]
            for k in ("identity", "ground_truth")}


def _eval(ctx: Context, converted: Path, name: str) -> dict:
    return eval_dir(converted, Path(ctx.results["eval_set"]["dir"]), ctx.out / "eval" / name,
                    ctx.work / f"logs/eval_{name}.log")


def stage_eval(ctx: Context) -> dict:
    ev = Path(ctx.results["eval_set"]["dir"])
    results = {"identity": _eval(ctx, ev / "source", "identity"),
               "ground_truth": _eval(ctx, ev / "ground_truth", "ground_truth"),
               "other_voice": _eval(ctx, ev / "other", "other_voice")}
    for variant in ("fp32", "int8", "plugin", "fp32_q1", "fp32_vocoder_phase", "python", "fp32_no_bank"):
        d = ctx.out / "converted" / variant
        if d.is_dir() and any(d.glob("*.wav")):
            results[variant] = _eval(ctx, d, variant)
    return results


def stage_bench(ctx: Context) -> dict:
    out = ctx.work / "bench.json"
    text = sh(uv_run("python", ROOT / "scripts/run_benchmark.py", "--models", ctx.out / "models",
                     "--speaker", ctx.out / "target.tmrvc_speaker",
                     "--iterations", 50 if ctx.quick else 500, "--json", out), ctx.work / "logs/bench.log")
    return {"table": text, "result": json.loads(out.read_text())}


def stage_latency(ctx: Context) -> dict:
    """Reported vs measured delay: an impulse through the analysis–resynthesis mode of a fresh engine."""
    import tmrvc_engine  # noqa: PLC0415

    rates = (44100, 48000, 96000)
    cases = [(r, b, 0.0) for r in rates for b in (64, 256, 512)] + [(r, BLOCK, q) for r in rates for q in (0.5, 1.0)]
    rows = []
    for rate, block, q in cases:
        e = tmrvc_engine.StreamingEngine()
        e.set_identity_mode(True)
        e.set_quality(q)
        e.prepare(rate, block)
        e.set_non_realtime(True)
        x = np.zeros(rate, np.float32)
        at = rate // 2
        x[at] = 1.0
        y = e.process(x, block)
        rows.append({"rate": rate, "block": block, "q": q, "reported": e.latency_samples(),
                     "measured": int(np.argmax(np.abs(y))) - at, "reported_ms": 1000 * e.latency_samples() / rate})
    return {"rows": rows}


def _parity(ctx: Context, x: np.ndarray, rate: int, q: float, vocoder_phase: bool) -> dict:
    import tmrvc_engine  # noqa: PLC0415
    from tmrvc_export.reference_pipeline import ReferenceSettings, reference_convert  # noqa: PLC0415

    e = tmrvc_engine.StreamingEngine()
    e.load_models(str(ctx.out / "models"))
    e.load_speaker(str(ctx.out / "target.tmrvc_speaker"))
    e.set_quality(q)
    e.set_vocoder_phase(vocoder_phase)
    e.set_auto_pitch_match(AUTO_PITCH)
    e.prepare(rate, BLOCK)
    e.set_non_realtime(True)
    y = e.process(x, BLOCK)[BLOCK:]  # the engine's extra host block of buffering; the reference has none
    hq = bool(e.stats()["hq_converter"])
    ref = reference_convert(x, rate, ctx.out / "models", ctx.out / "target.tmrvc_speaker",
                            ReferenceSettings(quality=q, vocoder_phase=vocoder_phase, auto_pitch=AUTO_PITCH))[: y.size]
    err = float(np.sum((ref.astype(np.float64) - y) ** 2))
    snr = 10 * np.log10(float(np.sum(ref.astype(np.float64) ** 2)) / max(err, 1e-30))
    return {"q": q, "hq_converter": hq, "vocoder_phase": vocoder_phase, "snr_db": float(snr),
            "max_abs": float(np.max(np.abs(ref - y)))}


def stage_parity(ctx: Context) -> dict:
    """Python streaming reference vs the C++ engine on one held-out file (contract: SNR >= 60 dB), q = 0 and 1."""
    src = sorted((Path(ctx.results["eval_set"]["dir"]) / "source").glob("*.wav"))[0]
    x, rate = sf.read(src, dtype="float32")
    x = x[: 5 * rate]
    runs = [_parity(ctx, x, rate, q, vp) for vp in (True, False) for q in (0.0, 1.0)]
    # "audio_seconds": run_stages writes the stage's own wall time under "seconds"
    return {"file": src.name, "audio_seconds": len(x) / rate, "rate": rate, "snr_db": runs[0]["snr_db"],
            "max_abs": runs[0]["max_abs"], "runs": runs}


ENGINE_STAGES = [
    Stage("convert", stage_convert, lambda c: [c.out / "converted/fp32", c.out / "converted/int8",
                                               c.out / "converted/fp32_q1", c.out / "converted/python",
                                               c.out / "converted/fp32_vocoder_phase",
                                               c.out / "converted/fp32_no_bank"]),
    Stage("plugin", stage_plugin, lambda c: []),
    Stage("eval", stage_eval, lambda c: [c.out / "eval"]),
    Stage("bench", stage_bench, lambda c: [c.work / "bench.json"]),
    Stage("latency", stage_latency, lambda c: []),
    Stage("parity", stage_parity, lambda c: []),
]
