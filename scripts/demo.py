#!/usr/bin/env python3
"""`make demo`: the main job end to end on the built-in synthetic corpus.

corpus → preprocess → feature cache → teacher + students (demo recipe) → export FP32 + INT8 → enrol a held-out
voice → convert held-out sentences of held-out voices with tmrvc-convert (FP32, INT8) and through the VST3 plugin
→ tmrvc-eval with the three baselines → benchmarks, latency, parity → demo-output/report.md.

    uv run python scripts/demo.py [--quick] [--train-scale K] [--out demo-output]

Every stage prints a progress line and is reused on the next run (demo-output/.stages/). --quick runs every
stage on tiny sizes (the test suite runs it). --train-scale K multiplies every training stage's steps by K (what
longer training gives; use its own --out: a folder trained at another scale is refused, not silently reused).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_engine import ENGINE_STAGES  # noqa: E402
from demo_report import write_report  # noqa: E402
from demo_stages import ROOT, Context, run_stages  # noqa: E402
from demo_training import TRAINING_STAGES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: every stage in a few minutes")
    p.add_argument("--out", type=Path, default=None, help="default demo-output (demo-output-real for --corpus real)")
    p.add_argument("--corpus", choices=("synthetic", "real"), default="synthetic",
                   help="real: real-recorded festival/flite voices + speaker-augmented siblings + espeak "
                        "(configs/data/real_corpus.yaml), converting fest_ked into fest_slt")
    p.add_argument("--train-scale", type=float, default=1.0,
                   help="multiply every training stage's steps by this (default 1: the recipe, ~22 min on 2 cores)")
    a = p.parse_args(argv)
    if not a.train_scale > 0:
        p.error(f"--train-scale must be > 0 (got {a.train_scale})")
    out = a.out or ROOT / ("demo-output-real" if a.corpus == "real" else "demo-output")
    ctx = Context(out=out.resolve(), quick=a.quick, train_scale=a.train_scale, corpus=a.corpus)
    refuse_other_scale(ctx)
    # The engine's Python module (latency and parity stages) lives in the build tree.
    sys.path.insert(0, str(ctx.build / "tmrvc-engine"))
    run_stages(ctx, TRAINING_STAGES + ENGINE_STAGES)
    report = write_report(ctx)
    print(f"[demo] report: {report}")
    print(f"[demo] models: {ctx.out / 'models'} and {ctx.out / 'models-int8'}")
    plugin = ctx.results.get("plugin", {}).get("bundle")
    print(f"[demo] VST3 plugin bundle: {plugin or 'not built (TMRVC_BUILD_PLUGIN=0)'}")
    return 0


def refuse_other_scale(ctx: Context) -> None:
    """Stages are reused from an earlier run in the same folder; models trained at another scale must not be."""
    record = ctx.out / ".stages/train.json"
    if ctx.quick or not record.is_file():
        return
    earlier = json.loads(record.read_text()).get("train_scale", 1.0)
    if earlier != ctx.train_scale:
        raise SystemExit(f"[demo] {ctx.out} holds models trained with --train-scale {earlier}, not "
                         f"{ctx.train_scale}: pass another --out, or delete {record} to retrain there")


if __name__ == "__main__":
    sys.exit(main())
