"""`tmrvc-train-teacher`: the non-causal flow-matching teacher on log-mel.

Phases by step: [0, spectral_from) flow matching only; [spectral_from, …) + multi-scale spectral L1 and
speaker-similarity losses on the one-step estimate x̂₁ (weighted by t); from ``augment_from`` on, batches
carry room / EQ / noise augmentation (probability ``augment_p``) with their acoustic labels.
Conditioning comes from the frozen students: content encoder (content), speaker encoder (spk_embed).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tmrvc_data.config import parse_cli
from tmrvc_train.distill.common import adamw, freeze, speaker_condition
from tmrvc_train.losses import speaker_similarity_loss
from tmrvc_train.models import load_checkpoint
from tmrvc_train.teacher.flow import Condition, MelNorm, euler_sample, flow_loss, save_teacher
from tmrvc_train.teacher.unet import TeacherConfig, TeacherUNet
from tmrvc_train.trainers.data import CacheIndex
from tmrvc_train.trainers.loop import CommonConfig, mel_image, run
from tmrvc_train.trainers.runtime import Runtime, autocast, init_runtime, shutdown, unwrap, wrap_ddp
from tmrvc_train.trainers.state import TrainState


@dataclass(frozen=True)
class TeacherTrainConfig(CommonConfig):
    """Settings of `tmrvc-train-teacher`; ``model`` overrides TeacherConfig fields, ``size`` picks the base."""

    students: str = "runs/train/students.pt"
    teacher: str = "runs/train/teacher.pt"
    size: str = "default"
    model: dict = field(default_factory=dict)
    p_uncond: float = 0.1
    spectral_from: int = -1
    spectral_weight: float = 0.5
    speaker_weight: float = 0.1
    sample_steps: int = 8
    guidance: float = 1.0


def multiscale_l1(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Σ over time scales 1, 2, 4 and frequency scales 1, 2 of weighted L1 between (B, 80, T) tensors."""
    total = x.new_zeros(())
    for kt in (1, 2, 4):
        for kf in (1, 2):
            a = F.avg_pool2d(x[:, None], (kf, kt))
            b = F.avg_pool2d(y[:, None], (kf, kt))
            total = total + ((a - b).abs().mean(dim=(1, 2, 3)) * w).mean()
    return total / 6


class TeacherStage:
    needs_audio = False

    def __init__(self, cfg: TeacherTrainConfig, rt: Runtime, index: CacheIndex) -> None:
        self.cfg, self.rt = cfg, rt
        self.students, _ = load_checkpoint(cfg.students)
        for _, m in self.students.items():
            freeze(m.to(rt.device))
        base = TeacherConfig.tiny() if cfg.size == "tiny" else TeacherConfig()
        tcfg = TeacherConfig(**{**base.__dict__, **{k: tuple(v) if isinstance(v, list) else v
                                                    for k, v in cfg.model.items()}})
        torch.manual_seed(cfg.seed)
        self.model = TeacherUNet(tcfg).to(rt.device)
        self.norm = mel_stats(index)
        self.ddp = wrap_ddp(self.model, rt)
        self.state = TrainState(modules={"teacher": self.ddp},
                                optimizers={"teacher": adamw(self.model.parameters(), cfg.lr, (0.9, 0.99))})

    def condition(self, batch: dict[str, torch.Tensor]) -> Condition:
        with torch.no_grad():
            content = self.students.content_encoder(batch["mel"], batch["f0"])
        return Condition(content, batch["f0"], speaker_condition(self.students, batch["ref_mel"]), batch["acoustic"])

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        x1 = self.norm.encode(batch["mel"])
        c = self.condition(batch)
        with autocast(self.rt):
            loss, t, _, x1_hat = flow_loss(self.ddp, x1, c, cfg.p_uncond)
        out = {"flow": loss}
        if 0 <= cfg.spectral_from <= step:
            x1_hat = x1_hat.float()
            spec = multiscale_l1(x1_hat, x1, t)
            emb, _ = self.students.speaker_encoder(self.norm.decode(x1_hat))
            with torch.no_grad():  # the target through the same log floor as the estimate
                target, _ = self.students.speaker_encoder(self.norm.decode(x1))
            spk = speaker_similarity_loss(emb, target)
            loss = loss + cfg.spectral_weight * spec + cfg.speaker_weight * spk
            out.update({"spectral": spec, "speaker": spk})
        opt = self.state.optimizers["teacher"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        opt.step()
        return {"loss": loss, **out}

    def log_media(self, writer: Any, batch: dict[str, torch.Tensor], step: int) -> None:
        c = self.condition({k: v[:1] for k, v in batch.items()})
        self.model.eval()
        x = self.norm.decode(euler_sample(self.model, c, self.cfg.sample_steps, self.cfg.guidance))
        self.model.train()
        writer.add_image("teacher/sample_mel", mel_image(x[0]), step)
        writer.add_image("teacher/target_mel", mel_image(batch["mel"][0]), step)

    def finish(self, out_dir: Path) -> Path:
        if self.rt.is_main:
            info = {"steps": self.state.step, "last": self.state.history[-1] if self.state.history else {}}
            save_teacher(self.cfg.teacher, unwrap(self.ddp).eval(), self.norm, info)
        return Path(self.cfg.teacher)


def mel_stats(index: CacheIndex, max_utts: int = 200) -> MelNorm:
    """Mean and std of clamped log-mel over (up to) ``max_utts`` training utterances (every k-th one)."""
    norm = MelNorm(0.0, 1.0)
    step = max(1, len(index.records) // max_utts)
    vals = [norm.encode(torch.from_numpy(np.array(index.load("mel", i), np.float32))).flatten()
            for i in range(0, len(index.records), step)]
    allv = torch.cat(vals)
    return MelNorm(float(allv.mean()), float(allv.std().clamp(min=1e-3)))


def main(cfg: TeacherTrainConfig) -> Path:
    rt = init_runtime(cfg.device, cfg.amp)
    try:
        index = CacheIndex(cfg.cache, "train")
        stage = TeacherStage(cfg, rt, index)
        stage.model.train()
        return run(stage, cfg, rt, index, "teacher")
    finally:
        shutdown(rt)


def cli(argv: Sequence[str] | None = None) -> int:
    try:
        main(parse_cli(TeacherTrainConfig, argv, __doc__ or ""))
    except ValueError as exc:
        print(f"tmrvc-train-teacher: error: {exc}", file=sys.stderr)
        return 1
    return 0
