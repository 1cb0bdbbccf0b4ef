"""What the content encoder hears while it learns to name phones, varied per utterance (issue 18, step 4).

Trained on a handful of real voices, the encoder's posteriors come to depend on those voices' vocal tracts,
microphones and pitch, and it names the phones of an unseen voice badly. Each utterance of a batch gets its own
vocal-tract warp (timbre_warp.warp_log_mel), a spectral tilt (a straight line across the mel bands added to the
log-mel: a brighter or duller channel) and an F0 scale; the phone labels do not change with any of them.
"""

from __future__ import annotations

import torch

from tmrvc_train.distill.timbre_warp import random_alphas, warp_log_mel


def augment_content_input(mel: torch.Tensor, f0: torch.Tensor, warp: float, tilt: float, f0_scale: float,
                          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """mel (B, 80, T) log-mel, f0 (B, 1, T) as log(f0 + 1) (0 = unvoiced) → the same, varied per utterance."""
    b = mel.shape[0]
    if warp > 0.0:
        mel = warp_log_mel(mel, random_alphas(b, warp, generator, mel.device).to(mel.dtype))
    if tilt > 0.0:
        slope = (2.0 * torch.rand(b, generator=generator) - 1.0).to(mel) * tilt
        ramp = torch.linspace(-0.5, 0.5, mel.shape[1], device=mel.device, dtype=mel.dtype)
        mel = mel + slope[:, None, None] * ramp[None, :, None]
    if f0_scale > 0.0:
        scale = random_alphas(b, f0_scale, generator, f0.device).to(f0.dtype)[:, None, None]
        voiced = f0 > 0
        f0 = torch.where(voiced, torch.log1p(torch.expm1(f0) * scale), f0)
    return mel, f0
