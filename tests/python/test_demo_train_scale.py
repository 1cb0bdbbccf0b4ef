"""`make demo TRAIN_SCALE=K`: every training stage's recipe steps times K, and a folder trained at another scale is
refused rather than silently reused (its models would be reported under the wrong budget)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_stages import StageError  # noqa: E402
from demo_training import TRAIN_CHAIN, scaled_steps  # noqa: E402


@pytest.mark.parametrize("scale", [0.5, 2.0, 3.0])
def test_every_recipe_stage_scales_its_own_steps(scale: float) -> None:
    for stage in TRAIN_CHAIN:
        config = ROOT / f"configs/demo/{stage}.yaml"
        recipe = yaml.safe_load(config.read_text())["steps"]
        assert scaled_steps(config, scale) == max(1, round(recipe * scale)), stage
    assert scaled_steps(ROOT / "configs/demo/A.yaml", 1.0) == yaml.safe_load((ROOT / "configs/demo/A.yaml").read_text())["steps"]


def test_a_config_without_steps_is_named_in_the_error(tmp_path: Path) -> None:
    bad = tmp_path / "stage.yaml"
    bad.write_text("lr: 1.0e-3\n")
    with pytest.raises(StageError, match="stage.yaml"):
        scaled_steps(bad, 2.0)


def run_demo(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, ROOT / "scripts/demo.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_a_folder_trained_at_another_scale_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".stages").mkdir()
    (tmp_path / ".stages/train.json").write_text(json.dumps({"train_scale": 1.0, "seconds": 1.0}))
    proc = run_demo("--train-scale", 2, "--out", tmp_path)
    assert proc.returncode != 0
    assert "--train-scale 1.0" in proc.stderr and "another --out" in proc.stderr, proc.stderr[-2000:]


def test_a_non_positive_scale_is_refused(tmp_path: Path) -> None:
    proc = run_demo("--train-scale", 0, "--out", tmp_path)
    assert proc.returncode == 2 and "must be > 0" in proc.stderr, proc.stderr[-2000:]
