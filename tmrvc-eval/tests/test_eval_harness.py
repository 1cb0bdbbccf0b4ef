"""The `tmrvc-eval` harness end to end, and the three baselines that bracket a real conversion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tmrvc_eval.baselines import BaselineConfig, _gap
from tmrvc_eval.baselines import main as baselines
from tmrvc_eval.cli import EvalConfig
from tmrvc_eval.cli import main as run_eval



def wav(corpus: Path, voice: str, sentence: str) -> Path:
    return corpus / "wavs" / voice / f"{voice}__{sentence}.wav"


def test_harness_writes_metrics_report_and_plots(eval_corpus: Path, tmp_path: Path) -> None:
    src, conv, refs = tmp_path / "src", tmp_path / "conv", tmp_path / "refs"
    for d in (src, conv, refs):
        d.mkdir()
    shutil.copy(wav(eval_corpus, "esp_m1", "s000"), src / "u1.wav")
    shutil.copy(wav(eval_corpus, "esp_m1", "s000"), conv / "u1.wav")
    for s in ("s000", "s001"):
        shutil.copy(wav(eval_corpus, "esp_f2", s), refs / f"{s}.wav")
    out = tmp_path / "out"
    res = run_eval(EvalConfig(converted=str(conv), source=str(src), target_ref=str(refs), out=str(out),
                              progress=False))
    s = res["summary"]
    assert s["speaker_similarity_converted_to_target"] == pytest.approx(s["speaker_similarity_source_to_target"])
    assert s["speaker_similarity_same_speaker_baseline"] > s["speaker_similarity_converted_to_target"]
    assert s["f0_correlation"] == pytest.approx(1.0) and s["loudness_rms_ratio_mean"] == pytest.approx(1.0)
    assert s["mcd_db"] is None and "wer_converted" not in s
    assert any("intelligibility omitted" in n for n in res["notes"])
    assert json.loads((out / "metrics.json").read_text())["n_utterances"] == 1
    for f in ("report.md", "metrics.png", "mel_u1.png", "f0_u1.png"):
        assert (out / f).stat().st_size > 0
    (conv / "extra.wav").write_bytes((conv / "u1.wav").read_bytes())
    with pytest.raises(ValueError, match="without a source file"):
        run_eval(EvalConfig(converted=str(conv), source=str(src), target_ref=str(refs), out=str(out),
                            progress=False))


def test_baselines_bracket_the_metrics(eval_corpus: Path, tmp_path: Path) -> None:
    res = baselines(BaselineConfig(corpus=str(eval_corpus), out=str(tmp_path / "b"), n_refs=1, progress=False))
    ident, gt, other = res["identity"], res["ground_truth"], res["other_voice"]
    assert gt["speaker_similarity_converted_to_target"] > ident["speaker_similarity_converted_to_target"]
    assert gt["mcd_db"] == pytest.approx(0.0, abs=1e-6) and ident["mcd_db"] > 4.0 and other["mcd_db"] > 4.0
    assert ident["f0_correlation"] == pytest.approx(1.0) and ident["vuv_error"] == 0.0
    assert ident["wer_converted"] == ident["wer_source"]
    assert (tmp_path / "b" / "brackets.md").is_file()


def test_gap_closed() -> None:
    res = {"identity": {"m": 10.0, "n": None}, "ground_truth": {"m": 2.0, "n": 1.0}, "system": {"m": 4.0, "n": 1.0}}
    assert _gap(res) == {"m": pytest.approx(0.75), "n": None}
