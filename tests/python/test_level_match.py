"""Level match (tmrvc_core.dsp.level and its C++ twin tmrvc::LevelMatcher): the output's level follows the input's
within the gain limits, silence holds the gain, the two implementations agree, and tmrvc-convert's output keeps
the input's level (docs/dsp-and-streaming.md, "Level match")."""

from __future__ import annotations

import numpy as np
import pytest

import tmrvc_engine
from tmrvc_core.constants import LEVEL_MATCH_MAX_DB, N_FREQ_BINS
from tmrvc_core.dsp.level import LevelMatcher


HOP = 240


def python_match(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    m = LevelMatcher()
    return np.concatenate([m.process(x[t:t + HOP], y[t:t + HOP]) for t in range(0, x.size, HOP)])


def cpp_match(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return tmrvc_engine.LevelMatcher().process(x.astype(np.float32), y.astype(np.float32))


IMPLEMENTATIONS = {"python": python_match, "cpp": cpp_match}


def noise(rms: float, hops: int, seed: int) -> np.ndarray:
    return (rms * np.random.default_rng(seed).standard_normal(hops * HOP)).astype(np.float32)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_a_steadily_louder_output_is_brought_to_the_input_level(impl: str) -> None:
    x, y = noise(0.05, 300, 0), noise(0.15, 300, 1)  # the models come out 9.5 dB hot
    out = IMPLEMENTATIONS[impl](x, y)
    assert rms(out[200 * HOP:]) == pytest.approx(0.05, rel=0.05)
    assert rms(out[:20 * HOP]) == pytest.approx(0.05, rel=0.1)  # from the first hops: the followers start at 0
    steps = np.abs(np.diff(out / y))
    assert steps.max() < 0.01  # ramped: no hop-to-hop gain step


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_the_gain_stays_within_its_limits_and_holds_through_silence(impl: str) -> None:
    limit = 10 ** (LEVEL_MATCH_MAX_DB / 20)
    x = np.concatenate([noise(0.1, 200, 2), np.zeros(100 * HOP, np.float32)])
    y = np.concatenate([noise(0.0001, 200, 3), noise(0.3, 100, 4)])  # 60 dB quieter: capped at +12 dB
    out = IMPLEMENTATIONS[impl](x, y)
    gain = out / y
    np.testing.assert_allclose(gain[150 * HOP:], limit, rtol=1e-5)  # ... and held while the input is silent
    silent_in = IMPLEMENTATIONS[impl](np.zeros(50 * HOP, np.float32), noise(0.3, 50, 5))
    np.testing.assert_array_equal(silent_in, noise(0.3, 50, 5))  # nothing heard yet: unity


def test_cpp_and_python_match_the_same_way() -> None:
    rng = np.random.default_rng(7)
    contour = np.repeat(np.exp(rng.normal(-3.0, 1.0, 400)), HOP)  # a level contour with pauses under the gate
    contour[150 * HOP:190 * HOP] = 1e-5
    x = noise(1.0, 400, 8) * contour.astype(np.float32)
    y = noise(1.0, 400, 9) * (contour * np.repeat(np.exp(rng.normal(0.5, 0.5, 400)), HOP)).astype(np.float32)
    np.testing.assert_allclose(cpp_match(x, y), python_match(x, y), rtol=1e-5, atol=1e-9)


def test_tmrvc_convert_keeps_the_input_level_and_can_leave_it_to_the_models(tmp_path, tiny_models) -> None:
    """Tiny random models put out whatever level their weights give; the level match brings the converted file to
    the input's RMS, and --no-level-match leaves it where the models put it."""
    from test_convert_cli import CONVERT, read_wav, run, speech_like, write_wav

    assert CONVERT.is_file()
    rate = 48000
    ratios = {}
    for level in (0.03, 0.1):  # the same voice 10 dB apart
        x = speech_like(rate, 2.0) * level / 0.1
        src = write_wav(tmp_path / f"in{level}.wav", x, rate)
        for flag in ((), ("--no-level-match",)):
            out = tmp_path / f"out{level}{len(flag)}.wav"
            p = run("--models", tiny_models, "--speaker", tiny_models / "demo.tmrvc_speaker", *flag, src, out)
            assert p.returncode == 0, p.stderr
            _, y = read_wav(out)
            lat = 1310  # 48 kHz, block 256: compare the converted span with the input it came from
            ratios[(level, bool(flag))] = float(np.sqrt(np.mean(y[lat:] ** 2) / np.mean(x[:-lat] ** 2)))
    print({k: round(v, 3) for k, v in ratios.items()})
    for level in (0.03, 0.1):
        assert 0.8 <= ratios[(level, False)] <= 1.25, ratios
    assert any(not 0.8 <= ratios[(level, True)] <= 1.25 for level in (0.03, 0.1)), ratios
