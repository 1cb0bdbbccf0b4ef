"""Vocoder magnitude residual (exact copy of the input magnitude at initialisation) and the phase losses."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from conftest_train import stream_frames
from tmrvc_core import constants as K
from tmrvc_core.dsp import magnitude_phase, stft
from tmrvc_train.losses import CropSTFT, PhaseLoss, anti_wrap
from tmrvc_train.models import Vocoder, VocoderConfig


def _speechlike(n: int, seed: int = 0) -> np.ndarray:
    """A harmonic tone with a gliding F0 plus a little noise: (n,) float64 at 24 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / K.SAMPLE_RATE
    phase = 2 * np.pi * np.cumsum(120 + 40 * np.sin(2 * np.pi * 1.5 * t)) / K.SAMPLE_RATE
    x = sum(np.sin(h * phase) / h for h in range(1, 12))
    return 0.2 * x + 0.01 * rng.standard_normal(n)


def _features(x: np.ndarray) -> torch.Tensor:
    mag, _ = magnitude_phase(x)
    return torch.from_numpy(np.log(np.maximum(mag, K.FEATURE_FLOOR)).astype(np.float32))[None]


def test_residual_vocoder_copies_the_input_magnitude_at_init() -> None:
    torch.manual_seed(0)
    feats = _features(_speechlike(240 * 40))
    voc = Vocoder(VocoderConfig.tiny()).eval()
    with torch.no_grad():
        mag, phase = voc(feats)
        mag_s = stream_frames(voc, feats, voc.init_state(1))
    expected = torch.exp(feats)
    torch.testing.assert_close(mag, expected, rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(mag_s, expected, rtol=1e-5, atol=1e-9)
    assert phase.abs().max() <= math.pi and phase.std() > 0.1  # the phase head is a real, non-trivial output


def test_non_residual_vocoder_does_not_copy_and_residual_head_still_learns() -> None:
    torch.manual_seed(0)
    feats = _features(_speechlike(240 * 20))
    plain = Vocoder(dataclasses.replace(VocoderConfig.tiny(), mag_residual=False, residual_knots_below_hz=0.0))
    with torch.no_grad():
        mag, _ = plain(feats)
    assert (torch.log(mag) - feats).abs().mean() > 1.0
    voc = Vocoder(VocoderConfig.tiny())
    opt = torch.optim.Adam(voc.parameters(), lr=1e-2)
    for _ in range(5):  # pull the magnitude 0.5 nepers up: the zero-initialised head must move
        mag, _ = voc(feats)
        loss = (torch.log(mag) - (feats + 0.5)).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.45


def test_crop_stft_matches_the_engine_analysis() -> None:
    x = _speechlike(240 * 50, seed=1)
    t0, n = 10, 24  # a crop of frames t0 … t0 + n − 1; its wav starts at sample 240 (t0 − 1)
    wav = torch.from_numpy(x[240 * (t0 - 1): 240 * (t0 - 1 + n)].astype(np.float32))[None]
    spec = CropSTFT()(wav)[0].numpy()
    ref = stft(x)[:, t0 + 2: t0 + n - 1]
    assert spec.shape == ref.shape == (K.N_FREQ_BINS, n - 3)
    np.testing.assert_allclose(spec, ref, atol=2e-4 * np.abs(ref).max())
    with pytest.raises(ValueError, match="CropSTFT"):
        CropSTFT()(torch.zeros(1, 1000))


def test_anti_wrap_and_phase_loss_values() -> None:
    x = torch.tensor([0.0, 2 * math.pi - 0.1, -3 * math.pi + 0.2, math.pi])
    torch.testing.assert_close(anti_wrap(x), torch.tensor([0.0, 0.1, math.pi - 0.2, math.pi]), atol=1e-5, rtol=0)
    g = torch.Generator().manual_seed(0)
    phase = (torch.rand(2, 16, 10, generator=g) * 2 - 1) * math.pi
    mag = torch.rand(2, 16, 10, generator=g) + 0.1
    loss = PhaseLoss()
    same = loss(phase + 2 * math.pi * torch.randint(-2, 3, phase.shape, generator=g), phase, mag)
    assert all(v.item() < 1e-5 for v in same.values())
    shifted = loss(phase + 0.3, phase, mag)  # a constant offset: wrong phase, right group delay / frequency
    assert shifted["ip"].item() == pytest.approx(0.3, abs=1e-4)
    assert shifted["gd"].item() < 1e-5 and shifted["if"].item() < 1e-5
    rand = loss((torch.rand(2, 16, 10, generator=g) * 2 - 1) * math.pi, phase, mag)
    assert all(v.item() > 0.8 for v in rand.values())  # random phase: ~π/2 on average
    with pytest.raises(ValueError, match="PhaseLoss"):
        loss(phase, phase[:, :8], mag)
