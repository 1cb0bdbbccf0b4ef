#!/usr/bin/env python3
"""`make demo`: the main job end to end on the built-in synthetic corpus.

corpus → preprocess → feature cache → teacher + students (demo recipe) → export FP32 + INT8 → enrol a held-out
voice → convert held-out sentences of held-out voices with tmrvc-convert (FP32, INT8) and through the VST3 plugin
→ tmrvc-eval with the three baselines → benchmarks, latency, parity → demo-output/report.md.

    uv run python scripts/demo.py [--quick] [--out demo-output]

Every stage prints a progress line and is reused on the next run (demo-output/.stages/). --quick runs every
stage on tiny sizes (the test suite runs it).
"""

from __future__ import annotations

import argparse
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
    p.add_argument("--out", type=Path, default=ROOT / "demo-output")
    a = p.parse_args(argv)
    ctx = Context(out=a.out.resolve(), quick=a.quick)
    # The engine's Python module (latency and parity stages) lives in the build tree.
    sys.path.insert(0, str(ctx.build / "tmrvc-engine"))
    run_stages(ctx, TRAINING_STAGES + ENGINE_STAGES)
    report = write_report(ctx)
    print(f"[demo] report: {report}")
    print(f"[demo] models: {ctx.out / 'models'} and {ctx.out / 'models-int8'}")
    plugin = ctx.results.get("plugin", {}).get("bundle")
    print(f"[demo] VST3 plugin bundle: {plugin or 'not built (TMRVC_BUILD_PLUGIN=0)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
