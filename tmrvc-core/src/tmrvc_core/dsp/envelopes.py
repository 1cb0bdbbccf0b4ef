"""Harmonic and noise envelopes of a speaker's own frames, in the converter's feature domain (the speaker bank's
values, docs/speaker-bank.md).

The converter's harmonic head writes ``features = log(e^H · comb(F0) + e^N)`` with comb = 1 at every harmonic and
0 between harmonics (F0 ≥ 100 Hz). Read backwards on a real frame of log magnitudes: H is the curve through the
harmonic peaks, N the curve through the valleys halfway between them (minus what the comb still puts there
below 100 Hz). An unvoiced frame is all noise: H = N = its log magnitude smoothed over ±2 bins. The envelopes
are then written as knot values (least squares onto the converter's piecewise-linear knot basis).
"""

from __future__ import annotations

import numpy as np

from tmrvc_core import constants as K

BIN_HZ = K.SAMPLE_RATE / K.N_FFT
LOBE_UNIT_HZ = K.SAMPLE_RATE / K.WINDOW_LENGTH  # the analysis window's main lobe is ±2 of these wide
TOP_HZ = 0.5 * K.SAMPLE_RATE - LOBE_UNIT_HZ


def knot_basis(knots_hz: np.ndarray, n_bins: int = K.N_FREQ_BINS) -> np.ndarray:
    """(n_knots, n_bins) hat functions: row j is 1 at knot j and falls linearly to 0 at its neighbours."""
    freqs = np.arange(n_bins) * BIN_HZ
    eye = np.eye(len(knots_hz))
    return np.stack([np.interp(freqs, np.asarray(knots_hz, np.float64), row) for row in eye])


def _lobe(distance_hz: np.ndarray) -> np.ndarray:
    x = np.minimum(np.abs(distance_hz) / LOBE_UNIT_HZ, 2.0)
    return np.cos(x * (np.pi / 4)) ** 2


def _smooth(frame: np.ndarray, half: int = 2) -> np.ndarray:
    """Log of the local mean power over ±half bins (a noise frame's level without its random ripple)."""
    p = np.exp(2.0 * frame)
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    padded = np.pad(p, half, mode="edge")
    return 0.5 * np.log(np.maximum(np.convolve(padded, kernel, mode="valid"), 1e-30))


def _curve_at(frame: np.ndarray, centres_hz: np.ndarray, pick) -> np.ndarray:  # type: ignore[no-untyped-def]
    """frame's value picked (max or min) over the bins within one bin of each centre frequency."""
    c = np.rint(centres_hz / BIN_HZ).astype(np.int64)
    idx = np.clip(c[:, None] + np.arange(-1, 2)[None, :], 0, len(frame) - 1)
    return pick(frame[idx], axis=1)


def frame_envelopes(log_mag: np.ndarray, f0_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """One frame's log magnitudes (n_bins,) and F0 (0 = unvoiced) → (H, N), each (n_bins,)."""
    log_mag = np.asarray(log_mag, np.float64)
    freqs = np.arange(len(log_mag)) * BIN_HZ
    if f0_hz <= 0 or f0_hz * 2 > TOP_HZ:
        n = _smooth(log_mag)
        return n, n.copy()
    harmonics = f0_hz * np.arange(1, int(TOP_HZ // f0_hz) + 1)
    peaks = _curve_at(log_mag, harmonics, np.max)
    h = np.interp(freqs, harmonics, peaks)
    mids = harmonics[:-1] + 0.5 * f0_hz
    valleys = _curve_at(log_mag, mids, np.min)
    # What the two neighbouring harmonics' lobes still put at the midpoint (nothing for F0 >= 100 Hz).
    leak = 2.0 * _lobe(0.5 * f0_hz) * np.exp(np.interp(mids, harmonics, peaks))
    noise = np.log(np.maximum(np.exp(valleys) - leak, 0.1 * np.exp(valleys)))
    n = np.minimum(np.interp(freqs, mids, noise), h)
    return h, n


def bank_values(log_mag: np.ndarray, f0_hz: np.ndarray, knots_hz: np.ndarray) -> np.ndarray:
    """Frames of log magnitudes (n_bins, T) and their F0 (T,) → bank values (T, 2 n_knots): H knots, N knots."""
    basis = knot_basis(knots_hz, log_mag.shape[0])
    # Least squares: values @ basis ≈ envelope; basis basis^T is tridiagonal and well conditioned.
    solve = np.linalg.solve(basis @ basis.T, basis).T  # (n_bins, n_knots)
    hs, ns = zip(*(frame_envelopes(log_mag[:, t], float(f0_hz[t])) for t in range(log_mag.shape[1])))
    return np.concatenate([np.asarray(hs) @ solve, np.asarray(ns) @ solve], axis=1).astype(np.float32)


def bank_voicing(values: np.ndarray) -> np.ndarray:
    """Bank values (n, 2 n_knots) → (n,) float32, 1 where a frame is voiced: its H and N knots differ (unvoiced
    frames have H = N). The engine fills the converter's bank.voiced initializer by the same rule."""
    half = values.shape[1] // 2
    return (np.abs(values[:, :half] - values[:, half:]).max(axis=1) > K.BANK_VOICED_MIN_GAP).astype(np.float32)
