"""Polyphase resampler and engine timing reference (docs/dsp-and-streaming.md)."""

from __future__ import annotations

import numpy as np
import pytest

from tmrvc_core.constants import SAMPLE_RATE
from tmrvc_core.dsp import counts, design_taps, host_delay, latency_samples, prefill, ratio, resample
from tmrvc_core.dsp.timing import period


def _sine(f: float, rate: int, n: int) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * f * np.arange(n) / rate)


def test_ratio_taps_and_delay() -> None:
    assert ratio(48000, 24000) == (1, 2)
    assert ratio(44100, 24000) == (80, 147)
    assert ratio(24000, 44100) == (147, 80)
    assert design_taps(48000, 24000).shape == (97,)  # half = 24 * 2
    assert design_taps(44100, 24000).shape == (7201,)  # half = ceil(24 * 147 / 80) * 80
    assert design_taps(24000, 24000).tolist() == [1.0]
    taps = design_taps(48000, 24000)
    assert taps.dtype == np.float32
    np.testing.assert_array_equal(taps, taps[::-1])  # linear phase
    assert float(np.sum(taps.astype(np.float64))) == pytest.approx(1.0, abs=1e-3)  # unity DC gain (L = 1)
    assert host_delay(48000) == (48, 48)
    assert host_delay(44100) == (45, 45)
    assert host_delay(SAMPLE_RATE) == (0, 0)
    with pytest.raises(ValueError, match="positive"):
        ratio(0, 24000)


def test_resample_matches_direct_formula() -> None:
    x = np.random.default_rng(0).standard_normal(701)
    for in_rate, out_rate in [(44100, 24000), (24000, 48000), (22050, 24000)]:
        y = resample(x, in_rate, out_rate)
        up, down = ratio(in_rate, out_rate)
        assert y.shape == (-(-x.shape[0] * up // down),)
        h = design_taps(in_rate, out_rate).astype(np.float64)
        for m in range(0, y.shape[0], 37):
            i = np.arange(x.shape[0])
            k = m * down - i * up
            ok = (k >= 0) & (k < h.shape[0])
            assert y[m] == pytest.approx(float(np.sum(h[k[ok]] * x[ok])), abs=1e-12)


@pytest.mark.parametrize("host", [48000, 44100])
def test_sine_round_trip_keeps_frequency_amplitude_and_delay(host: int) -> None:
    d_down, d_up = host_delay(host)
    x = _sine(1000.0, host, host // 2)
    y = resample(x, host, SAMPLE_RATE)
    m = np.arange(2000, y.shape[0])
    expected = 0.5 * np.sin(2 * np.pi * 1000.0 * (m - d_down * SAMPLE_RATE / host) / SAMPLE_RATE)
    assert np.max(np.abs(y[m] - expected)) < 1e-3
    z = resample(y, SAMPLE_RATE, host)
    i = np.arange(4000, z.shape[0])
    expected = 0.5 * np.sin(2 * np.pi * 1000.0 * (i - d_down - d_up) / host)
    assert np.max(np.abs(z[i] - expected)) < 2e-3


@pytest.mark.parametrize("host", [48000, 44100])
def test_rejects_tone_above_12_khz(host: int) -> None:
    y = resample(_sine(13000.0, host, host // 2), host, SAMPLE_RATE)[2000:]
    t = np.arange(2000, 2000 + y.shape[0]) / SAMPLE_RATE
    alias = 2 * np.abs(np.mean(y * np.exp(-2j * np.pi * 11000.0 * t)))
    assert alias < 0.5e-3  # > 60 dB below the 0.5 input


def test_documented_latencies() -> None:
    assert prefill(48000) == 478 and latency_samples(48000) == 1054
    assert prefill(SAMPLE_RATE) == 239 and latency_samples(SAMPLE_RATE) == 479
    assert latency_samples(44100) == prefill(44100) + 441 + 45 + 45
    assert counts(0, 48000) == (0, 0, 0)
    assert counts(959, 48000) == (480, 480, 960)


@pytest.mark.parametrize("host", [24000, 44100, 48000, 88200, 96000, 22050])
def test_fifo_never_runs_dry_and_prefill_is_tight(host: int) -> None:
    p = prefill(host)
    deficits = [n - counts(n, host)[2] for n in range(1, 3 * period(host) + 1)]
    assert max(deficits) == p  # one period scanned equals three periods brute force
    rng = np.random.default_rng(host)
    consumed, fill_min = 0, None
    for block in rng.integers(1, 2049, size=500):
        consumed += int(block)
        fill = p + counts(consumed, host)[2] - consumed
        fill_min = fill if fill_min is None else min(fill_min, fill)
    assert fill_min is not None and fill_min >= 0
