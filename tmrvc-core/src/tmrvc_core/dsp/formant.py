"""Formant shift (issue 19): the spectral envelope of a magnitude frame moves by 2^(s/12), the harmonics stay.

Envelope: the running maximum of log(mag + LOG_FLOOR) over FORMANT_HULL_BINS centred bins (it reaches the nearest
harmonic peak, so it follows the partials' tops, not the valleys between them), smoothed twice by a centred box of
FORMANT_SMOOTH_BINS bins (both windows shrink at the edges).
Each bin k is scaled by exp(env(k / ratio) − env(k)), env read by linear interpolation (held at the last bin), so
the fine structure (the harmonics at F0) is kept and the envelope under it is resampled along frequency. 0 st
returns the frame untouched. Float32 like its twin, tmrvc-engine/src/formant_shifter.cpp (the box sums in float64).
"""

from __future__ import annotations

import numpy as np

from tmrvc_core.constants import FORMANT_HULL_BINS, FORMANT_MAX_SEMITONES, FORMANT_SMOOTH_BINS, LOG_FLOOR, N_FREQ_BINS


def _smooth(x: np.ndarray) -> np.ndarray:
    h = FORMANT_SMOOTH_BINS // 2
    prefix = np.concatenate([[0.0], np.cumsum(x.astype(np.float64), axis=0)])
    k = np.arange(N_FREQ_BINS)
    lo, hi = np.maximum(0, k - h), np.minimum(N_FREQ_BINS, k + h + 1)
    shape = (-1,) + (1,) * (x.ndim - 1)
    return ((prefix[hi] - prefix[lo]) / (hi - lo).reshape(shape)).astype(np.float32)


def warp_table(semitones: float) -> tuple[np.ndarray, np.ndarray]:
    """(index, frac): env(k / ratio) = (1 − frac) env[index] + frac env[index + 1]."""
    s = float(np.clip(np.float32(semitones), -FORMANT_MAX_SEMITONES, FORMANT_MAX_SEMITONES))
    ratio = 2.0 ** (s / 12.0)  # s is the float32 value, divided in float64 as in C++
    src = np.minimum(np.arange(N_FREQ_BINS) / ratio, N_FREQ_BINS - 1)
    index = np.minimum(src.astype(np.int64), N_FREQ_BINS - 2)
    return index, (src - index).astype(np.float32)


def envelope(mag: np.ndarray) -> np.ndarray:
    """The smoothed log magnitude (513,) or (513, T) the shift resamples."""
    log_mag = np.log(np.asarray(mag, np.float32) + np.float32(LOG_FLOOR)).astype(np.float32)
    h = FORMANT_HULL_BINS // 2
    padded = np.pad(log_mag, [(h, h)] + [(0, 0)] * (log_mag.ndim - 1), constant_values=-np.inf)
    hull = np.lib.stride_tricks.sliding_window_view(padded, 2 * h + 1, axis=0).max(axis=-1)
    return _smooth(_smooth(hull.astype(np.float32)))


def shift_formants(mag: np.ndarray, semitones: float) -> np.ndarray:
    """mag (513,) or (513, T) float32 → the same with its envelope moved by 2^(semitones/12)."""
    mag = np.asarray(mag, np.float32)
    if np.float32(np.clip(semitones, -FORMANT_MAX_SEMITONES, FORMANT_MAX_SEMITONES)) == 0.0:
        return mag
    index, frac = warp_table(semitones)
    env = envelope(mag)
    frac = frac.reshape((-1,) + (1,) * (mag.ndim - 1))
    warped = env[index] + frac * (env[index + 1] - env[index])
    return (mag * np.exp(warped - env)).astype(np.float32)
