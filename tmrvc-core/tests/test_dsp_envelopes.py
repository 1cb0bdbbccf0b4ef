"""The speaker bank's envelope estimate: drawn back through the converter's harmonic-plus-noise formula, the
estimated (H, N) of a synthetic vowel give back its harmonic peaks; knot values round-trip through the basis."""

from __future__ import annotations

import numpy as np
import pytest

from tmrvc_core import constants as K
from tmrvc_core.dsp import magnitude_phase
from tmrvc_core.dsp.envelopes import BIN_HZ, bank_values, frame_envelopes, knot_basis


def _vowel(f0: float, seconds: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * K.SAMPLE_RATE)) / K.SAMPLE_RATE
    x = np.zeros_like(t)
    for h in range(1, int(11000 / f0)):
        f = h * f0
        db = -10 * np.log10(1 + ((f - 700) / 150) ** 2) - 6 * np.log10(1 + ((f - 1800) / 200) ** 2) - 3 * f / 1000
        x += 10 ** (db / 20) * np.cos(2 * np.pi * f * t + 0.3 * h * h)
    rng = np.random.default_rng(0)
    return 0.05 * x / np.abs(x).max() + 1e-4 * rng.standard_normal(len(t))


def _comb(f0: float) -> np.ndarray:
    freqs = np.arange(K.N_FREQ_BINS) * BIN_HZ
    u = freqs / f0
    below, frac = np.floor(u), u - np.floor(u)
    unit = K.SAMPLE_RATE / K.WINDOW_LENGTH

    def lobe(d):
        return np.cos(np.minimum(np.abs(d) / unit, 2.0) * np.pi / 4) ** 2

    return lobe(frac * f0) * (below >= 1) + lobe((1 - frac) * f0)


@pytest.mark.parametrize("f0", [80.0, 120.0, 220.0])
def test_envelopes_give_back_the_harmonic_peaks(f0):
    mag, _ = magnitude_phase(_vowel(f0))
    frame = np.log(np.maximum(mag[:, 20], K.FEATURE_FLOOR))
    h, n = frame_envelopes(frame, f0)
    assert np.all(n <= h + 1e-9)
    rebuilt = np.log(np.exp(h) * (_comb(f0) + 1e-3) + np.exp(n))
    peaks = np.rint(np.arange(1, int(8000 / f0)) * f0 / BIN_HZ).astype(int)
    err = np.abs(rebuilt - frame)[peaks]
    print(f"F0 {f0:.0f} Hz: harmonic peaks rebuilt within {err.mean():.3f} nepers on average, worst {err.max():.3f}")
    assert err.mean() < 0.15
    # the envelope follows the formants: the first formant region is above the region between the formants
    freqs = np.arange(K.N_FREQ_BINS) * BIN_HZ
    assert h[np.argmin(np.abs(freqs - 700))] > h[np.argmin(np.abs(freqs - 1250))] + 0.5  # 7 dB = 0.8 nepers apart


def test_unvoiced_frames_are_noise_only():
    rng = np.random.default_rng(1)
    frame = np.log(np.abs(rng.standard_normal(K.N_FREQ_BINS)) + 1e-3)
    h, n = frame_envelopes(frame, 0.0)
    assert np.array_equal(h, n)
    assert np.std(np.diff(h)) < np.std(np.diff(frame))  # smoothed


def test_knot_values_round_trip():
    knots = np.array([0.0, 150.0, 300.0, 600.0, 1200.0, 2400.0, 4800.0, 9600.0, 12000.0])
    basis = knot_basis(knots)
    assert np.allclose(basis.sum(axis=0), 1.0)
    v = np.random.default_rng(2).standard_normal(len(knots))
    env = v @ basis  # an envelope the knots can hold exactly
    mag = np.exp(np.tile(env[:, None], (1, 3)))
    values = bank_values(np.log(mag), np.zeros(3), knots)
    assert values.shape == (3, 2 * len(knots))
    # unvoiced: smoothing blurs a little, the knot values stay close to the originals
    assert np.abs(values[0, :len(knots)] - v).max() < 0.5
