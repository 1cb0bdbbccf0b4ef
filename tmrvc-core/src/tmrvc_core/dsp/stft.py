"""Causal STFT and iSTFT + overlap-add (docs/dsp-and-streaming.md, "Framing" and "Synthesis").

All computation is float64. Frame t is the ``WINDOW_LENGTH`` samples ending at the newest sample of hop t.
"""

from __future__ import annotations

import numpy as np

from tmrvc_core.constants import HOP_LENGTH, N_FFT, N_FREQ_BINS, SYNTHESIS_WINDOW_LENGTH, WINDOW_LENGTH


def _periodic_hann(length: int) -> np.ndarray:
    """Periodic Hann window ``0.5 - 0.5 cos(2 pi n / length)``: (length,) float64."""
    n = np.arange(length, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / length)


def analysis_window() -> np.ndarray:
    """Analysis window w: periodic Hann of WINDOW_LENGTH samples, (960,) float64."""
    return _periodic_hann(WINDOW_LENGTH)


def synthesis_window() -> np.ndarray:
    """Asymmetric synthesis window s, (960,) float64: zero on the first half, a weighted least-squares
    overlap-add on the last 480.

    Each output sample lies in the tails of two frames (at tail offsets m and m + 240). It is the least-squares
    fit ``y = sum c w f / sum c w^2`` to both frames' samples ``f`` divided by their analysis window ``w``,
    each sample trusted in proportion to ``c = h``, the periodic Hann of SYNTHESIS_WINDOW_LENGTH over the tail.
    So ``s = h w / (h w^2 summed over the two overlapping tail positions)``. For a consistent spectrum
    (``f = w x``) this is exactly ``x``; for an inconsistent one (reconstructed phase, a model's output) it
    leans on the frame whose window is large there instead of dividing the tapered end of a frame by
    ``w -> 0`` (the plain ``h / w`` window weighs those samples up to 4x). See docs/dsp-and-streaming.md.
    """
    w = analysis_window()
    start = WINDOW_LENGTH - SYNTHESIS_WINDOW_LENGTH
    a = np.zeros(WINDOW_LENGTH, dtype=np.float64)
    a[start:] = _periodic_hann(SYNTHESIS_WINDOW_LENGTH) * w[start:]
    aw = a * w
    norm = np.zeros(HOP_LENGTH, dtype=np.float64)
    for first in range(start, WINDOW_LENGTH, HOP_LENGTH):
        norm += aw[first:first + HOP_LENGTH]
    s = np.zeros(WINDOW_LENGTH, dtype=np.float64)
    for first in range(start, WINDOW_LENGTH, HOP_LENGTH):
        s[first:first + HOP_LENGTH] = a[first:first + HOP_LENGTH] / norm
    return s


def _check_signal(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"expected a mono signal of shape (n,), got shape {x.shape}")
    return x.astype(np.float64, copy=False)


def frames(x: np.ndarray, length: int = WINDOW_LENGTH) -> np.ndarray:
    """Causal frames: frame t = ``x[240(t+1) - length : 240(t+1)]`` with zeros before the start.

    x: (n,) -> (T, length) float64 with ``T = n // HOP_LENGTH``.
    """
    x = _check_signal(x)
    if length < 1:
        raise ValueError(f"expected a frame length >= 1, got {length}")
    n_frames = x.shape[0] // HOP_LENGTH
    padded = np.concatenate([np.zeros(length, dtype=np.float64), x[: n_frames * HOP_LENGTH]])
    # frame t ends at padded index length + 240(t+1), i.e. starts at 240(t+1).
    starts = HOP_LENGTH * (np.arange(n_frames) + 1)
    index = starts[:, None] + np.arange(length)[None, :]
    return padded[index]


def stft(x: np.ndarray) -> np.ndarray:
    """Causal STFT: x (n,) -> complex128 (N_FREQ_BINS=513, T); window w, zero-padded at the end to N_FFT."""
    framed = frames(x) * analysis_window()[None, :]
    spec = np.fft.rfft(framed, n=N_FFT, axis=1)
    return spec.T


def magnitude_phase(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (n,) -> (mag (513, T), phase (513, T)), linear magnitude and angle in radians."""
    spec = stft(x)
    return np.abs(spec), np.angle(spec)


def istft_ola(mag: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """iSTFT + overlap-add with the asymmetric synthesis window.

    mag, phase: (513, T) -> (240 * T,) float64. Output element j reconstructs input position j - 240 when
    mag/phase come from :func:`magnitude_phase` of that input.
    """
    mag = np.asarray(mag, dtype=np.float64)
    phase = np.asarray(phase, dtype=np.float64)
    if mag.ndim != 2 or mag.shape[0] != N_FREQ_BINS or mag.shape != phase.shape:
        raise ValueError(
            f"expected mag and phase of equal shape ({N_FREQ_BINS}, T), got {mag.shape} and {phase.shape}"
        )
    n_frames = mag.shape[1]
    tail_start = WINDOW_LENGTH - SYNTHESIS_WINDOW_LENGTH
    frames_time = np.fft.irfft(mag * np.exp(1j * phase), n=N_FFT, axis=0)  # (1024, T)
    tails = frames_time[tail_start:WINDOW_LENGTH, :].T * synthesis_window()[None, tail_start:]  # (T, 480)
    out = np.zeros(HOP_LENGTH * (n_frames + 1) + SYNTHESIS_WINDOW_LENGTH, dtype=np.float64)
    for t in range(n_frames):
        out[HOP_LENGTH * t : HOP_LENGTH * t + SYNTHESIS_WINDOW_LENGTH] += tails[t]
    return out[: HOP_LENGTH * n_frames]
