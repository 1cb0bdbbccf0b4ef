"""scripts/demo_curve.py: issue 4's gap closed per demo folder, ordered by training budget, table and plot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_curve import main  # noqa: E402


def write_demo(folder: Path, scale: float, seconds: float, spk: float, mcd: float) -> Path:
    means = {"identity": {"speaker_similarity_converted_to_target": 0.70, "mcd_db": 8.0},
             "ground_truth": {"speaker_similarity_converted_to_target": 0.90, "mcd_db": 3.0},
             "fp32": {"speaker_similarity_converted_to_target": spk, "mcd_db": mcd, "f0_correlation": 0.85,
                      "loudness_rms_ratio_mean": 1.05, "artefact_index_converted_db": 6.0, "wer_converted": 0.7}}
    results = {"train": {"train_scale": scale, "stage_seconds": {"teacher": seconds / 2, "A": seconds / 2}},
               "eval": {k: {"summary": v} for k, v in means.items()}}
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(results))
    return folder


def test_gaps_are_measured_from_identity_towards_ground_truth_and_sorted_by_budget(tmp_path, capsys) -> None:
    long = write_demo(tmp_path / "x2", 2.0, 2400.0, spk=0.82, mcd=6.0)
    short = write_demo(tmp_path / "x1", 1.0, 1200.0, spk=0.80, mcd=7.0)
    png = tmp_path / "curve.png"
    assert main([str(long), str(short), "--png", str(png)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ×")]
    # speaker: (0.80 − 0.70) / (0.90 − 0.70) = 0.50; MCD's ground-truth end is 0 dB: (7 − 8) / (0 − 8) = 0.125.
    assert rows[0].startswith("| ×1 | 20 |") and "0.800 (+0.50)" in rows[0] and "7.00 (+0.12)" in rows[0]
    assert rows[1].startswith("| ×2 | 40 |") and "0.820 (+0.60)" in rows[1] and "6.00 (+0.25)" in rows[1]
    assert png.stat().st_size > 10_000


def test_a_folder_without_results_is_named(tmp_path) -> None:
    with pytest.raises(SystemExit, match="results.json not found"):
        main([str(tmp_path / "nothing")])
