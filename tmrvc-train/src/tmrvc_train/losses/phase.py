"""Direct phase supervision for the vocoder (anti-wrapping losses in the manner of APNet, Ai & Ling 2023).

The vocoder predicts the phase of the engine's own analysis frames, so the target is exact: the causal STFT
(docs/dsp-and-streaming.md) of the training crop's waveform. Three magnitude-weighted anti-wrapping terms:
instantaneous phase (φ̂ − φ), group delay (its difference along frequency) and instantaneous frequency (its
difference along time). The last two are what the overlap-add needs to be consistent from frame to frame.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tmrvc_core import constants as K
from tmrvc_core.dsp import analysis_window

# Frames of a crop whose whole analysis window lies inside its waveform (wav[j] = x[240 (t0 − 1) + j]):
# frame t ends at wav index 240 (t + 2), so frames FIRST_FULL_FRAME … T − 2 are computable from the crop.
FIRST_FULL_FRAME = K.WINDOW_LENGTH // K.HOP_LENGTH - 2


def anti_wrap(x: torch.Tensor) -> torch.Tensor:
    """|x − 2π round(x / 2π)|: the distance of a phase difference to the nearest multiple of 2π, in [0, π]."""
    return torch.abs(x - 2 * math.pi * torch.round(x / (2 * math.pi)))


class CropSTFT(nn.Module):
    """wav (B, 240 T) of a training crop → complex STFT (B, 513, T − 3) of its frames 2 … T − 2, computed as
    ``tmrvc_core.dsp.stft`` does (periodic Hann 960, zero-padded to 1024)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.from_numpy(analysis_window()).float(), persistent=False)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        if wav.dim() != 2 or wav.shape[1] % K.HOP_LENGTH or wav.shape[1] < K.WINDOW_LENGTH:
            raise ValueError(f"CropSTFT: expected wav (B, 240 T) with T >= 4, got {tuple(wav.shape)}")
        frames = wav.float().unfold(-1, K.WINDOW_LENGTH, K.HOP_LENGTH) * self.window  # (B, T − 3, 960)
        return torch.fft.rfft(frames, n=K.N_FFT, dim=-1).transpose(1, 2)


class PhaseLoss(nn.Module):
    """Anti-wrapping phase losses. phase_hat, phase, mag: (B, 513, T) → dict of scalars ``ip``, ``gd``, ``if``.

    Each term is a weighted mean with weights = mag / mean(mag) (bins without energy carry no phase)."""

    def forward(self, phase_hat: torch.Tensor, phase: torch.Tensor, mag: torch.Tensor) -> dict[str, torch.Tensor]:
        if not (phase_hat.shape == phase.shape == mag.shape) or phase.dim() != 3:
            raise ValueError(f"PhaseLoss: expected three (B, F, T) tensors of one shape, got "
                             f"{tuple(phase_hat.shape)}, {tuple(phase.shape)}, {tuple(mag.shape)}")
        w = mag.float().detach()
        w = w / w.mean().clamp(min=1e-8)
        d = phase_hat.float() - phase.float()
        w_f = torch.sqrt(w[:, 1:] * w[:, :-1])
        w_t = torch.sqrt(w[..., 1:] * w[..., :-1])
        return {"ip": (w * anti_wrap(d)).mean(),
                "gd": (w_f * anti_wrap(d[:, 1:] - d[:, :-1])).sum() / w_f.sum().clamp(min=1e-8),
                "if": (w_t * anti_wrap(d[..., 1:] - d[..., :-1])).sum() / w_t.sum().clamp(min=1e-8)}
