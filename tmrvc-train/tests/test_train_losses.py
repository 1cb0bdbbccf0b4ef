"""Losses, the engine iSTFT in torch, RVQ and discriminators, against independent references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tmrvc_core import constants as K
from tmrvc_core.dsp import istft_ola, log_mel, magnitude_phase
from tmrvc_train.distill.rvq import EMAQuantizer, ResidualVQ
from tmrvc_train.losses import (AAMSoftmax, EngineISTFT, FeaturesToMel, MultiResolutionSTFTLoss, WaveMelLoss,
                                discriminator_loss, feature_matching_loss, generator_loss)
from tmrvc_train.trainers.data import FEATURE_FLOOR, features_from_mag
from tmrvc_train.vocoder_gan import CombinedDiscriminator


def test_engine_istft_matches_core_reference_and_reconstructs() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(K.HOP_LENGTH * 20)
    mag, phase = magnitude_phase(x)
    ref = istft_ola(mag, phase)
    got = EngineISTFT()(torch.tensor(mag[None], dtype=torch.float32), torch.tensor(phase[None], dtype=torch.float32))
    assert got.shape == (1, ref.size)
    assert np.abs(got[0].numpy() - ref).max() < 1e-4
    # analysis → synthesis: output j reconstructs input j − hop
    assert np.abs(got[0].numpy()[K.HOP_LENGTH:] - x[: ref.size - K.HOP_LENGTH]).max() < 1e-4


def test_features_to_mel_matches_core_log_mel() -> None:
    rng = np.random.default_rng(1)
    mag, _ = magnitude_phase(rng.standard_normal(K.HOP_LENGTH * 8) * 0.1)
    feats = torch.from_numpy(features_from_mag(mag))[None]
    got = FeaturesToMel()(feats)[0].numpy()
    ref = log_mel(np.maximum(mag, FEATURE_FLOOR))
    assert np.abs(got - ref).max() < 1e-3


def test_spectral_losses_zero_on_identity_and_positive_otherwise() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 4800)
    y = (x + 0.3 * torch.randn_like(x)).requires_grad_(True)
    mr, ml = MultiResolutionSTFTLoss(), WaveMelLoss()
    assert float(mr(x, x)) < 1e-5 and float(ml(x, x)) < 1e-6
    loss = mr(y, x) + ml(y, x)
    loss.backward()
    assert float(loss.detach()) > 0.05 and y.grad is not None and torch.isfinite(y.grad).all()
    with pytest.raises(ValueError, match="waveforms"):
        mr(x, x[:, :100])


def test_gan_losses_known_values() -> None:
    ones, zeros = [torch.ones(3, 4)], [torch.zeros(3, 4)]
    assert float(discriminator_loss(ones, zeros)) == 0.0
    assert float(discriminator_loss(zeros, ones)) == 2.0
    assert float(generator_loss(ones)) == 0.0 and float(generator_loss(zeros)) == 1.0
    feats = [[torch.ones(2, 3), torch.zeros(2, 5)]]
    assert float(feature_matching_loss(feats, feats)) == 0.0
    assert float(feature_matching_loss(feats, [[torch.zeros(2, 3), torch.zeros(2, 5)]])) == 0.5


def test_discriminators_shapes_and_gradients() -> None:
    d = CombinedDiscriminator(channels=4)
    wav = torch.randn(2, 4800, requires_grad=True)
    logits, feats = d(wav)
    assert len(logits) == 8 and len(feats) == 8  # 5 periods + 3 resolutions
    generator_loss(logits).backward()
    assert wav.grad is not None and float(wav.grad.abs().sum()) > 0


def test_aam_softmax_learns_separable_speakers() -> None:
    torch.manual_seed(0)
    centres = torch.nn.functional.normalize(torch.randn(4, 16), dim=1)
    labels = torch.arange(4).repeat(8)
    emb = centres[labels] + 0.05 * torch.randn(32, 16)
    aam = AAMSoftmax(16, 4)
    opt = torch.optim.Adam(aam.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss, acc = aam(emb, labels)
        first = float(loss.detach()) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.5 * first and float(acc) == 1.0
    with pytest.raises(ValueError, match="at least 2"):
        AAMSoftmax(16, 1)


def test_rvq_ema_keeps_perplexity_and_replaces_dead_codes() -> None:
    torch.manual_seed(0)
    rvq = ResidualVQ(8, n_quantizers=2, size=32).train()
    data = torch.randn(16, 8, 64)
    for _ in range(30):
        q, commit, codes, ppl = rvq(data)
    assert q.shape == data.shape and codes.shape == (16, 2, 64)
    assert all(float(p) >= 10 for p in ppl), ppl
    assert float(commit.detach()) < float(rvq.commitment * data.pow(2).mean())
    # straight-through: gradients reach the input
    x = data.clone().requires_grad_(True)
    rvq(x)[0].sum().backward()
    assert torch.allclose(x.grad, torch.ones_like(x))
    # a code nobody uses is replaced by an input vector
    layer = EMAQuantizer(4, 8).train()
    layer.codebook[3] = 1e3
    layer.ema_sum[3] = 1e3
    layer.ema_count[3] = 1e-3
    x = torch.randn(256, 4)
    layer(x)
    assert float(layer.codebook[3].abs().max()) < 100


def test_room_labels_reach_the_estimator_in_its_layout() -> None:
    from tmrvc_train.models import acoustic_param_ranges
    from tmrvc_train.trainers.data import dry_room_labels

    lo, hi = acoustic_param_ranges()
    dry = np.concatenate([dry_room_labels(), np.full(8, 0.05)])
    assert np.all(dry >= lo.numpy() - 1e-6) and np.all(dry <= hi.numpy() + 1e-6)
    assert np.allclose(dry[0:8], 0.05) and np.allclose(dry[8:16], 30.0) and np.allclose(dry[16:24], 0.0)
