"""The whole chain at tiny size, in process: every student stage and the teacher → export → enrolment →
a valid `.tmrvc_speaker` tied to the exported converter; and the enrolment's own checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tmrvc_core.speaker_file import read_speaker_file
from tmrvc_data.audio_io import write_wav
from tmrvc_export.cli import ExportConfig
from tmrvc_export.cli import main as export
from tmrvc_train.distill.common import DistillConfig
from tmrvc_train.distill.train import main as distill
from tmrvc_train.enroll import EnrollConfig, load_utterances, parse_args
from tmrvc_train.enroll import main as enroll
from tmrvc_train.models import load_checkpoint
from tmrvc_train.teacher.train import TeacherTrainConfig
from tmrvc_train.teacher.train import main as train_teacher

FAST = dict(size="tiny", batch_size=2, segment_frames=24, progress=False, log_every=1, media_every=2, threads=1,
            steps=2, ckpt_every=0)


def test_whole_chain_tiny(train_cache: Path, tmp_path: Path) -> None:
    paths = dict(cache=str(train_cache), out_dir=str(tmp_path), students=str(tmp_path / "students.pt"))
    teacher = str(tmp_path / "teacher.pt")
    for phase in ("speaker", "content", "ir"):
        distill(DistillConfig(phase=phase, teacher=teacher, **paths, **FAST))
    train_teacher(TeacherTrainConfig(teacher=teacher, spectral_from=1, **paths, **FAST))
    for phase in ("vocoder", "A", "B", "vocoder_ft", "zeroshot"):
        # content_warp: phases A and B run with the content encoder hearing warped mel (distill/timbre_warp.py)
        distill(DistillConfig(phase=phase, teacher=teacher, teacher_steps=2, adv_start=0, content_warp=0.15, **paths,
                              **FAST))
    _, info = load_checkpoint(tmp_path / "students.pt")
    done = [p["phase"] for p in info["phases"]]
    assert done == ["speaker", "content", "ir", "vocoder", "A", "B", "vocoder_ft", "zeroshot"]
    assert all(np.isfinite(v) for p in info["phases"] for v in p["last"].values() if isinstance(v, float))
    # the vocoder stages also fit the magnitude itself (the engine's default phase is rebuilt from it)
    assert all("mag_l1" in p["last"] for p in info["phases"] if p["phase"].startswith("vocoder"))
    assert list((tmp_path / "tb").iterdir()), "no TensorBoard events written"

    models = tmp_path / "models"
    export(ExportConfig(models, checkpoint=tmp_path / "students.pt", quiet=True))
    wavs = sorted((train_cache.parent / "wavs").glob("spk_c__*.wav"))
    out = tmp_path / "spk_c.tmrvc_speaker"
    enroll(EnrollConfig(models, out, tuple(wavs), steps=15, voice_source_preset=True, threads=1, content_warp=0.15))
    meta = json.loads((models / "metadata.json").read_text())
    spk = read_speaker_file(out, expected_embed_size=192, expected_model_id=meta["model_id"])
    assert spk.lora_delta.size == meta["lora"]["size"]
    assert abs(float(np.linalg.norm(spk.spk_embed)) - 1.0) < 1e-4
    assert spk.metadata["n_utterances"] == 3 and len(spk.metadata["voice_source_preset"]) == 8
    assert 4.5 < spk.metadata["f0_log_mean"] < 5.7  # spk_c speaks at ~230 Hz (log 5.44)
    assert spk.metadata["enrolment"]["loss_last"] < spk.metadata["enrolment"]["loss_first"]


def test_enrolment_rejects_too_little_audio_and_wrong_folder(train_cache: Path, tmp_path: Path) -> None:
    wavs = sorted((train_cache.parent / "wavs").glob("spk_a__*.wav"))
    with pytest.raises(ValueError, match="utterances or at least"):
        load_utterances(wavs[:2])
    x = np.zeros(100)
    write_wav(tmp_path / "a.wav", x, 24000)
    with pytest.raises(ValueError, match="metadata.json"):
        enroll(EnrollConfig(tmp_path, tmp_path / "o.tmrvc_speaker", tuple(wavs)))
    cfg = parse_args(["--models", "m", "--out", "o.tmrvc_speaker", "a.wav", "b.wav", "--steps", "5",
                      "--content-warp", "0.1"])
    assert cfg.audio == (Path("a.wav"), Path("b.wav")) and cfg.steps == 5 and cfg.content_warp == 0.1
    assert torch.get_num_threads() >= 1
