#!/usr/bin/env python3
"""What longer training gives: issue 4's acceptance numbers against training budget, from several demo folders.

    make demo TRAIN_SCALE=0.5; make demo; make demo TRAIN_SCALE=2
    uv run python scripts/demo_curve.py demo-output-x0.5 demo-output demo-output-x2 --png docs/training-curve.png

Each folder is one `make demo` (its results.json); the table (markdown, to stdout) and the plot put the FP32 C++
engine's scores beside the training steps (× the recipe's) and CPU minutes that produced them, targets drawn in.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_report import GAP_METRICS, gap_closed, metric_means  # noqa: E402

TARGETS = {"speaker_similarity_converted_to_target": 0.6, "mcd_db": 0.5}  # issue 4: gap closed at least this
COLUMN = "fp32"  # the C++ engine at q = 0, the shipped path
ROW_METRICS = (("f0_correlation", "F0 corr"), ("loudness_rms_ratio_mean", "RMS ratio"),
               ("artefact_index_converted_db", "HF dB"), ("wer_converted", "WER"))


def load_point(folder: Path) -> dict:
    path = folder / "results.json"
    if not path.is_file():
        raise SystemExit(f"{path} not found: run `make demo` (or scripts/demo.py --out {folder}) first")
    results = json.loads(path.read_text())
    ev, train = results.get("eval", {}), results.get("train", {})
    if COLUMN not in ev or "identity" not in ev or "ground_truth" not in ev:
        raise SystemExit(f"{path} has no {COLUMN}/identity/ground_truth evaluation: did the demo finish?")
    sums = {c: metric_means(ev[c]) for c in (COLUMN, "identity", "ground_truth")}
    gaps = {k: gap_closed(sums, COLUMN, k) for k in GAP_METRICS}
    missing = [k for k, v in gaps.items() if v is None]
    if missing:
        raise SystemExit(f"{path}: no gap closed for {missing} (metric absent, or ground truth = identity)")
    point = {"scale": train.get("train_scale", 1.0), "gaps": gaps,
             "train_minutes": sum(train.get("stage_seconds", {}).values()) / 60}
    point["values"] = {k: sums[COLUMN].get(k) for k, _ in ROW_METRICS}
    point["values"].update({k: sums[COLUMN].get(k) for k in GAP_METRICS})
    return point


def table(points: list[dict]) -> str:
    head = ("| train scale | CPU minutes | speaker sim. (gap) | MCD dB (gap) | "
            + " | ".join(label for _, label in ROW_METRICS) + " |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for p in points:
        v, g = p["values"], p["gaps"]
        spk = "speaker_similarity_converted_to_target"
        cells = [f"×{p['scale']:g}", f"{p['train_minutes']:.0f}", f"{v[spk]:.3f} ({g[spk]:+.2f})",
                 f"{v['mcd_db']:.2f} ({g['mcd_db']:+.2f})"]
        cells += [f"{v[k]:.2f}" if isinstance(v[k], (int, float)) else "–" for k, _ in ROW_METRICS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(points: list[dict], dest: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    # The x axis is the step budget, not the measured minutes: runs that shared the machine took longer per step.
    scales = [p["scale"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 4))
    for (key, target), (label, colour) in zip(TARGETS.items(), (("speaker similarity", "C0"), ("MCD", "C1"))):
        ax.plot(scales, [p["gaps"][key] for p in points], "o-", color=colour, label=f"{label} gap closed")
        ax.axhline(target, color=colour, linestyle="--", linewidth=1, label=f"{label} target {target}")
    for p, m in zip(points, scales):
        ax.annotate(f"{p['train_minutes']:.0f} min", (m, p["gaps"]["speaker_similarity_converted_to_target"]),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    base = [p["train_minutes"] for p in points if p["scale"] == 1.0]
    recipe = f" (×1 = {base[0]:.0f} min on 2 CPU cores)" if base else ""
    ax.set_xlabel("training steps, × the demo recipe's" + recipe)
    ax.set_ylabel("gap closed (identity 0, ground truth 1)")
    gaps = [g for p in points for g in p["gaps"].values()]
    ax.set_ylim(min(0.0, min(gaps) - 0.05), max(max(TARGETS.values()) + 0.1, max(gaps) + 0.05))
    ax.set_title("Held-out conversions, C++ engine (FP32, q = 0)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(dest, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", type=Path, nargs="+", help="demo output folders (each with results.json)")
    p.add_argument("--png", type=Path, help="also plot the gaps against the training budget here")
    a = p.parse_args(argv)
    points = sorted((load_point(f) for f in a.folders), key=lambda q: q["scale"])
    print(table(points))
    if a.png:
        plot(points, a.png)
        print(f"[curve] plot: {a.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
