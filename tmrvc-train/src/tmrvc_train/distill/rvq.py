"""Residual vector quantiser with EMA codebooks, dead-code replacement and a commitment loss.

x (B, D, T) → (quantised (B, D, T) with straight-through gradients, commitment loss, codes (B, Q, T),
per-quantiser perplexity (Q,)). Codebooks are buffers updated by exponential moving averages in training
mode; a code used less than ``dead_threshold`` (EMA count) is replaced by a random current input vector.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class EMAQuantizer(nn.Module):
    """One codebook (K, D) with EMA updates."""

    def __init__(self, dim: int, size: int, decay: float = 0.99, dead_threshold: float = 0.5) -> None:
        super().__init__()
        if size < 2:
            raise ValueError(f"codebook size: expected >= 2, got {size}")
        self.decay, self.dead_threshold = decay, dead_threshold
        self.register_buffer("codebook", torch.randn(size, dim) * 0.1)
        self.register_buffer("ema_count", torch.ones(size))
        self.register_buffer("ema_sum", self.codebook.clone())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (N, D) → (quantised (N, D), codes (N,), perplexity ())."""
        dist = (x.pow(2).sum(1, keepdim=True) - 2 * x @ self.codebook.T + self.codebook.pow(2).sum(1)[None])
        codes = dist.argmin(dim=1)
        onehot = F.one_hot(codes, self.codebook.shape[0]).type_as(x)
        probs = onehot.mean(0)
        perplexity = torch.exp(-(probs * torch.log(probs + 1e-10)).sum())
        if self.training:
            self._update(x.detach(), onehot)
        return self.codebook[codes], codes, perplexity

    @torch.no_grad()
    def _update(self, x: torch.Tensor, onehot: torch.Tensor) -> None:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            stats = torch.cat([onehot.sum(0)[:, None], onehot.T @ x], dim=1)
            torch.distributed.all_reduce(stats)
            stats /= torch.distributed.get_world_size()
            counts, sums = stats[:, 0], stats[:, 1:]
        else:
            counts, sums = onehot.sum(0), onehot.T @ x
        self.ema_count.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        self.codebook.copy_(self.ema_sum / self.ema_count.clamp(min=1e-5)[:, None])
        dead = self.ema_count < self.dead_threshold
        if dead.any():
            idx = torch.randint(0, x.shape[0], (int(dead.sum()),), device=x.device)
            self.codebook[dead] = x[idx]
            self.ema_sum[dead] = x[idx]
            self.ema_count[dead] = 1.0
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                for buf in (self.codebook, self.ema_sum, self.ema_count):
                    torch.distributed.broadcast(buf, 0)  # ranks saw different inputs: rank 0's choice wins


class ResidualVQ(nn.Module):
    """Q quantisers applied to successive residuals."""

    def __init__(self, dim: int, n_quantizers: int, size: int, commitment: float = 0.25) -> None:
        super().__init__()
        if n_quantizers < 1:
            raise ValueError(f"n_quantizers: expected >= 1, got {n_quantizers}")
        self.layers = nn.ModuleList(EMAQuantizer(dim, size) for _ in range(n_quantizers))
        self.commitment = commitment

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        b, d, t = x.shape
        flat = x.transpose(1, 2).reshape(-1, d)
        residual, quant = flat, torch.zeros_like(flat)
        codes, ppl = [], []
        for layer in self.layers:
            q, c, p = layer(residual)
            quant = quant + q
            residual = residual - q
            codes.append(c.view(b, t))
            ppl.append(p)
        commit = self.commitment * F.mse_loss(flat, quant.detach())
        out = flat + (quant - flat).detach()
        return out.view(b, t, d).transpose(1, 2), commit, torch.stack(codes, 1), torch.stack(ppl)
