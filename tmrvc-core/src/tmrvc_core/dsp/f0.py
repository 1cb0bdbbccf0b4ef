"""Causal YIN F0 tracker (docs/dsp-and-streaming.md, "F0 (causal YIN)"). Float64."""

from __future__ import annotations

import math

import numpy as np

from tmrvc_core.constants import (F0_MAX, F0_MIN, F0_SILENCE_RMS, F0_WINDOW_LENGTH, HOP_LENGTH, SAMPLE_RATE,
                                  WINDOW_LENGTH, YIN_THRESHOLD, YIN_VOICING_THRESHOLD)
from tmrvc_core.dsp.stft import frames

TAU_MIN = int(math.floor(SAMPLE_RATE / F0_MAX))
TAU_MAX = int(math.floor(SAMPLE_RATE / F0_MIN))


def min_window_length() -> int:
    """Shortest F0 window: the integration length ``W - tau_max`` must be >= 1."""
    return TAU_MAX + 1


def _difference(frame: np.ndarray) -> np.ndarray:
    """d(tau) for tau = 0 .. TAU_MAX over the first ``W - TAU_MAX`` samples: (TAU_MAX + 1,)."""
    w_int = frame.shape[0] - TAU_MAX
    lagged = np.lib.stride_tricks.sliding_window_view(frame, w_int)[: TAU_MAX + 1]  # (TAU_MAX+1, w_int)
    return np.sum((frame[None, :w_int] - lagged) ** 2, axis=1)


def _cmnd(d: np.ndarray) -> np.ndarray:
    """Cumulative mean normalised difference d'(tau): (TAU_MAX + 1,)."""
    cumulative = np.cumsum(d[1:])
    taus = np.arange(1, d.shape[0], dtype=np.float64)
    out = np.ones_like(d)
    nonzero = cumulative != 0.0
    out[1:][nonzero] = d[1:][nonzero] * taus[nonzero] / cumulative[nonzero]
    return out


def _pick_tau(dn: np.ndarray) -> int:
    """First tau in [TAU_MIN, TAU_MAX) with d' < yin_threshold, advanced to its local minimum; failing that, the
    lowest d' there (the first on ties) if it is under yin_voicing_threshold (YIN's own fallback: a 20 ms window
    over a gliding or breathy voice often never dips under 0.15, and the first-dip rule alone left a fifth of the
    corpus's voiced frames unvoiced); -1 if neither."""
    search = dn[TAU_MIN:TAU_MAX]
    below = np.nonzero(search < YIN_THRESHOLD)[0]
    if below.size == 0:
        best = int(np.argmin(search))
        return TAU_MIN + best if search[best] < YIN_VOICING_THRESHOLD else -1
    tau = TAU_MIN + int(below[0])
    while tau + 1 <= TAU_MAX - 1 and dn[tau + 1] < dn[tau]:
        tau += 1
    return tau


def yin(frame: np.ndarray) -> float:
    """F0 in Hz of one frame (W,) (oldest first, W >= TAU_MAX + 1); 0.0 when unvoiced or silent."""
    frame = np.asarray(frame, dtype=np.float64)
    if frame.ndim != 1 or frame.shape[0] < min_window_length():
        raise ValueError(f"expected a frame of shape (W,) with W >= {min_window_length()}, got {frame.shape}")
    if math.sqrt(float(np.mean(frame * frame))) < F0_SILENCE_RMS:
        return 0.0
    dn = _cmnd(_difference(frame))
    tau = _pick_tau(dn)
    if tau < 0:
        return 0.0
    a, b, c = dn[tau - 1], dn[tau], dn[tau + 1]
    den = a - 2.0 * b + c
    refined = tau + 0.5 * (a - c) / den if abs(den) > 1e-12 else float(tau)
    return float(SAMPLE_RATE / refined)


def f0_track(x: np.ndarray, window_length: int = F0_WINDOW_LENGTH) -> np.ndarray:
    """Causal F0 per hop: x (n,) -> (n // 240,) Hz, 0 = unvoiced; frame t ends at sample 240(t+1)."""
    if window_length < min_window_length():
        raise ValueError(f"expected window_length >= {min_window_length()}, got {window_length}")
    framed = frames(x, window_length)
    return np.array([yin(frame) for frame in framed], dtype=np.float64)


def f0_delayed_track(x: np.ndarray, window_length: int, lag_hops: int) -> np.ndarray:
    """F0 of frame ``t - lag_hops`` as the engine estimates it at hop t (docs/dsp-and-streaming.md, "Lookahead").

    The window (``window_length`` samples) is centred on that frame's analysis window where the samples exist,
    else it ends at the newest sample ``240(t+1)``. x: (n,) → (n // 240,) Hz, zeros before the start.
    """
    if window_length < min_window_length():
        raise ValueError(f"expected window_length >= {min_window_length()}, got {window_length}")
    if lag_hops < 0:
        raise ValueError(f"expected lag_hops >= 0, got {lag_hops}")
    x = np.asarray(x, dtype=np.float64)
    n_frames = x.shape[0] // HOP_LENGTH
    end_back = max(0, WINDOW_LENGTH // 2 + lag_hops * HOP_LENGTH - window_length // 2)
    padded = np.concatenate([np.zeros(window_length + end_back), x[: n_frames * HOP_LENGTH]])
    offset = window_length + end_back
    out = np.zeros(n_frames)
    for t in range(n_frames):
        end = offset + HOP_LENGTH * (t + 1) - end_back
        out[t] = yin(padded[end - window_length:end])
    return out


def shift_semitones(f0: np.ndarray, semitones: float) -> np.ndarray:
    """Multiply voiced F0 by ``2^(semitones/12)``; unvoiced (0) stays 0. Same shape as f0."""
    f0 = np.asarray(f0, dtype=np.float64)
    return np.where(f0 > 0.0, f0 * 2.0 ** (semitones / 12.0), 0.0)


def f0_to_model_input(f0: np.ndarray, semitones: float = 0.0) -> np.ndarray:
    """Model F0 input ``log(f0 * 2^(s/12) + 1)`` where voiced, 0 where unvoiced. Same shape as f0."""
    f0 = np.asarray(f0, dtype=np.float64)
    shifted = shift_semitones(f0, semitones)
    return np.where(f0 > 0.0, np.log(shifted + 1.0), 0.0)
