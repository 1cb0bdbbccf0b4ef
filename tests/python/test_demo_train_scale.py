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
def test_every_recipe_stage_scales_its_steps_and_phase_starts(scale: float) -> None:
    stretched = set()
    for stage in TRAIN_CHAIN:
        config = ROOT / f"configs/demo/{stage}.yaml"
        recipe = yaml.safe_load(config.read_text())
        scaled = scaled_steps(config, scale)
        assert scaled["steps"] == max(1, round(recipe["steps"] * scale)), stage
        for key, value in scaled.items():
            if key != "steps":
                # A phase that starts at step k of n starts at k·scale of n·scale: the same recipe, stretched.
                assert value / scaled["steps"] == pytest.approx(recipe[key] / recipe["steps"], abs=1e-3), (stage, key)
                stretched.add(key)
    # The recipe's phase starts (teacher: spectral losses, room augmentation; vocoder: no GAN until its last step).
    assert {"spectral_from", "augment_from", "adv_start"} <= stretched


def test_phase_starts_that_are_not_step_numbers_stay_as_they_are(tmp_path: Path) -> None:
    config = tmp_path / "stage.yaml"
    config.write_text("steps: 100\nadv_start: 0\nspectral_from: -1\naugment_from: 40\n")
    assert scaled_steps(config, 2.0) == {"steps": 200, "augment_from": 80}
    assert scaled_steps(config, 1.0) == {"steps": 100, "augment_from": 40}


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
