"""Loudness tracking (output RMS / input RMS per utterance) and the high-frequency tonal artefact index."""

from __future__ import annotations

import numpy as np
from scipy.signal import welch
from scipy.ndimage import median_filter

ARTEFACT_MIN_HZ = 6000.0
ARTEFACT_FLOOR_HZ = 400.0       # width of the median window that estimates the local spectral floor
ARTEFACT_GUARD_BINS = 2         # bins either side of the candidate excluded from its floor
WELCH_SECONDS = 0.085


def rms_ratio(out: np.ndarray, inp: np.ndarray) -> float:
    """RMS(out) / RMS(inp) over whole utterances x: (n,), y: (m,). Silent input raises ValueError."""
    ri = float(np.sqrt(np.mean(np.square(inp)))) if len(inp) else 0.0
    if ri == 0.0:
        raise ValueError("loudness tracking: input RMS is zero")
    return float(np.sqrt(np.mean(np.square(out)))) / ri


def tonal_artefact_db(x: np.ndarray, sr: int) -> float:
    """Strongest narrow-band peak above 6 kHz relative to its local spectral floor (dB).

    Long-term Welch power spectrum P (Hann, ~85 ms segments); floor = running median of P over ±200 Hz with the
    candidate's own ±2 bins removed; index = max over bins ≥ 6 kHz of 10·log10(P / floor). A steady whistle
    gives a large value; broadband speech or noise stays near a few dB. Returns 0.0 when the band above 6 kHz
    is empty (sr ≤ 12 kHz)."""
    if sr <= 2 * ARTEFACT_MIN_HZ:
        return 0.0
    nper = int(WELCH_SECONDS * sr)
    if len(x) < nper:
        raise ValueError(f"artefact index needs at least {nper} samples, got {len(x)}")
    freqs, p = welch(x, fs=sr, window="hann", nperseg=nper, noverlap=nper // 2, detrend=False)
    df = freqs[1] - freqs[0]
    half = max(ARTEFACT_GUARD_BINS + 2, int(ARTEFACT_FLOOR_HZ / 2 / df))
    tiny = 1e-12 * max(float(p.max()), 1e-30)
    floor = _floor_excluding_centre(p, half, ARTEFACT_GUARD_BINS) + tiny
    band = freqs >= ARTEFACT_MIN_HZ
    return float(np.max(10.0 * np.log10((p[band] + tiny) / floor[band])))


def _floor_excluding_centre(p: np.ndarray, half: int, guard: int) -> np.ndarray:
    """Median of p over [k-half, k+half] without [k-guard, k+guard], for every bin k. p: (F,) → (F,)."""
    offsets = [o for o in range(-half, half + 1) if abs(o) > guard]
    padded = np.pad(p, half, mode="reflect")
    stack = np.stack([padded[half + o: half + o + len(p)] for o in offsets])
    return np.median(stack, axis=0)


def smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Median smoothing helper for plots. values: (T,) → (T,)."""
    return median_filter(values, size=max(1, width))
