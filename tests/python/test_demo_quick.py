"""`make demo QUICK=1` end to end (tiny sizes): every stage must run and the report must carry every section, so the
whole chain (corpus → training → export → enrolment → engine → plugin → evaluation → report) cannot silently break."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_demo_runs_every_stage_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, ROOT / "scripts/demo.py", "--quick", "--out", out], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=2400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = (out / "report.md").read_text()
    for section in ("## Quality", "## Speed", "## Latency", "## Python ↔ C++ parity", "## Content encoder",
                    "## Training"):
        assert section in report, section
    results = json.loads((out / "results.json").read_text())
    # the content encoder's phone accuracy, held-out voices included, each a fraction
    phones = results["phones"]["rows"]
    assert any(r["split"] == "test" for r in phones) and all(0.0 <= r["accuracy_speech"] <= 1.0 for r in phones)
    assert results["parity"]["snr_db"] >= 60.0
    for row in results["latency"]["rows"]:
        assert abs(row["measured"] - row["reported"]) <= 1, row
    assert {"identity", "ground_truth", "other_voice", "fp32", "int8"} <= set(results["eval"])
    assert (out / "models/metadata.json").exists() and (out / "models-int8/metadata.json").exists()
    assert list((out / "converted/fp32").glob("*.wav"))
    # A second run reuses every finished stage.
    again = subprocess.run([sys.executable, ROOT / "scripts/demo.py", "--quick", "--out", out], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.count("reused") >= 7, again.stdout[-2000:]
