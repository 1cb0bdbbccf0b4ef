"""Speaker losses: additive-angular-margin softmax over corpus speakers, and cosine speaker similarity."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class AAMSoftmax(nn.Module):
    """ArcFace-style margin softmax: embeddings (B, D) L2-normalised, labels (B,) → CE with margin m, scale s."""

    def __init__(self, dim: int, n_classes: int, margin: float = 0.2, scale: float = 30.0) -> None:
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"AAMSoftmax: expected at least 2 speakers, got {n_classes}")
        self.weight = nn.Parameter(torch.randn(n_classes, dim) * 0.01)
        self.margin, self.scale = margin, scale

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """→ (loss, accuracy)."""
        cos = F.linear(F.normalize(emb.float(), dim=1), F.normalize(self.weight, dim=1)).clamp(-1 + 1e-6, 1 - 1e-6)
        theta = torch.acos(cos)
        target = torch.cos(theta + self.margin)
        one_hot = F.one_hot(labels, cos.shape[1]).to(cos.dtype)
        logits = self.scale * (one_hot * target + (1 - one_hot) * cos)
        acc = (cos.argmax(dim=1) == labels).float().mean()
        return F.cross_entropy(logits, labels), acc


def speaker_similarity_loss(emb: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 − cos(emb, target), averaged over the batch; emb, target (B, D)."""
    return (1 - F.cosine_similarity(emb.float(), target.float(), dim=1)).mean()


def cosine_warmup(step: int, warmup: int, total: int) -> float:
    """Learning-rate factor: linear warm-up to 1, then cosine decay to 0.1 at ``total``."""
    if step < warmup:
        return (step + 1) / max(warmup, 1)
    frac = min(1.0, (step - warmup) / max(total - warmup, 1))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac))
