"""Vocoder magnitude residual drawn through frequency knots below residual_knots_below_hz (per bin above)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from conftest_train import stream_frames
from tmrvc_core import constants as K
from tmrvc_train.models import Vocoder, VocoderConfig
from tmrvc_train.models.harmonic import envelope_basis, envelope_knots

CUT_HZ = 2500.0


def _knotted(cut: float = CUT_HZ) -> Vocoder:
    torch.manual_seed(1)
    voc = Vocoder(dataclasses.replace(VocoderConfig.tiny(), residual_knots_below_hz=cut)).eval()
    with torch.no_grad():  # a trained-looking head: random, not zero
        voc.mag_head.weight.normal_(0.0, 0.3)
        voc.mag_head.bias.normal_(0.0, 0.3)
    return voc


def _residual(voc: Vocoder, feats: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        mag, _ = voc(feats)
    return (torch.log(mag) - feats)[0].numpy().astype(np.float64)  # (513, T)


def _out_of_knot_space(residual: np.ndarray, n_low: int) -> float:
    """Energy fraction of the low bins' residual that piecewise-linear curves through the knots cannot hold."""
    basis = envelope_basis(envelope_knots(150.0, 0.06, (n_low - 1) * K.SAMPLE_RATE / K.N_FFT), n_low).numpy()
    low = residual[:n_low]
    coef, *_ = np.linalg.lstsq(basis.T.astype(np.float64), low, rcond=None)
    return float(np.sum((low - basis.T @ coef) ** 2) / np.sum(low ** 2))


def test_low_band_residual_lies_on_the_knots_and_the_high_band_stays_per_bin() -> None:
    feats = 0.5 * torch.randn(1, K.N_FREQ_BINS, 12) - 4.0
    voc = _knotted()
    n_low = voc.n_knotted_bins
    assert n_low == int(np.ceil(CUT_HZ / (K.SAMPLE_RATE / K.N_FFT)))
    residual = _residual(voc, feats)
    assert _out_of_knot_space(residual, n_low) < 1e-8
    # control: a per-bin head's residual is far outside that space, and the knotted vocoder's high band is per bin
    per_bin = Vocoder(dataclasses.replace(VocoderConfig.tiny(), residual_knots_below_hz=0.0)).eval()
    with torch.no_grad():
        per_bin.mag_head.weight.normal_(0.0, 0.3)
        per_bin.mag_head.bias.normal_(0.0, 0.3)
    assert _out_of_knot_space(_residual(per_bin, feats), n_low) > 0.3
    high = residual[n_low:]
    assert np.mean(np.abs(np.diff(high, n=2, axis=0))) > 0.1  # bin-to-bin detail a knotted curve could not draw


def test_knotted_residual_starts_as_an_exact_copy_and_streams_like_the_whole_sequence() -> None:
    torch.manual_seed(0)
    feats = 0.5 * torch.randn(1, K.N_FREQ_BINS, 16) - 4.0
    fresh = Vocoder(dataclasses.replace(VocoderConfig.tiny(), residual_knots_below_hz=CUT_HZ)).eval()
    with torch.no_grad():
        mag, _ = fresh(feats)
    torch.testing.assert_close(torch.log(mag), feats, rtol=0, atol=1e-5)
    voc = _knotted()
    with torch.no_grad():
        whole, _ = voc(feats)
        streamed = stream_frames(voc, feats, voc.init_state(1))
    torch.testing.assert_close(streamed, whole, rtol=1e-5, atol=1e-7)


def test_default_is_knotted_and_old_checkpoints_stay_per_bin() -> None:
    from tmrvc_train.models.config import config_from_dict

    assert VocoderConfig().residual_knots_below_hz == CUT_HZ
    old = config_from_dict("vocoder", {"channels": 32, "hidden": 64, "dilations": [1, 2], "mag_residual": True})
    assert old.residual_knots_below_hz == 0.0  # a checkpoint written before the setting was trained per bin


def test_knotted_residual_is_validated() -> None:
    with pytest.raises(ValueError, match="residual_knots_below_hz must be in"):
        VocoderConfig(residual_knots_below_hz=-1.0)
    with pytest.raises(ValueError, match="needs mag_residual"):
        VocoderConfig(residual_knots_below_hz=CUT_HZ, mag_residual=False)
    with pytest.raises(ValueError, match="residual_knot_spacing_hz"):
        VocoderConfig(residual_knots_below_hz=CUT_HZ, residual_knot_spacing_hz=0.0)
