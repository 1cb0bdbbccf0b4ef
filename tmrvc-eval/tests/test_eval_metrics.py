"""Each metric on constructed signals whose right answer is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tmrvc_core.constants import SAMPLE_RATE
from tmrvc_eval.audio import load
from tmrvc_eval.metrics.codebook import perplexities_from_file, perplexity
from tmrvc_eval.metrics.f0 import compare_f0, f0_contour, find_lag, shift_contour
from tmrvc_eval.metrics.level import rms_ratio, tonal_artefact_db
from tmrvc_eval.metrics.mcd import mcd_db
from tmrvc_eval.metrics.speaker import SpeakerJudge, cosine, same_speaker_baseline, speaker_centroid
from tmrvc_eval.metrics.wer import Recogniser, edit_distance, wer



def wav(corpus: Path, voice: str, sentence: str) -> Path:
    return corpus / "wavs" / voice / f"{voice}__{sentence}.wav"

SR = SAMPLE_RATE


def test_mcd_same_is_zero_and_other_voice_is_worse(eval_corpus: Path) -> None:
    a, _ = load(wav(eval_corpus, "esp_m1", "s000"), SR)
    b, _ = load(wav(eval_corpus, "esp_f2", "s000"), SR)
    assert mcd_db(a, a, SR) == pytest.approx(0.0, abs=1e-9)
    delayed = mcd_db(a, np.concatenate([np.zeros(2400), 0.5 * a]), SR)  # DTW absorbs delay; c0 (level) excluded
    far = mcd_db(a, b, SR)
    assert delayed < 1.0 and far > 5.0


def test_speaker_judge_orders_voices(eval_corpus: Path) -> None:
    judge = SpeakerJudge()
    e = {(v, s): judge.embed(load(wav(eval_corpus, v, s), SR)[0], SR)
         for v in ("esp_m1", "esp_f2") for s in ("s000", "s001")}
    assert cosine(e[("esp_m1", "s000")], e[("esp_m1", "s000")]) == pytest.approx(1.0, abs=1e-6)
    same = cosine(e[("esp_m1", "s000")], e[("esp_m1", "s001")])
    other = cosine(e[("esp_m1", "s000")], e[("esp_f2", "s001")])
    assert same > other + 0.05
    refs = [e[("esp_m1", "s000")], e[("esp_m1", "s001")]]
    assert same_speaker_baseline(refs) == pytest.approx(same, abs=1e-6)
    assert same_speaker_baseline(refs[:1]) is None
    assert np.linalg.norm(speaker_centroid(refs)) == pytest.approx(1.0)
    # Audio the judge's VAD finds no speech in is scored whole (a bad conversion gets a score, not a crash) ...
    assert judge.untrimmed == 0
    hum = 0.3 * np.sin(2 * np.pi * 50.0 * np.arange(SR) / SR)
    assert np.linalg.norm(judge.embed(hum, SR)) == pytest.approx(1.0, abs=1e-5)
    assert judge.untrimmed == 1
    # ... but digital silence has nothing to embed.
    with pytest.raises(ValueError, match="silent"):
        judge.embed(np.zeros(SR), SR)


def _tone(f0: np.ndarray, hop: int = SR // 100) -> np.ndarray:
    """Harmonic tone following a per-10 ms F0 contour (0 = silence)."""
    f = np.repeat(f0, hop)
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    return 0.2 * x * (f > 0)


def test_f0_scores_known_answers() -> None:
    contour = np.concatenate([np.zeros(20), np.linspace(100, 180, 150) + 8 * np.sin(np.arange(150) / 6), np.zeros(20)])
    x = _tone(contour)
    fx = f0_contour(x, SR)
    s = compare_f0(fx, fx)
    assert s.correlation == pytest.approx(1.0) and s.rmse_cents == 0.0 and s.vuv_error == 0.0
    up = f0_contour(_tone(contour * 2 ** (100 / 1200)), SR)
    s_up = compare_f0(up, fx)
    assert s_up.rmse_cents == pytest.approx(100.0, abs=15.0) and s_up.correlation > 0.95
    assert compare_f0(up, shift_contour(fx, np.log(2) / 12)).rmse_cents < 15.0
    assert compare_f0(fx, fx[::-1]).correlation < 0.5
    assert find_lag(np.concatenate([np.zeros(1200), x]), x, SR, 0.2) == 1200


def test_loudness_ratio_and_artefact_index() -> None:
    rng = np.random.default_rng(0)
    x = _tone(np.full(200, 150.0)) + 0.01 * rng.standard_normal(200 * SR // 100)
    assert rms_ratio(2 * x, x) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="zero"):
        rms_ratio(x, np.zeros(10))
    t = np.arange(len(x)) / SR
    base = tonal_artefact_db(x, SR)
    whistle = tonal_artefact_db(x + 0.003 * np.sin(2 * np.pi * 9000 * t), SR)
    low_tone = tonal_artefact_db(x + 0.003 * np.sin(2 * np.pi * 3000 * t), SR)
    assert whistle > base + 10.0 and low_tone < base + 3.0


def test_wer_and_recogniser(eval_corpus: Path) -> None:
    assert edit_distance("a b c".split(), "a x c d".split()) == 2
    assert wer(["the cat sat"], ["the cat sat"]) == 0.0 and wer(["a b"], [""]) == 1.0
    import json
    text = json.loads((eval_corpus / "manifest.jsonl").read_text().splitlines()[0])["text"]
    first = json.loads((eval_corpus / "manifest.jsonl").read_text().splitlines()[0])
    rec = Recogniser(text.lower().replace(".", "").split() + ["zzzqx"])
    assert rec.oov == ["zzzqx"]
    x, _ = load(eval_corpus / first["path"], 16000)
    assert wer([text], [rec.transcribe(x)]) <= 0.5
    assert wer([text], [rec.transcribe(0.001 * np.random.default_rng(0).standard_normal(16000))]) >= 0.8


def test_codebook_perplexity(tmp_path: Path) -> None:
    assert perplexity(np.arange(64) % 16, 16) == pytest.approx(16.0)
    assert perplexity(np.zeros(100, dtype=int), 16) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="codes must lie"):
        perplexity(np.array([0, 20]), 16)
    np.savez(tmp_path / "c.npz", q0=np.arange(32) % 8, q1=np.zeros(5, dtype=int), codebook_size=np.array(8))
    assert perplexities_from_file(tmp_path / "c.npz") == pytest.approx({"q0": 8.0, "q1": 1.0})
