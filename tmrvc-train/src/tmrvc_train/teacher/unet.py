"""Non-causal teacher: a 1-D U-Net over time on (normalised) log-mel, conditioned by cross-attention to the
content features and FiLM from (time, speaker, acoustic params) per utterance and from F0 per frame.

Shapes: x_t (B, n_mels, T), t (B,), content (B, d_content, T), f0 (B, 1, T) (log(f0+1), 0 = unvoiced),
spk_embed (B, d_speaker), acoustic (B, n_acoustic) → velocity (B, n_mels, T). T is padded internally to a
multiple of 2^(levels − 1) and cropped back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tmrvc_core import constants as K


@dataclass(frozen=True)
class TeacherConfig:
    n_mels: int = K.N_MELS
    d_content: int = K.D_CONTENT
    d_speaker: int = K.D_SPEAKER
    n_acoustic_params: int = K.N_ACOUSTIC_PARAMS
    channels: tuple[int, ...] = (128, 192, 256)
    blocks_per_level: int = 2
    attention_heads: int = 4
    time_dim: int = 128
    kernel: int = 5

    def __post_init__(self) -> None:
        if len(self.channels) < 1 or any(c < 1 or c % self.attention_heads for c in self.channels):
            raise ValueError(f"TeacherConfig: expected channels divisible by attention_heads="
                             f"{self.attention_heads}, got {self.channels}")

    @classmethod
    def tiny(cls) -> "TeacherConfig":
        return cls(channels=(16, 32), blocks_per_level=1, attention_heads=2, time_dim=16)


def time_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """t (B,) in [0, 1] → sinusoidal (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    ang = 1000.0 * t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)


class ResFiLMBlock(nn.Module):
    """GroupNorm → FiLM (utterance γ,β + per-frame F0 γ,β) → SiLU → conv, twice, residual: (B, C, T)."""

    def __init__(self, c_in: int, c_out: int, d_cond: int, kernel: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(min(8, c_in), c_in)
        self.conv1 = nn.Conv1d(c_in, c_out, kernel, padding=kernel // 2)
        self.norm2 = nn.GroupNorm(min(8, c_out), c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, kernel, padding=kernel // 2)
        self.film = nn.Linear(d_cond, 2 * c_out)
        self.f0_film = nn.Conv1d(1, 2 * c_out, 3, padding=1)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, f0: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        g, b = (self.film(cond)[:, :, None] + self.f0_film(f0)).chunk(2, dim=1)
        h = F.silu(self.norm2(h) * (1 + g) + b)
        return self.skip(x) + self.conv2(h)


class CrossAttention(nn.Module):
    """Queries from the U-Net (B, C, T), keys/values from content (B, d_content, Tc) → residual (B, C, T)."""

    def __init__(self, channels: int, d_content: int, heads: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(min(8, channels), channels)
        self.kv = nn.Linear(d_content, channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)
        nn.init.zeros_(self.attn.out_proj.weight)
        nn.init.zeros_(self.attn.out_proj.bias)

    def forward(self, x: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
        n_q, n_k = x.shape[-1], content.shape[-1]
        stride = max(1, n_k // n_q)
        ch = x.shape[1]
        pos_k = positions(torch.arange(n_k, device=x.device, dtype=torch.float32), ch)
        pos_q = positions(torch.arange(n_q, device=x.device, dtype=torch.float32) * stride + (stride - 1) / 2, ch)
        q = self.norm(x).transpose(1, 2) + pos_q
        kv = self.kv(content.transpose(1, 2)) + pos_k
        out, _ = self.attn(q, kv, kv, need_weights=False)
        return x + out.transpose(1, 2)


def positions(frames: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal positions (1, n, dim) of frame indices (n,), so attention can align by time."""
    return time_embedding(frames / 1000.0, dim)[None]


class TeacherUNet(nn.Module):
    """Velocity field v(x_t, t | content, f0, spk, acoustic) of the rectified flow on normalised log-mel."""

    def __init__(self, cfg: TeacherConfig | None = None) -> None:
        super().__init__()
        self.cfg = c = cfg or TeacherConfig()
        d_cond = c.time_dim
        self.cond = nn.Sequential(nn.Linear(c.time_dim + c.d_speaker + c.n_acoustic_params, d_cond), nn.SiLU(),
                                  nn.Linear(d_cond, d_cond))
        self.inp = nn.Conv1d(c.n_mels, c.channels[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.down_attn = nn.ModuleList()
        prev = c.channels[0]
        for ch in c.channels:
            self.down.append(nn.ModuleList(ResFiLMBlock(prev if i == 0 else ch, ch, d_cond, c.kernel)
                                           for i in range(c.blocks_per_level)))
            self.down_attn.append(CrossAttention(ch, c.d_content, c.attention_heads))
            prev = ch
        self.up = nn.ModuleList()
        for ch, skip in zip(reversed(c.channels[:-1]), reversed(c.channels[:-1])):
            self.up.append(nn.ModuleList(ResFiLMBlock(prev + skip if i == 0 else ch, ch, d_cond, c.kernel)
                                         for i in range(c.blocks_per_level)))
            prev = ch
        self.out_norm = nn.GroupNorm(min(8, prev), prev)
        self.out = nn.Conv1d(prev, c.n_mels, 3, padding=1)

    def _blocks(self, blocks: nn.ModuleList, h: torch.Tensor, cond: torch.Tensor, f0: torch.Tensor) -> torch.Tensor:
        for blk in blocks:
            h = blk(h, cond, f0)
        return h

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, content: torch.Tensor, f0: torch.Tensor,
                spk_embed: torch.Tensor, acoustic: torch.Tensor) -> torch.Tensor:
        c = self.cfg
        if x_t.dim() != 3 or x_t.shape[1] != c.n_mels or content.shape[-1] != x_t.shape[-1]:
            raise ValueError(f"teacher: expected x_t (B, {c.n_mels}, T) and content (B, {c.d_content}, T), got "
                             f"{tuple(x_t.shape)} and {tuple(content.shape)}")
        n = x_t.shape[-1]
        mult = 2 ** (len(c.channels) - 1)
        pad = (-n) % mult
        x, f0p = F.pad(x_t, (0, pad)), F.pad(f0, (0, pad))
        cont = F.pad(content, (0, pad))
        cond = self.cond(torch.cat([time_embedding(t, c.time_dim), spk_embed, acoustic], dim=1))
        h, skips, f0s = self.inp(x), [], [f0p]
        for level, (blocks, attn) in enumerate(zip(self.down, self.down_attn)):
            if level > 0:
                h, f0p = F.avg_pool1d(h, 2), F.avg_pool1d(f0p, 2)
                f0s.append(f0p)
            h = self._blocks(blocks, h, cond, f0p)
            h = attn(h, cont)
            skips.append(h)
        for blocks in self.up:
            skips.pop()
            f0s.pop()
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = self._blocks(blocks, torch.cat([h, skips[-1]], dim=1), cond, f0s[-1])
        return self.out(F.silu(self.out_norm(h)))[..., :n]
