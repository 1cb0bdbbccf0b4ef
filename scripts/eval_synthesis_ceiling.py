#!/usr/bin/env python3
"""What the engine's synthesis allows at best, and how much of the source's identity a conversion keeps.

1. Ceiling: the demo's ground-truth utterances (the target voice saying the held-out sentences) are analysed and
   resynthesised with their own true magnitude and the engine's phase rule (tmrvc_core.dsp.phase, the C++
   engine's twin). A perfect converter could not score better than this through the engine, so its gap closure
   bounds every conversion's: scored with tmrvc-eval, gap closed = (ceiling − identity) / (truth − identity),
   identity and ground truth from the demo's own eval.
2. Identity kept: the speaker judge's similarity of each converted utterance to its own source and to the
   target's centroid (a converter that only adds artefacts moves away from the source without nearing the target).

    uv run python scripts/eval_synthesis_ceiling.py --demo demo-output [--converted demo-output/converted/fp32]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from tmrvc_core.dsp import istft_ola, magnitude_phase, resample
from tmrvc_core.dsp.phase import reconstruct_phase
from tmrvc_eval.metrics.speaker import SpeakerJudge, cosine, speaker_centroid

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_engine import GAP_METRICS, demo_baselines, eval_dir, gap_closed  # noqa: E402  (the demo's own eval)

MODEL_RATE = 24000


def resynthesise(src: Path, dst: Path) -> None:
    """src → its true magnitude + the engine's reconstructed phase → dst, at src's rate."""
    x, rate = sf.read(src, dtype="float64", always_2d=True)
    x24 = resample(x.mean(axis=1), rate, MODEL_RATE)
    mag, _ = magnitude_phase(x24)
    y = istft_ola(mag, reconstruct_phase(mag))
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(dst, resample(y, MODEL_RATE, rate).astype(np.float32), rate, subtype="FLOAT")


def identity_kept(converted: Path, evalset: Path) -> dict:
    judge = SpeakerJudge()

    def embed(p: Path) -> np.ndarray:
        x, rate = sf.read(p, dtype="float64", always_2d=True)
        return judge.embed(x.mean(axis=1), rate)

    target = speaker_centroid([embed(p) for p in sorted((evalset / "target_ref").glob("*.wav"))])
    to_source, to_target, source_to_target = [], [], []
    for p in tqdm(sorted(converted.glob("*.wav")), desc="speaker judge", unit="file"):
        c, s = embed(p), embed(evalset / "source" / p.name)
        to_source.append(cosine(c, s)), to_target.append(cosine(c, target)), source_to_target.append(cosine(s, target))
    return {"converted_to_source": float(np.mean(to_source)), "converted_to_target": float(np.mean(to_target)),
            "source_to_target": float(np.mean(source_to_target)), "n": len(to_source)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--demo", type=Path, required=True, help="a finished `make demo` output folder")
    p.add_argument("--converted", type=Path, default=None, help="conversions to probe (default: DEMO/converted/fp32)")
    a = p.parse_args(argv)
    demo = a.demo.resolve()
    evalset = demo / "work/evalset"
    needed = [evalset / "ground_truth", demo / "eval/identity/metrics.json", demo / "eval/ground_truth/metrics.json"]
    missing = [str(x) for x in needed if not x.exists()]
    if missing:
        p.error(f"not a finished demo folder (missing {', '.join(missing)}); run `make demo` first")
    out = demo / "synthesis_ceiling"
    for src in tqdm(sorted((evalset / "ground_truth").glob("*.wav")), desc="resynthesis", unit="file"):
        resynthesise(src, out / "audio" / src.name)
    ceiling = eval_dir(out / "audio", evalset, out / "eval", out / "eval.log")["summary"]
    base = demo_baselines(demo)
    report = {"ceiling": ceiling, "max_gap_closed": {}}
    print(f"{'metric':20s} {'identity':>9s} {'truth':>7s} {'ceiling':>8s} {'max gap closed':>15s}")
    for key, label in GAP_METRICS.items():
        i, g, c = base["identity"][key], base["ground_truth"][key], ceiling[key]
        gap = gap_closed(c, i, g)
        report["max_gap_closed"][key] = gap
        print(f"{label:20s} {i:9.3f} {g:7.3f} {c:8.3f} {gap:15.2f}")
    converted = (a.converted or demo / "converted/fp32").resolve()
    if converted.is_dir():
        kept = identity_kept(converted, evalset)
        report["identity_kept"] = {"dir": str(converted), **kept}
        print(f"speaker judge on {converted}: converted~source {kept['converted_to_source']:.3f}, "
              f"converted~target {kept['converted_to_target']:.3f}, source~target {kept['source_to_target']:.3f}")
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(f"written {out / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
