"""Python reference (tmrvc_core.dsp, float64) vs C++ engine DSP (tmrvc_engine module, float32).

Bounds (docs/dsp-and-streaming.md, onnx-contract.md): STFT relative error <= 1e-5, log-mel max abs <= 1e-4
where the mel value is well above float32 noise, identical F0 voicing and values within 0.1 %, iSTFT/OLA
max abs <= 1e-5, identical resampler taps and outputs within 1e-5, identical stream timing.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tmrvc_core.constants import HOP_LENGTH, SAMPLE_RATE
from tmrvc_core.dsp import (
    design_taps,
    f0_to_model_input,
    f0_track,
    host_delay,
    istft_ola,
    latency_samples,
    log_mel,
    magnitude_phase,
    prefill,
    resample,
    stft,
)
from tmrvc_core.dsp.timing import hop_host

try:
    import tmrvc_engine as engine
except ImportError as error:  # not skipped: parity is a required check
    raise ImportError(
        "tmrvc_engine not importable: build it first (make build, or cmake --build build) or set TMRVC_BUILD_DIR"
    ) from error


def _signals() -> dict[str, np.ndarray]:
    """Float32-representable test signals at 24 kHz, 0.5 s each."""
    rng = np.random.default_rng(2024)
    n = 12000
    t = np.arange(n) / SAMPLE_RATE
    chirp_phase = 2 * np.pi * (80.0 * t + 0.5 * (600.0 - 80.0) / t[-1] * t**2)
    saw_phase = 143.0 * t
    glide_phase = np.cumsum(130.0 * (1.0 + 0.3 * ((t / 0.04) % 1.0))) / SAMPLE_RATE
    signals = {
        "sine": 0.6 * np.sin(2 * np.pi * 220.0 * t),
        "chirp": 0.5 * np.sin(chirp_phase),
        "saw_noise": 0.4 * (2 * (saw_phase - np.floor(saw_phase)) - 1) + 0.02 * rng.standard_normal(n),
        "noise": 0.3 * rng.standard_normal(n),
        # 40 ms sawtooth glides rising 30 %: frames whose d' never dips under yin_threshold (the fallback path)
        "saw_glides": 0.5 * (2 * (glide_phase - np.floor(glide_phase)) - 1),
        "silence": np.zeros(n),
    }
    return {k: v.astype(np.float32).astype(np.float64) for k, v in signals.items()}


SIGNALS = _signals()
_REPORT: dict[str, float] = {}


@pytest.fixture(scope="module")
def parity_report() -> Iterator[dict[str, float]]:
    """Collects the measured errors; printed at the end of the module (see them with `pytest -s`)."""
    yield _REPORT
    for key in sorted(_REPORT):
        print(f"parity {key}: {_REPORT[key]:.3e}")


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_stft_and_log_mel_parity(name: str, parity_report: dict) -> None:
    x = SIGNALS[name]
    mag_c, phase_c, mel_c = engine.StftProcessor().analyze_signal(x.astype(np.float32))
    ref = stft(x)
    cpp = mag_c.astype(np.float64) * np.exp(1j * phase_c.astype(np.float64))
    scale = max(float(np.max(np.abs(ref))), 1e-30)
    rel = float(np.max(np.abs(cpp - ref))) / scale if np.any(ref) else float(np.max(np.abs(cpp)))
    assert rel <= 1e-5
    mel_ref = log_mel(np.abs(ref))
    # Compare where mel is above the log floor and above float32 rounding noise (~1e-7 of the frame's peak,
    # from the float32 window and FFT): within 60 dB (mel magnitude ratio 1e3) of the frame's largest band.
    frame_max = np.max(mel_ref, axis=0, keepdims=True)
    valid = (mel_ref > np.log(1e-10) + 1e-6) & (mel_ref > frame_max - np.log(1e3))
    mel_err = float(np.max(np.abs(mel_c - mel_ref)[valid])) if np.any(valid) else 0.0
    assert mel_err <= 1e-4
    floor_ok = np.all(mel_c[~valid & (mel_ref <= np.log(1e-10) + 1e-6)] <= np.float32(np.log(1e-10)) + 1e-4)
    assert floor_ok
    parity_report[f"stft_rel_{name}"] = rel
    parity_report[f"logmel_abs_{name}"] = mel_err


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_istft_ola_parity(name: str, parity_report: dict) -> None:
    mag, phase = magnitude_phase(SIGNALS[name])
    y_ref = istft_ola(mag, phase)
    y_cpp = engine.StftProcessor().synthesize(mag.astype(np.float32), phase.astype(np.float32))
    err = float(np.max(np.abs(y_cpp - y_ref)))
    assert y_cpp.shape == y_ref.shape
    assert err <= 1e-5
    parity_report[f"ola_abs_{name}"] = err


@pytest.mark.parametrize("name", sorted(SIGNALS))
@pytest.mark.parametrize("window", [960, 1920])
def test_f0_parity(name: str, window: int, parity_report: dict) -> None:
    x = SIGNALS[name]
    f0_ref = f0_track(x, window_length=window)
    f0_cpp = engine.PitchTracker(window).track(x.astype(np.float32)).astype(np.float64)
    np.testing.assert_array_equal(f0_cpp > 0, f0_ref > 0)
    voiced = f0_ref > 0
    rel = float(np.max(np.abs(f0_cpp[voiced] / f0_ref[voiced] - 1.0))) if np.any(voiced) else 0.0
    assert rel <= 1e-3
    if name == "sine":
        assert np.mean(voiced) > 0.9
    if name in ("silence", "noise"):
        assert not np.any(voiced)
    model_ref = f0_to_model_input(f0_ref, 3.0)
    model_cpp = np.array([engine.f0_to_model_input(float(f), 3.0) for f in f0_cpp])
    np.testing.assert_allclose(model_cpp, model_ref, atol=1e-3)
    parity_report[f"f0_rel_{name}_{window}"] = rel


@pytest.mark.parametrize("host", [48000, 44100])
def test_resampler_parity(host: int, parity_report: dict) -> None:
    rng = np.random.default_rng(host)
    x = (0.4 * rng.standard_normal(host // 4)).astype(np.float32).astype(np.float64)
    for in_rate, out_rate, delay in [(host, SAMPLE_RATE, host_delay(host)[0]), (SAMPLE_RATE, host, host_delay(host)[1])]:
        r = engine.PolyphaseResampler()
        assert r.prepare(in_rate, out_rate, 1000) == ""
        np.testing.assert_array_equal(r.taps, design_taps(in_rate, out_rate))
        assert r.host_delay == delay
        y_cpp = np.concatenate([r.process(x[i : i + 1000].astype(np.float32)) for i in range(0, x.shape[0], 1000)])
        y_ref = resample(x, in_rate, out_rate)
        assert y_cpp.shape == y_ref.shape
        err = float(np.max(np.abs(y_cpp - y_ref)))
        assert err <= 1e-5
        parity_report[f"resample_abs_{in_rate}_{out_rate}"] = err


def test_resampler_rejects_what_python_flags() -> None:
    r = engine.PolyphaseResampler()
    assert "unsupported" in r.prepare(44101, SAMPLE_RATE, 64)
    with pytest.raises(ValueError, match="not supported"):
        engine.compute_stream_timing(44101)


@pytest.mark.parametrize("host", [24000, 44100, 48000, 88200, 96000])
def test_stream_timing_parity(host: int) -> None:
    d_down, d_up = host_delay(host)
    expected = {
        "host_rate": host,
        "prefill": prefill(host),
        "hop_host": hop_host(host),
        "down_delay": d_down,
        "up_delay": d_up,
        "latency": latency_samples(host),
    }
    assert engine.compute_stream_timing(host) == expected
    assert expected["latency"] == expected["prefill"] + expected["hop_host"] + d_down + d_up
    assert hop_host(host) == round(HOP_LENGTH * host / SAMPLE_RATE)
