"""Mel filterbank and log-mel (docs/dsp-and-streaming.md, "Magnitude and log-mel"). Float64."""

from __future__ import annotations

import numpy as np

from tmrvc_core.constants import LOG_FLOOR, MEL_FMAX, MEL_FMIN, N_FFT, N_FREQ_BINS, N_MELS, SAMPLE_RATE
from tmrvc_core.dsp.stft import magnitude_phase


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank() -> np.ndarray:
    """Triangular HTK-mel filterbank, peak 1, no area normalisation: (N_MELS=80, N_FREQ_BINS=513) float64."""
    points = mel_to_hz(np.linspace(hz_to_mel(MEL_FMIN), hz_to_mel(MEL_FMAX), N_MELS + 2))
    freqs = np.arange(N_FREQ_BINS, dtype=np.float64) * SAMPLE_RATE / N_FFT
    lower, centre, upper = points[:-2, None], points[1:-1, None], points[2:, None]
    rising = (freqs[None, :] - lower) / (centre - lower)
    falling = (upper - freqs[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel(mag: np.ndarray) -> np.ndarray:
    """mag (513, T) linear magnitude -> (80, T) natural-log mel, floored at LOG_FLOOR."""
    mag = np.asarray(mag, dtype=np.float64)
    if mag.ndim != 2 or mag.shape[0] != N_FREQ_BINS:
        raise ValueError(f"expected a magnitude of shape ({N_FREQ_BINS}, T), got {mag.shape}")
    return np.log(np.maximum(mel_filterbank() @ mag, LOG_FLOOR))


def log_mel_from_audio(x: np.ndarray) -> np.ndarray:
    """x (n,) at SAMPLE_RATE -> (80, n // 240) causal log-mel."""
    mag, _ = magnitude_phase(x)
    return log_mel(mag)
