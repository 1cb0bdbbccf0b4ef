"""Speech intervals for `tmrvc-eval --speech_only`: voiced runs with their unvoiced edges are speech; silence,
steady room noise and an unvoiced breath in a pause are not; a converted output that differs only in its pauses
scores the same as one that does not."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tmrvc_eval.cli import EvalConfig
from tmrvc_eval.cli import main as run_eval
from tmrvc_eval.speech import cut, speech_intervals

SR = 24000


def tone(seconds: float, f0: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return 0.2 * sum(np.sin(2 * np.pi * k * f0 * t * (1 + 0.03 * np.sin(2 * np.pi * 3 * t))) / k for k in range(1, 8))


def noise(seconds: float, dbfs: float, rng: np.random.Generator) -> np.ndarray:
    return 10 ** (dbfs / 20) * rng.standard_normal(int(seconds * SR))


def utterance(rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """silence, fricative + vowel, pause with a breath, vowel, silence over −70 dBFS room noise; the speech spans."""
    parts = [np.zeros(int(0.3 * SR)), noise(0.08, -30, rng), tone(0.5, 130), np.zeros(int(0.2 * SR)),
             noise(0.3, -40, rng), np.zeros(int(0.2 * SR)), tone(0.5, 150), np.zeros(int(0.3 * SR))]
    x = np.concatenate(parts)
    return x + noise(len(x) / SR, -70, rng), [(0.3, 0.88), (1.58, 2.08)]


def test_speech_intervals_keep_speech_and_its_edges_and_leave_out_pauses() -> None:
    x, expected = utterance(np.random.default_rng(0))
    got = [(a / SR, b / SR) for a, b in speech_intervals(x, SR)]
    assert len(got) == len(expected), got
    for (a, b), (ea, eb) in zip(got, expected):
        assert a == pytest.approx(ea, abs=0.02) and b == pytest.approx(eb, abs=0.02), got
    assert cut(x, speech_intervals(x, SR)).size == sum(b - a for a, b in speech_intervals(x, SR))
    with pytest.raises(ValueError, match="no speech interval"):
        cut(x, [])


def test_speech_only_scores_ignore_what_fills_the_pauses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    x, _ = utterance(rng)
    spans = speech_intervals(x, SR)
    filled = x.copy()
    quiet = np.ones(x.size, bool)
    for a, b in spans:
        quiet[a:b] = False
    filled[quiet] += noise(x.size / SR, -25, rng)[quiet]  # a converter that turns the pauses into noise
    for d in ("src", "a", "b", "ref"):
        (tmp_path / d).mkdir()
    sf.write(tmp_path / "src" / "u.wav", x, SR)
    sf.write(tmp_path / "a" / "u.wav", x, SR)
    sf.write(tmp_path / "b" / "u.wav", filled, SR)
    sf.write(tmp_path / "ref" / "r.wav", tone(1.5, 140), SR)

    def summary(conv: str, speech_only: bool) -> dict:
        return run_eval(EvalConfig(converted=str(tmp_path / conv), source=str(tmp_path / "src"),
                                   target_ref=str(tmp_path / "ref"), ground_truth=str(tmp_path / "src"),
                                   out=str(tmp_path / f"o_{conv}_{speech_only}"), n_plots=0, wer=False,
                                   speech_only=speech_only, max_lag_s=0.0, progress=False))["summary"]

    whole_a, whole_b = summary("a", False), summary("b", False)
    assert abs(whole_a["mcd_db"] - whole_b["mcd_db"]) > 0.5  # the filled pauses count over whole utterances
    only_a, only_b = summary("a", True), summary("b", True)
    for key in ("mcd_db", "f0_correlation", "vuv_error", "loudness_rms_ratio_mean",
                "speaker_similarity_converted_to_target"):
        assert only_a[key] == pytest.approx(only_b[key], abs=1e-9), key
    with pytest.raises(ValueError, match="f0_align 'lag'"):
        run_eval(EvalConfig(converted=str(tmp_path / "a"), source=str(tmp_path / "src"),
                            target_ref=str(tmp_path / "ref"), out=str(tmp_path / "o"), speech_only=True,
                            f0_align="dtw", progress=False))
