"""Vocal-tract-length warp of log-mel frames, applied to what the content encoder hears while the converter trains.

Trained on reconstructions only, the converter can copy the speaker's timbre from the content features (they are
computed from that speaker's own mel) instead of taking it from the speaker embedding; at conversion time it then
keeps much of the source voice. Warping the content encoder's input by a random factor per utterance moves the
formants the content still carries, so only the speaker condition tells the converter where they belong.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from tmrvc_core.constants import MEL_FMAX, MEL_FMIN, N_MELS
from tmrvc_core.dsp.mel import hz_to_mel, mel_to_hz

_MEL_EDGES = np.linspace(float(hz_to_mel(MEL_FMIN)), float(hz_to_mel(MEL_FMAX)), N_MELS + 2)
_CENTRES_HZ = mel_to_hz(_MEL_EDGES[1:-1])  # (80,) each band's centre frequency
_MEL_STEP = float(_MEL_EDGES[1] - _MEL_EDGES[0])


def source_positions(alpha: torch.Tensor) -> torch.Tensor:
    """alpha (B,) warp factors → (B, 80) fractional band index each output band reads from: the band whose
    centre is f / alpha, so alpha > 1 moves the spectrum (and its formants) up."""
    centres = torch.as_tensor(_CENTRES_HZ, dtype=torch.float64, device=alpha.device)
    src_hz = centres[None, :] / alpha.to(torch.float64)[:, None]
    src_mel = 2595.0 * torch.log10(1.0 + src_hz / 700.0)
    return ((src_mel - float(_MEL_EDGES[1])) / _MEL_STEP).clamp(0.0, N_MELS - 1.0)


def warp_log_mel(mel: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """mel (B, 80, T) log-mel, alpha (B,) → (B, 80, T): linear interpolation along the band axis (edge bands
    repeat where the warp reads beyond the filterbank)."""
    if mel.ndim != 3 or mel.shape[1] != N_MELS or alpha.shape != mel.shape[:1]:
        raise ValueError(f"expected mel (B, {N_MELS}, T) and alpha (B,), got {tuple(mel.shape)} and "
                         f"{tuple(alpha.shape)}")
    pos = source_positions(alpha).to(mel.dtype)
    lo = pos.floor().long().clamp(max=N_MELS - 2)
    frac = (pos - lo.to(mel.dtype))[:, :, None]
    t = mel.shape[2]
    below = torch.gather(mel, 1, lo[:, :, None].expand(-1, -1, t))
    above = torch.gather(mel, 1, (lo + 1)[:, :, None].expand(-1, -1, t))
    return below + frac * (above - below)


def random_alphas(batch: int, max_warp: float, generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """(batch,) factors log-uniform in [1 / (1 + max_warp), 1 + max_warp]; all 1 when max_warp is 0."""
    if max_warp < 0.0:
        raise ValueError(f"content_warp must be >= 0, got {max_warp}")
    r = math.log1p(max_warp)
    u = torch.rand(batch, generator=generator)
    return torch.exp((2.0 * u - 1.0) * r).to(device)


def content_input(mel: torch.Tensor, max_warp: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """What the content encoder hears: mel (B, 80, T) warped by a fresh factor per utterance, or mel itself when
    max_warp is 0."""
    if max_warp == 0.0:
        return mel
    return warp_log_mel(mel, random_alphas(mel.shape[0], max_warp, generator, mel.device))
