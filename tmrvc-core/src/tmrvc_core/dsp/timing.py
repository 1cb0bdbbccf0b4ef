"""Engine timeline counts, FIFO pre-fill and reported latency (docs/dsp-and-streaming.md, "Engine timeline").

All counts are cumulative since ``prepare``: after n host input samples, ``in24`` samples exist at 24 kHz,
``out24`` (whole hops) have been synthesised and ``host_out`` host-rate output samples exist.
"""

from __future__ import annotations

import math

from tmrvc_core.constants import (F0_WINDOW_LENGTH, F0_WINDOW_MAX_LENGTH, HOP_LENGTH, IR_MIN_INTERVAL,
                                  IR_UPDATE_INTERVAL, MAX_LOOKAHEAD_HOPS, SAMPLE_RATE)
from tmrvc_core.dsp.resample import host_delay, output_count, ratio


def counts(n: int, host_rate: int) -> tuple[int, int, int]:
    """(in24, out24, host_out) after n >= 0 host input samples at host_rate."""
    if n < 0:
        raise ValueError(f"expected a sample count n >= 0, got {n}")
    in24 = output_count(n, host_rate, SAMPLE_RATE)
    out24 = HOP_LENGTH * (in24 // HOP_LENGTH)
    host_out = output_count(out24, SAMPLE_RATE, host_rate)
    return in24, out24, host_out


def period(host_rate: int) -> int:
    """Host samples after which ``N - host_out(N)`` repeats: ``M_down * 240 / gcd(L_down, 240)``."""
    up, down = ratio(host_rate, SAMPLE_RATE)
    return down * HOP_LENGTH // math.gcd(up, HOP_LENGTH)


def prefill(host_rate: int) -> int:
    """P = max over N >= 1 of (N - host_out(N)), scanned over one period of the pattern."""
    best = 0
    for n in range(1, period(host_rate) + 1):
        best = max(best, n - counts(n, host_rate)[2])
    return best


def hop_host(host_rate: int) -> int:
    """One hop in host samples, ``round(240 * R / 24000)`` with halves rounded up (integer arithmetic)."""
    return (2 * HOP_LENGTH * int(host_rate) + SAMPLE_RATE) // (2 * SAMPLE_RATE)


def latency_samples(host_rate: int) -> int:
    """Reported latency in host samples: ``P + round(240 R / 24000) + D_down + D_up``."""
    d_down, d_up = host_delay(host_rate)
    return prefill(host_rate) + hop_host(host_rate) + d_down + d_up


def lookahead_hops(q: float) -> int:
    """Lookahead the latency-quality knob asks for: ``round(MAX_LOOKAHEAD_HOPS * q)``, halves up, q clamped."""
    q = min(max(float(q), 0.0), 1.0)
    return int(math.floor(MAX_LOOKAHEAD_HOPS * q + 0.5))


def lookahead_host_samples(hops: int, host_rate: int) -> int:
    """``hops * 240 * R / 24000`` host samples, halves rounded up (exact at 44.1/48/88.2/96 kHz)."""
    return (2 * hops * HOP_LENGTH * int(host_rate) + SAMPLE_RATE) // (2 * SAMPLE_RATE)


def f0_window_for(q: float) -> int:
    """YIN window in samples at effective q: ``F0_WINDOW_LENGTH`` at 0 → ``F0_WINDOW_MAX_LENGTH`` at 1."""
    q = min(max(float(q), 0.0), 1.0)
    return F0_WINDOW_LENGTH + int(math.floor((F0_WINDOW_MAX_LENGTH - F0_WINDOW_LENGTH) * q + 0.5))


def ir_interval_for(q: float) -> int:
    """Acoustic-estimator interval in hops at effective q: ``IR_UPDATE_INTERVAL`` at 0 → ``IR_MIN_INTERVAL`` at 1."""
    q = min(max(float(q), 0.0), 1.0)
    return int(math.floor(IR_UPDATE_INTERVAL + (IR_MIN_INTERVAL - IR_UPDATE_INTERVAL) * q + 0.5))
