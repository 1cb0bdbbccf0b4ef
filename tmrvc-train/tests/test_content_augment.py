"""Content-stage augmentation: off is the identity; tilt moves the two ends of the mel range in opposite
directions; the F0 scale keeps unvoiced frames at 0 and scales voiced F0 within the asked range."""

from __future__ import annotations

import math

import torch

from tmrvc_train.distill.content_augment import augment_content_input


def _batch():
    g = torch.Generator().manual_seed(0)
    mel = torch.randn(4, 80, 30, generator=g)
    f0 = torch.where(torch.rand(4, 1, 30, generator=g) > 0.3, torch.log1p(torch.full((4, 1, 30), 150.0)),
                     torch.zeros(4, 1, 30))
    return mel, f0


def test_off_is_identity():
    mel, f0 = _batch()
    m2, f2 = augment_content_input(mel, f0, 0.0, 0.0, 0.0)
    assert torch.equal(m2, mel) and torch.equal(f2, f0)


def test_tilt_and_f0_scale():
    mel, f0 = _batch()
    g = torch.Generator().manual_seed(1)
    m2, f2 = augment_content_input(mel, f0, 0.0, 2.0, 0.25, generator=g)
    d = m2 - mel
    low, high = d[:, 0].mean(dim=1), d[:, -1].mean(dim=1)
    assert torch.all(torch.sign(low) == -torch.sign(high)) and float((high - low).abs().max()) <= 2.0 + 1e-5
    assert torch.equal(f2[f0 == 0], f0[f0 == 0])
    ratio = torch.expm1(f2[f0 > 0]) / 150.0
    assert float(ratio.min()) >= 1 / 1.25 - 1e-4 and float(ratio.max()) <= 1.25 + 1e-4
    assert float(ratio.std()) > 0.01  # different utterances get different scales
    assert not math.isclose(float(ratio.mean()), 1.0, abs_tol=1e-6)
