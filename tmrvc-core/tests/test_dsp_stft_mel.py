"""Causal STFT, iSTFT + OLA and log-mel reference (docs/dsp-and-streaming.md)."""

from __future__ import annotations

import numpy as np
import pytest

from tmrvc_core.constants import (
    HOP_LENGTH,
    LOG_FLOOR,
    N_FFT,
    N_FREQ_BINS,
    N_MELS,
    SAMPLE_RATE,
    SYNTHESIS_WINDOW_LENGTH,
    WINDOW_LENGTH,
)
from tmrvc_core.dsp import (
    analysis_window,
    frames,
    istft_ola,
    log_mel,
    log_mel_from_audio,
    magnitude_phase,
    mel_filterbank,
    stft,
    synthesis_window,
)


def _test_signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SAMPLE_RATE
    return 0.4 * np.sin(2 * np.pi * 217.0 * t) + 0.2 * rng.standard_normal(n)


def test_frames_are_causal_and_zero_padded() -> None:
    x = np.arange(1, 1001, dtype=np.float64)
    framed = frames(x)
    assert framed.shape == (1000 // HOP_LENGTH, WINDOW_LENGTH)
    # frame 0 ends at sample 239: 720 zeros then x[0:240]
    assert np.all(framed[0, :720] == 0.0)
    np.testing.assert_array_equal(framed[0, 720:], x[:240])
    np.testing.assert_array_equal(framed[3], x[240 * 4 - 960 : 240 * 4])


def test_windows() -> None:
    w, s = analysis_window(), synthesis_window()
    assert w.shape == s.shape == (WINDOW_LENGTH,)
    assert w[0] == 0.0 and w[WINDOW_LENGTH // 2] == pytest.approx(1.0)
    assert np.all(s[:480] == 0.0)
    product = w[480:] * s[480:]
    np.testing.assert_allclose(product[:240] + product[240:], 1.0, atol=1e-12)  # exact for consistent frames
    assert s.max() < 2.2  # the plain h / w window weighs a frame's tapered end up to 4x


def test_synthesis_is_the_weighted_least_squares_fit_to_inconsistent_frames() -> None:
    """Random magnitude and phase (no signal has this STFT): every output sample must be the fit that minimises
    sum_frames h (w y - f)^2 over the frame tails covering it, i.e. the gradient sum h w (w y - f) is zero."""
    rng = np.random.default_rng(3)
    n_frames = 12
    mag = rng.uniform(0.0, 2.0, (N_FREQ_BINS, n_frames))
    phase = rng.uniform(-np.pi, np.pi, (N_FREQ_BINS, n_frames))
    y = istft_ola(mag, phase)
    frames_time = np.fft.irfft(mag * np.exp(1j * phase), n=N_FFT, axis=0)[:WINDOW_LENGTH].T  # (T, 960)
    w = analysis_window()
    tail = WINDOW_LENGTH - SYNTHESIS_WINDOW_LENGTH
    h = np.zeros(WINDOW_LENGTH)
    h[tail:] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(SYNTHESIS_WINDOW_LENGTH) / SYNTHESIS_WINDOW_LENGTH)
    gradient = np.zeros_like(y)
    for t in range(n_frames):
        for i in range(tail, WINDOW_LENGTH):
            j = HOP_LENGTH * t + i - tail  # output sample that frame t's tail index i lands on
            if j < len(y):
                gradient[j] += h[i] * w[i] * (w[i] * y[j] - frames_time[t, i])
    np.testing.assert_allclose(gradient[HOP_LENGTH:], 0.0, atol=1e-12)
    assert np.abs(frames_time).max() > 1e-3  # the frames are not trivially zero


def test_stft_matches_definition_and_peaks_at_sine_bin() -> None:
    n = 4800
    f = 80 * SAMPLE_RATE / N_FFT
    x = np.sin(2 * np.pi * f * np.arange(n) / SAMPLE_RATE)
    spec = stft(x)
    assert spec.shape == (N_FREQ_BINS, n // HOP_LENGTH)
    t = 10
    frame = x[HOP_LENGTH * (t + 1) - WINDOW_LENGTH : HOP_LENGTH * (t + 1)]
    windowed = frame * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW_LENGTH) / WINDOW_LENGTH))
    direct = np.exp(-2j * np.pi * np.outer(np.arange(N_FREQ_BINS), np.arange(WINDOW_LENGTH)) / N_FFT) @ windowed
    np.testing.assert_allclose(spec[:, t], direct, atol=1e-9)
    assert int(np.argmax(np.abs(spec[:, t]))) == 80


def test_analysis_synthesis_snr_above_60_db() -> None:
    x = _test_signal(24000)
    mag, phase = magnitude_phase(x)
    y = istft_ola(mag, phase)
    assert y.shape == (HOP_LENGTH * (24000 // HOP_LENGTH),)
    ref = x[: y.shape[0] - HOP_LENGTH]
    err = y[HOP_LENGTH:] - ref
    snr = 10 * np.log10(np.sum(ref**2) / np.sum(err**2))
    assert snr > 60.0
    assert np.all(np.abs(y[:HOP_LENGTH]) < 1e-12)


def test_istft_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="513"):
        istft_ola(np.zeros((512, 3)), np.zeros((512, 3)))
    with pytest.raises(ValueError, match="mono"):
        stft(np.zeros((2, 480)))


def test_mel_filterbank_shape_and_peaks() -> None:
    fb = mel_filterbank()
    assert fb.shape == (N_MELS, N_FREQ_BINS)
    assert np.all(fb >= 0.0) and np.all(fb <= 1.0)
    freqs = np.arange(N_FREQ_BINS) * SAMPLE_RATE / N_FFT
    mel = 2595.0 * np.log10(1.0 + freqs / 700.0)
    step = 2595.0 * np.log10(1.0 + 12000.0 / 700.0) / (N_MELS + 1)
    for m in (0, 10, 40, 79):
        peak = int(np.argmax(fb[m]))
        assert fb[m, peak] > 0.5  # wide enough filters reach close to 1 at the bin nearest the centre
        assert abs(mel[peak] - (m + 1) * step) < step  # the peak sits at the m+1-th mel point
    # Centres increase strictly; every filter has some weight.
    assert np.all(np.diff(np.argmax(fb, axis=1)) >= 0)
    assert np.all(fb.sum(axis=1) > 0.0)


def test_log_mel_floor_and_values() -> None:
    silence = log_mel_from_audio(np.zeros(2400))
    assert silence.shape == (N_MELS, 10)
    np.testing.assert_allclose(silence, np.log(LOG_FLOOR))
    mag = np.abs(np.random.default_rng(1).standard_normal((N_FREQ_BINS, 4)))
    np.testing.assert_allclose(log_mel(mag), np.log(mel_filterbank() @ mag))
    with pytest.raises(ValueError, match="magnitude"):
        log_mel(np.zeros((80, 4)))
