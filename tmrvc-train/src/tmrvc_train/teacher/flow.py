"""Rectified flow on normalised log-mel: x_t = (1 − t) z + t x₁, velocity target v = x₁ − z (z ~ N(0, I));
an Euler sampler with N steps and optional classifier-free guidance over the speaker/acoustic condition.

Normalisation: m = (clamp(log_mel, log(floor)) − mean) / std with the corpus statistics stored in the
teacher checkpoint (:class:`MelNorm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tmrvc_train.teacher.unet import TeacherConfig, TeacherUNet
from tmrvc_train.trainers.data import FEATURE_FLOOR

TEACHER_FORMAT = "tmrvc-teacher"


@dataclass(frozen=True)
class MelNorm:
    """Scalar statistics of clamped log-mel: normalise (B, 80, T) into the flow's space and back."""

    mean: float = -4.0
    std: float = 3.0

    def encode(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel.clamp(min=float(np.log(FEATURE_FLOOR))) - self.mean) / self.std

    def decode(self, m: torch.Tensor) -> torch.Tensor:
        return m * self.std + self.mean


@dataclass
class Condition:
    """content (B, D, T), f0 (B, 1, T), spk_embed (B, 192), acoustic (B, 32)."""

    content: torch.Tensor
    f0: torch.Tensor
    spk_embed: torch.Tensor
    acoustic: torch.Tensor

    def dropped(self, mask: torch.Tensor) -> "Condition":
        """Zero the speaker and acoustic condition where mask (B,) is True (classifier-free guidance)."""
        keep = (~mask).to(self.spk_embed.dtype)[:, None]
        return Condition(self.content, self.f0, self.spk_embed * keep, self.acoustic * keep)


def velocity(model: nn.Module, x_t: torch.Tensor, t: torch.Tensor, c: Condition) -> torch.Tensor:
    return model(x_t, t, c.content, c.f0, c.spk_embed, c.acoustic)


def flow_loss(model: nn.Module, x1: torch.Tensor, c: Condition, p_uncond: float = 0.1
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """x1 (B, 80, T) normalised mel → (MSE of the velocity, t (B,), x_t, predicted x̂₁ = x_t + (1 − t) v̂)."""
    b = x1.shape[0]
    t = torch.sigmoid(torch.randn(b, device=x1.device))  # logit-normal times favour the middle
    z = torch.randn_like(x1)
    tt = t[:, None, None]
    x_t = (1 - tt) * z + tt * x1
    cond = c.dropped(torch.rand(b, device=x1.device) < p_uncond) if p_uncond > 0 else c
    v = velocity(model, x_t, t, cond)
    loss = torch.mean((v.float() - (x1 - z)) ** 2)
    return loss, t, x_t, x_t + (1 - tt) * v


@torch.no_grad()
def euler_sample(model: nn.Module, c: Condition, steps: int, guidance: float = 1.0,
                 noise: torch.Tensor | None = None) -> torch.Tensor:
    """Integrate dx/dt = v from t = 0 (noise (B, 80, T)) to t = 1 in ``steps`` Euler steps → normalised mel.

    guidance w ≠ 1: v = v_uncond + w (v_cond − v_uncond) (speaker/acoustic condition dropped for v_uncond).
    """
    if steps < 1:
        raise ValueError(f"euler_sample: expected steps >= 1, got {steps}")
    b, n = c.content.shape[0], c.content.shape[-1]
    n_mels = model.cfg.n_mels if hasattr(model, "cfg") else 80
    x = torch.randn(b, n_mels, n, device=c.content.device) if noise is None else noise
    null = c.dropped(torch.ones(b, dtype=torch.bool, device=x.device))
    for i in range(steps):
        t = torch.full((b,), i / steps, device=x.device)
        v = velocity(model, x, t, c)
        if guidance != 1.0:
            v = velocity(model, x, t, null) + guidance * (v - velocity(model, x, t, null))
        x = x + v / steps
    return x


def save_teacher(path: str | Path, model: TeacherUNet, norm: MelNorm, info: dict[str, Any]) -> None:
    from dataclasses import asdict

    cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(model.cfg).items()}
    torch.save({"format": TEACHER_FORMAT, "config": cfg, "state_dict": model.state_dict(),
                "norm": asdict(norm), "info": info}, Path(path))


def load_teacher(path: str | Path) -> tuple[TeacherUNet, MelNorm, dict[str, Any]]:
    """Rebuild the teacher (eval mode) from its checkpoint → (model, norm, info)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"teacher checkpoint: no file at {path}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("format") != TEACHER_FORMAT:
        raise ValueError(f"{path}: expected a {TEACHER_FORMAT!r} checkpoint, got {payload.get('format')!r}")
    cfg = TeacherConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in payload["config"].items()})
    model = TeacherUNet(cfg)
    model.load_state_dict(payload["state_dict"])
    return model.eval(), MelNorm(**payload["norm"]), dict(payload.get("info", {}))
