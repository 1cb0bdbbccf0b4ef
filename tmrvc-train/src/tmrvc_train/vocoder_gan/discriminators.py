"""Multi-period (HiFi-GAN) and multi-resolution (UnivNet) discriminators over waveforms (B, n).

Each returns (logits: list of (B, …) tensors, features: list of per-discriminator lists of activations).
"""

from __future__ import annotations

import abc

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm


class Discriminator(abc.ABC, nn.Module):
    """A set of sub-discriminators: wav (B, n) → (logits list, feature-map lists)."""

    @abc.abstractmethod
    def forward(self, wav: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]: ...


def _stack(chans: list[int], kernel: tuple[int, int], stride: tuple[int, int]) -> nn.ModuleList:
    pad = (kernel[0] // 2, kernel[1] // 2)
    return nn.ModuleList(weight_norm(nn.Conv2d(a, b, kernel, stride, pad)) for a, b in zip(chans[:-1], chans[1:]))


class _PeriodDisc(nn.Module):
    def __init__(self, period: int, channels: int) -> None:
        super().__init__()
        self.period = period
        self.convs = _stack([1, channels, 2 * channels, 4 * channels, 4 * channels], (5, 1), (3, 1))
        self.post = weight_norm(nn.Conv2d(4 * channels, 1, (3, 1), 1, (1, 0)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, n = x.shape
        pad = (-n) % self.period
        x = F.pad(x, (0, pad), mode="reflect" if pad < n else "constant")
        h = x.view(b, 1, -1, self.period)
        feats = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.1)
            feats.append(h)
        return self.post(h).flatten(1), feats


class MultiPeriodDiscriminator(Discriminator):
    def __init__(self, periods: tuple[int, ...] = (2, 3, 5, 7, 11), channels: int = 16) -> None:
        super().__init__()
        self.discs = nn.ModuleList(_PeriodDisc(p, channels) for p in periods)

    def forward(self, wav: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        outs = [d(wav) for d in self.discs]
        return [o[0] for o in outs], [o[1] for o in outs]


class _ResolutionDisc(nn.Module):
    def __init__(self, n_fft: int, hop: int, channels: int) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.convs = nn.ModuleList([
            weight_norm(nn.Conv2d(1, channels, (7, 5), (1, 2), (3, 2))),
            weight_norm(nn.Conv2d(channels, channels, (5, 3), (1, 2), (2, 1))),
            weight_norm(nn.Conv2d(channels, channels, (5, 3), (1, 2), (2, 1))),
            weight_norm(nn.Conv2d(channels, channels, (3, 3), (1, 1), (1, 1))),
        ])
        self.post = weight_norm(nn.Conv2d(channels, 1, (3, 3), 1, (1, 1)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = torch.stft(x.float(), self.n_fft, self.hop, window=self.window, return_complex=True).abs()
        h = torch.log1p(spec)[:, None].transpose(2, 3)  # (B, 1, frames, bins)
        feats = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.1)
            feats.append(h)
        return self.post(h).flatten(1), feats


class MultiResolutionDiscriminator(Discriminator):
    def __init__(self, resolutions: tuple[tuple[int, int], ...] = ((512, 128), (1024, 256), (256, 64)),
                 channels: int = 16) -> None:
        super().__init__()
        self.discs = nn.ModuleList(_ResolutionDisc(n, h, channels) for n, h in resolutions)

    def forward(self, wav: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        outs = [d(wav) for d in self.discs]
        return [o[0] for o in outs], [o[1] for o in outs]


class CombinedDiscriminator(nn.Module):
    """MPD + MRD as one module: wav (B, n) → concatenated logits and feature lists."""

    def __init__(self, channels: int = 16) -> None:
        super().__init__()
        self.mpd = MultiPeriodDiscriminator(channels=channels)
        self.mrd = MultiResolutionDiscriminator(channels=channels)

    def forward(self, wav: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        a, fa = self.mpd(wav)
        b, fb = self.mrd(wav)
        return a + b, fa + fb
