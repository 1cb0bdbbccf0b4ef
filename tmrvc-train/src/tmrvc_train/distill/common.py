"""What the student stages share: settings, the students file (load or build), frozen conditioning
(speaker embedding, content), and optimiser construction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tmrvc_train.models import StudentModels, build_students, load_checkpoint, save_checkpoint
from tmrvc_train.models.config import CONFIG_CLASSES, config_from_dict
from tmrvc_train.models.students import _MODEL_CLASSES, MODEL_NAMES
from tmrvc_train.trainers.loop import CommonConfig

PHASES = ("speaker", "content", "ir", "vocoder", "A", "B", "hq", "vocoder_ft", "zeroshot")


@dataclass(frozen=True)
class DistillConfig(CommonConfig):
    """Settings of `tmrvc-distill`. ``students``: the students file read (built when missing) and rewritten;
    ``models``: per-model settings overrides used when the file is built, e.g. {converter: {channels: 128}}."""

    phase: str = "A"
    students: str = "runs/train/students.pt"
    teacher: str = "runs/train/teacher.pt"
    models: dict = field(default_factory=dict)
    size: str = "default"
    # content encoder
    ce_weight: float = 1.0
    content_mse_weight: float = 1.0
    rvq_quantizers: int = 0
    rvq_codebook_size: int = 64
    rvq_commitment: float = 0.25
    content_grad_from_converter: bool = False
    # content stage: what the encoder hears is varied per utterance so its phone posteriors do not lean on one
    # speaker's vocal tract, recording channel or pitch (distill/content_augment.py; 0 = off): vocal-tract warp
    # up to ±content_stage_warp, spectral tilt up to ±content_stage_tilt nepers across the mel range, F0 scaled
    # by up to ±content_stage_f0
    content_stage_warp: float = 0.0
    content_stage_tilt: float = 0.0
    content_stage_f0: float = 0.0
    # converter
    teacher_steps: int = 8
    guidance: float = 1.0
    recon_weight: float = 1.0
    traj_weight: float = 1.0
    dmd_weight: float = 1.0
    stft_weight: float = 1.0
    speaker_weight: float = 0.5
    fake_lr: float = 2e-4
    # the content encoder hears the utterance warped in vocal-tract length by up to ±this (log-uniform per
    # utterance, distill/timbre_warp.py), so the converter takes timbre from the speaker condition (0 = off)
    content_warp: float = 0.0
    # phase hq: L1 between the log-mel of the predicted and the true features (mel bands sum linear magnitudes, so
    # unlike the per-bin log L1 this does not reward a flattened, too quiet spectrum; 0 = off)
    mel_recon_weight: float = 1.0
    # vocoder
    adv_weight: float = 1.0
    fm_weight: float = 2.0
    mel_weight: float = 15.0
    disc_lr: float = 2e-4
    adv_start: int = 0
    phase_weight: float = 1.0  # anti-wrapping phase losses against the crop's own STFT phase (0 = off)
    # L1 between the predicted and the true log-magnitude. The engine synthesises with phase reconstructed from
    # this magnitude by default, so the magnitude must be right by itself, not tuned to the vocoder's own phase.
    mag_weight: float = 5.0
    # speaker encoder
    aam_margin: float = 0.2
    aam_scale: float = 30.0

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"phase: expected one of {PHASES}, got {self.phase!r}")


def build_from_settings(size: str, overrides: dict[str, Any], seed: int) -> StudentModels:
    """Random-init students of ``size`` with per-model overrides; the speaker encoder's LoRA size follows
    the converter's."""
    if not overrides:
        return build_students(size, seed)
    base = build_students(size, seed)
    unknown = sorted(set(overrides) - set(CONFIG_CLASSES))
    if unknown:
        raise ValueError(f"models: unknown model names {unknown}; expected some of {sorted(CONFIG_CLASSES)}")
    cfgs = {}
    for name, m in base.items():
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in m.cfg.__dict__.items()}
        d.update(overrides.get(name, {}))
        cfgs[name] = d
    cfgs["speaker_encoder"]["lora_size"] = config_from_dict("converter", cfgs["converter"]).lora_size
    torch.manual_seed(seed)
    return StudentModels(**{n: _MODEL_CLASSES[n](config_from_dict(n, cfgs[n])) for n in MODEL_NAMES}).eval()


def open_students(cfg: DistillConfig) -> tuple[StudentModels, dict[str, Any]]:
    """Load ``cfg.students`` or build fresh students when it does not exist yet."""
    path = Path(cfg.students)
    if path.is_file():
        return load_checkpoint(path)
    return build_from_settings(cfg.size, cfg.models, cfg.seed), {"phases": []}


def write_students(path: str | Path, students: StudentModels, info: dict[str, Any], phase: str,
                   summary: dict[str, Any]) -> Path:
    """Save the students with the list of finished phases (and their last logged values) in ``training``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    phases = [p for p in info.get("phases", []) if p.get("phase") != phase] + [{"phase": phase, **summary}]
    extra = {k: v for k, v in info.items() if k != "phases"}
    save_checkpoint(path, students, {**extra, "phases": phases})
    return path


def freeze(module: nn.Module) -> nn.Module:
    """eval mode, no gradients."""
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def adamw(params: Any, lr: float, betas: tuple[float, float] = (0.8, 0.99)) -> torch.optim.Optimizer:
    return torch.optim.AdamW([p for p in params if p.requires_grad], lr=lr, betas=betas, weight_decay=0.01)


@torch.no_grad()
def speaker_condition(students: StudentModels, ref_mel: torch.Tensor) -> torch.Tensor:
    """ref_mel (B, 80, R) → spk_embed (B, 192) from the (frozen) speaker encoder."""
    return students.speaker_encoder(ref_mel)[0]
