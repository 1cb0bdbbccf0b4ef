"""Causal YIN F0 reference (docs/dsp-and-streaming.md, "F0")."""

from __future__ import annotations

import numpy as np
import pytest

from tmrvc_core.constants import F0_WINDOW_LENGTH, HOP_LENGTH, SAMPLE_RATE, YIN_THRESHOLD, YIN_VOICING_THRESHOLD
from tmrvc_core.dsp import f0_to_model_input, f0_track, shift_semitones, yin
from tmrvc_core.dsp.f0 import TAU_MAX, TAU_MIN, _cmnd, _difference


def _tone(f0: float, n: int, kind: str) -> np.ndarray:
    phase = f0 * np.arange(n) / SAMPLE_RATE
    if kind == "sine":
        return 0.5 * np.sin(2 * np.pi * phase)
    return 0.5 * (2.0 * (phase - np.floor(phase)) - 1.0)


@pytest.mark.parametrize("kind", ["sine", "sawtooth"])
@pytest.mark.parametrize("f0", [65.0, 110.0, 220.0, 261.6, 440.0, 777.0])
def test_yin_within_one_percent(f0: float, kind: str) -> None:
    assert yin(_tone(f0, F0_WINDOW_LENGTH, kind)) == pytest.approx(f0, rel=0.01)


@pytest.mark.parametrize("f0", [100.0, 150.0, 220.0])
@pytest.mark.parametrize("rise", [0.25, 0.3])
def test_gliding_voice_without_a_clear_dip_is_voiced(f0: float, rise: float) -> None:
    """A harmonic-rich voice rising 25-30 % within the window (a fast pitch glide) smears d' so that no lag dips
    under the first-dip threshold; the global-minimum fallback keeps it voiced at a period inside the glide."""
    t = np.arange(F0_WINDOW_LENGTH) / SAMPLE_RATE
    phase = np.cumsum(f0 * (1.0 + rise * t / t[-1])) / SAMPLE_RATE
    x = 0.5 * (2.0 * (phase - np.floor(phase)) - 1.0)
    lowest = float(np.min(_cmnd(_difference(x))[TAU_MIN:TAU_MAX]))
    assert YIN_THRESHOLD < lowest < YIN_VOICING_THRESHOLD  # the fallback is what decides this frame
    assert f0 <= yin(x) <= f0 * (1.0 + rise)


def test_silence_and_noise_are_unvoiced() -> None:
    assert yin(np.zeros(F0_WINDOW_LENGTH)) == 0.0
    assert yin(1e-5 * _tone(200.0, F0_WINDOW_LENGTH, "sine")) == 0.0
    rng = np.random.default_rng(3)
    for _ in range(5):
        assert yin(0.3 * rng.standard_normal(F0_WINDOW_LENGTH)) == 0.0


def test_track_is_causal_per_hop() -> None:
    x = np.concatenate([np.zeros(4800), _tone(200.0, 9600, "sine")])
    f0 = f0_track(x)
    assert f0.shape == (x.shape[0] // HOP_LENGTH,)
    assert np.all(f0[:20] == 0.0)  # frames that end before the tone
    np.testing.assert_allclose(f0[24:], 200.0, rtol=0.01)  # frames fully inside the tone
    longer = f0_track(x, window_length=1920)
    np.testing.assert_allclose(longer[28:], 200.0, rtol=0.01)


def test_window_validation() -> None:
    with pytest.raises(ValueError, match="W >="):
        yin(np.zeros(TAU_MAX))
    with pytest.raises(ValueError, match="window_length"):
        f0_track(np.zeros(4800), window_length=TAU_MAX)


def test_shift_and_model_input() -> None:
    f0 = np.array([0.0, 100.0, 220.0])
    np.testing.assert_allclose(shift_semitones(f0, 12.0), [0.0, 200.0, 440.0])
    np.testing.assert_allclose(shift_semitones(f0, -12.0), [0.0, 50.0, 110.0])
    np.testing.assert_allclose(f0_to_model_input(f0), [0.0, np.log(101.0), np.log(221.0)])
    np.testing.assert_allclose(f0_to_model_input(f0, 12.0), [0.0, np.log(201.0), np.log(441.0)])
    tracked = f0_track(_tone(150.0, 4800, "sine"))[5:]
    np.testing.assert_allclose(f0_track(_tone(300.0, 4800, "sine"))[5:], shift_semitones(tracked, 12.0), rtol=0.01)
