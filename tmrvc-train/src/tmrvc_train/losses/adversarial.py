"""Least-squares GAN losses and feature matching over lists of discriminator outputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN: mean over discriminators of E[(1 − D(real))²] + E[D(fake)²]."""
    if len(real) != len(fake) or not real:
        raise ValueError(f"expected equal, non-empty output lists, got {len(real)} and {len(fake)}")
    return sum(torch.mean((1 - r.float()) ** 2) + torch.mean(f.float() ** 2) for r, f in zip(real, fake)) / len(real)


def generator_loss(fake: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN: mean over discriminators of E[(1 − D(fake))²]."""
    if not fake:
        raise ValueError("expected a non-empty list of discriminator outputs")
    return sum(torch.mean((1 - f.float()) ** 2) for f in fake) / len(fake)


def feature_matching_loss(real_feats: list[list[torch.Tensor]], fake_feats: list[list[torch.Tensor]]) -> torch.Tensor:
    """Mean L1 between the hidden activations of real (detached) and fake inputs, over all layers."""
    terms = [F.l1_loss(f.float(), r.detach().float()) for rs, fs in zip(real_feats, fake_feats) for r, f in zip(rs, fs)]
    if not terms:
        raise ValueError("expected discriminator feature maps, got none")
    return sum(terms) / len(terms)
