"""Augmentation with labels: RIR parameters re-measured, noise SNR, label layout, voice-source targets."""

from __future__ import annotations

import numpy as np
import pytest

from tmrvc_core.constants import N_ACOUSTIC_PARAMS, N_IR_PARAMS, N_IR_SUBBANDS, SAMPLE_RATE
from tmrvc_core.dsp.f0 import f0_track
from tmrvc_core.dsp.stft import magnitude_phase
from tmrvc_data.acoustic import param_ranges, unpack_room
from tmrvc_data.augment import AugmentConfig, add_noise, augment
from tmrvc_data.rir import Room, measure_drr, measure_rt60, sample_room, synth_rir
from tmrvc_data.voice_source import voice_source_targets


def test_rir_rt60_remeasured_per_subband() -> None:
    rng = np.random.default_rng(3)
    errors = []
    for _ in range(3):
        room = sample_room(rng)
        rir = synth_rir(room, rng)
        errors.append([measure_rt60(rir, b) / room.rt60[b] - 1.0 for b in range(N_IR_SUBBANDS)])
    err = np.abs(np.array(errors))
    assert np.all(np.median(err, axis=0) < 0.05), np.round(err, 3)
    assert np.all(err < 0.2), np.round(err, 3)


def test_rir_drr_and_tilt_move_the_response() -> None:
    rng = np.random.default_rng(4)
    flat = Room(np.full(8, 0.5), np.full(8, 0.0), np.zeros(8))
    wet = Room(np.full(8, 0.5), np.full(8, 20.0), np.zeros(8))
    for b in range(3, N_IR_SUBBANDS):
        d0, d20 = measure_drr(synth_rir(flat, rng), b), measure_drr(synth_rir(wet, rng), b)
        assert d0 == pytest.approx(0.0, abs=1.5) and d20 - d0 > 12.0
    up = Room(np.full(8, 0.5), np.full(8, 0.0), np.full(8, 6.0))
    rir = synth_rir(up, rng)
    spec = np.abs(np.fft.rfft(rir[200:])) ** 2
    f = np.fft.rfftfreq(len(rir) - 200, 1 / SAMPLE_RATE)
    lo, hi = spec[(f > 6100) & (f < 7000)].mean(), spec[(f > 8000) & (f < 8900)].mean()
    assert 10 * np.log10(hi / lo) > 1.5  # +6 dB/oct inside the 6–9 kHz band
    with pytest.raises(ValueError, match="room.rt60"):
        synth_rir(Room(np.full(8, 5.0), np.zeros(8), np.zeros(8)), rng)


def test_noise_snr_is_exact() -> None:
    rng = np.random.default_rng(0)
    x = np.sin(np.arange(24000) * 0.05)
    for pink in (False, True):
        y = add_noise(x, 10.0, rng, pink)
        snr = 10 * np.log10(np.mean(x ** 2) / np.mean((y - x) ** 2))
        assert snr == pytest.approx(10.0, abs=1e-6)


def _voiced(f0: float, seconds: float, rng: np.random.Generator, jitter: float = 0.0, noise: float = 0.0) -> np.ndarray:
    """Glottal-like pulse train through a smooth spectral tilt, optional period jitter and noise."""
    n = int(seconds * SAMPLE_RATE)
    x = np.zeros(n)
    t = 0.0
    while t < n:
        x[int(t)] = 1.0
        t += SAMPLE_RATE / f0 * (1.0 + jitter * rng.standard_normal())
    x = np.convolve(x, np.exp(-np.arange(200) / 20.0))[:n]
    x /= np.max(np.abs(x))
    return 0.3 * x + noise * rng.standard_normal(n)


def test_voice_source_targets_respond() -> None:
    rng = np.random.default_rng(1)
    def vs(x: np.ndarray) -> np.ndarray:
        mag, _ = magnitude_phase(x)
        return voice_source_targets(mag, f0_track(x))
    clean, breathy, jittery = vs(_voiced(120, 1.0, rng)), vs(_voiced(120, 1.0, rng, noise=0.02)), \
        vs(_voiced(120, 1.0, rng, jitter=0.01))
    lo, hi = param_ranges()[N_IR_PARAMS:].T
    for v in (clean, breathy, jittery):
        assert np.all(v >= lo) and np.all(v <= hi)
    assert breathy[1] > clean[1] + 0.2 and breathy[0] > clean[0]
    assert jittery[4] > clean[4] + 0.002 and breathy[4] < 0.002
    assert np.all(vs(np.zeros(SAMPLE_RATE)) == 0.0)


def test_augment_labels_layout_and_determinism() -> None:
    x = _voiced(150, 1.0, np.random.default_rng(2))
    cfg = AugmentConfig(p_reverb=1.0, p_eq=1.0, p_noise=1.0)
    y1, lab1, info = augment(x, np.random.default_rng(7), cfg)
    y2, lab2, _ = augment(x, np.random.default_rng(7), cfg)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(lab1, lab2)
    assert lab1.shape == (N_ACOUSTIC_PARAMS,) and y1.shape == x.shape and info["reverb"]
    lo, hi = param_ranges().T
    assert np.all(lab1 >= lo - 1e-6) and np.all(lab1 <= hi + 1e-6)
    _, dry, _ = augment(x, np.random.default_rng(7), AugmentConfig(p_reverb=0.0, p_noise=0.0, p_eq=0.0),
                        voice_source=np.full(8, 0.05, dtype=np.float32))
    rt60, drr, tilt = unpack_room(dry)
    assert np.allclose(rt60, lo[0]) and np.allclose(drr, hi[8]) and np.all(tilt == 0.0)
    assert np.all(dry[N_IR_PARAMS:] == np.float32(0.05))
