"""Polyphase Kaiser-windowed-sinc resampler (docs/dsp-and-streaming.md, "Polyphase resampler").

Taps are designed in float64 and stored as float32; filtering runs in float64 on the float32 taps.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.signal import upfirdn

from tmrvc_core.constants import (
    RESAMPLER_KAISER_BETA,
    RESAMPLER_ROLLOFF,
    RESAMPLER_ZERO_CROSSINGS,
    SAMPLE_RATE,
)


def _check_rate(rate: int, name: str) -> int:
    if int(rate) != rate or rate <= 0:
        raise ValueError(f"expected {name} to be a positive integer rate in Hz, got {rate!r}")
    return int(rate)


def ratio(in_rate: int, out_rate: int) -> tuple[int, int]:
    """Reduced fraction ``(L, M)`` of out_rate / in_rate (e.g. 48000 -> 24000 is (1, 2))."""
    in_rate, out_rate = _check_rate(in_rate, "in_rate"), _check_rate(out_rate, "out_rate")
    g = math.gcd(in_rate, out_rate)
    return out_rate // g, in_rate // g


def _intermediate_per_host(in_rate: int, out_rate: int) -> int:
    """r: intermediate-rate samples per host sample. The host is the side that is not SAMPLE_RATE
    (the input when neither side is SAMPLE_RATE)."""
    up, down = ratio(in_rate, out_rate)
    host_is_output = in_rate == SAMPLE_RATE and out_rate != SAMPLE_RATE
    return down if host_is_output else up


def half_length(in_rate: int, out_rate: int) -> int:
    """``half = ceil(zero_crossings * max(L, M) / r) * r``; 0 for equal rates (identity)."""
    up, down = ratio(in_rate, out_rate)
    if up == down:
        return 0
    r = _intermediate_per_host(in_rate, out_rate)
    return -(-RESAMPLER_ZERO_CROSSINGS * max(up, down) // r) * r


def bessel_i0(x: float) -> float:
    """Modified Bessel I0 by its power series, summed until a term is below 1e-20 of the sum."""
    term, total, k = 1.0, 1.0, 0
    quarter_sq = (x / 2.0) * (x / 2.0)
    while True:
        k += 1
        term *= quarter_sq / float(k * k)
        total += term
        if term < 1e-20 * total:
            return total


def design_taps(in_rate: int, out_rate: int) -> np.ndarray:
    """Kaiser-windowed-sinc low-pass at the intermediate rate: float32 (N,), N = 2 * half + 1.

    Equal rates give the identity filter ``[1.0]``.
    """
    return _design_taps_cached(*ratio(in_rate, out_rate), int(in_rate), int(out_rate)).copy()


@functools.lru_cache(maxsize=32)
def _design_taps_cached(up: int, down: int, in_rate: int, out_rate: int) -> np.ndarray:
    up, down = ratio(in_rate, out_rate)
    if up == down:
        return np.ones(1, dtype=np.float32)
    half = half_length(in_rate, out_rate)
    fc = 0.5 * RESAMPLER_ROLLOFF / max(up, down)
    i0_beta = bessel_i0(RESAMPLER_KAISER_BETA)
    taps = np.empty(2 * half + 1, dtype=np.float64)
    for n in range(2 * half + 1):
        offset = float(n - half)
        arg = 2.0 * fc * offset
        sinc = 1.0 if n == half else math.sin(math.pi * arg) / (math.pi * arg)
        ratio_sq = (offset / half) * (offset / half)
        kaiser = bessel_i0(RESAMPLER_KAISER_BETA * math.sqrt(max(0.0, 1.0 - ratio_sq))) / i0_beta
        taps[n] = up * 2.0 * fc * sinc * kaiser
    return taps.astype(np.float32)


def host_delay(host_rate: int) -> tuple[int, int]:
    """Group delays ``(d_down, d_up)`` in host samples of host -> 24 kHz and 24 kHz -> host (0 at 24 kHz)."""
    host_rate = _check_rate(host_rate, "host_rate")
    down_up, down_down = ratio(host_rate, SAMPLE_RATE)
    up_up, up_down = ratio(SAMPLE_RATE, host_rate)
    d_down = half_length(host_rate, SAMPLE_RATE) // down_up if down_up != down_down else 0
    d_up = half_length(SAMPLE_RATE, host_rate) // up_down if up_up != up_down else 0
    return d_down, d_up


def output_count(n: int, in_rate: int, out_rate: int) -> int:
    """Outputs that exist after n inputs (streaming rule): ``ceil(n * L / M)``."""
    up, down = ratio(in_rate, out_rate)
    return -(-n * up // down)


def resample(x: np.ndarray, in_rate: int, out_rate: int) -> np.ndarray:
    """Causal polyphase resampling, zero initial state: x (n,) -> (ceil(n L / M),) float64.

    Delayed by ``half / L`` input samples (``half / M`` output samples); see :func:`host_delay`.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"expected a mono signal of shape (n,), got shape {x.shape}")
    up, down = ratio(in_rate, out_rate)
    x = x.astype(np.float64, copy=False)
    if up == down:
        return x.copy()
    taps = design_taps(in_rate, out_rate).astype(np.float64)
    count = output_count(x.shape[0], in_rate, out_rate)
    if count == 0:
        return np.zeros(0, dtype=np.float64)
    return upfirdn(taps, x, up, down)[:count]
