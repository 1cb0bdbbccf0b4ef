"""Speaker encoder (offline, enrolment): ECAPA-TDNN-like backbone → embedding + zero-shot LoRA delta."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tmrvc_train.models.causal import check_tensor
from tmrvc_train.models.config import SpeakerEncoderConfig


class _ConvBNReLU(nn.Module):
    """Conv1d (same padding) → ReLU → BatchNorm: (B, C_in, T) → (B, C_out, T)."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, kernel, dilation=dilation, padding=(kernel - 1) * dilation // 2)
        self.bn = nn.BatchNorm1d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self.conv(x)))


class _SERes2Block(nn.Module):
    """1×1 → Res2 dilated convs (``scale`` groups) → 1×1 → squeeze-excitation, with a residual: (B, C, T)."""

    def __init__(self, channels: int, kernel: int, dilation: int, scale: int, se_bottleneck: int) -> None:
        super().__init__()
        width = channels // scale
        self.pre = _ConvBNReLU(channels, channels)
        self.res2 = nn.ModuleList(_ConvBNReLU(width, width, kernel, dilation) for _ in range(scale - 1))
        self.post = _ConvBNReLU(channels, channels)
        self.se_down = nn.Conv1d(channels, se_bottleneck, 1)
        self.se_up = nn.Conv1d(se_bottleneck, channels, 1)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.chunk(self.pre(x), self.scale, dim=1)
        outs = [parts[0]]
        prev = None
        for i, conv in enumerate(self.res2):
            inp = parts[i + 1] if prev is None else parts[i + 1] + prev
            prev = conv(inp)
            outs.append(prev)
        h = self.post(torch.cat(outs, dim=1))
        gate = torch.sigmoid(self.se_up(F.relu(self.se_down(h.mean(dim=2, keepdim=True)))))
        return x + h * gate


class _AttentiveStatsPool(nn.Module):
    """Attentive statistics pooling with global context: (B, C, T) → (B, 2C) = weighted mean ⊕ std."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.attn_in = nn.Conv1d(3 * channels, hidden, 1)
        self.attn_out = nn.Conv1d(hidden, channels, 1)

    @staticmethod
    def _stats(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = (x * w).sum(dim=2, keepdim=True)
        std = torch.sqrt(((x - mean) ** 2 * w).sum(dim=2, keepdim=True).clamp(min=1e-5))
        return mean, std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        uniform = torch.ones_like(x[:, :1, :]) / x.shape[2]
        mean, std = self._stats(x, uniform)
        ctx = torch.cat([x, mean.expand_as(x), std.expand_as(x)], dim=1)
        w = torch.softmax(self.attn_out(torch.tanh(self.attn_in(ctx))), dim=2)
        mean, std = self._stats(x, w)
        return torch.cat([mean, std], dim=1).squeeze(2)


class SpeakerEncoder(nn.Module):
    """mel_ref (B, n_mels, T) → spk_embed (B, d_speaker) L2-normalised, lora_delta (B, lora_size)."""

    def __init__(self, cfg: SpeakerEncoderConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or SpeakerEncoderConfig()
        c = self.cfg
        self.stem = _ConvBNReLU(c.n_mels, c.channels, kernel=5)
        self.blocks = nn.ModuleList(
            _SERes2Block(c.channels, c.kernel, d, c.scale, c.se_bottleneck) for d in c.dilations
        )
        mfa = c.channels * len(c.dilations)
        self.mfa = _ConvBNReLU(mfa, mfa)
        self.pool = _AttentiveStatsPool(mfa, c.attention_hidden)
        self.pool_bn = nn.BatchNorm1d(2 * mfa)
        self.embed = nn.Linear(2 * mfa, c.d_speaker)
        self.lora_hidden = nn.Linear(2 * mfa, c.lora_hidden)
        self.lora_out = nn.Linear(c.lora_hidden, c.lora_size)
        nn.init.normal_(self.lora_out.weight, std=c.lora_init_std)
        nn.init.zeros_(self.lora_out.bias)

    def forward(self, mel_ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """mel_ref (B, n_mels, T ≥ 1) → spk_embed (B, d_speaker), lora_delta (B, lora_size)."""
        check_tensor("mel_ref", mel_ref, self.cfg.n_mels)
        if mel_ref.shape[2] < 1:
            raise ValueError(f"mel_ref: expected at least 1 frame, got shape {tuple(mel_ref.shape)}")
        h = self.stem(mel_ref)
        outs = []
        for block in self.blocks:
            h = block(h)
            outs.append(h)
        pooled = self.pool_bn(self.pool(self.mfa(torch.cat(outs, dim=1))))
        emb = F.normalize(self.embed(pooled), dim=1)
        lora = self.lora_out(F.gelu(self.lora_hidden(pooled)))
        return emb, lora
