"""The synthetic corpus builder and the preprocessing step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from tmrvc_core.constants import SAMPLE_RATE
from tmrvc_data.make_corpus import CorpusConfig, split_names
from tmrvc_data.make_corpus import main as make_corpus
from tmrvc_data.manifest import Utterance, read_manifest, write_manifest
from tmrvc_data.preprocess import PreprocessConfig, resample_aligned
from tmrvc_data.preprocess import main as preprocess
from tmrvc_data.voices import BUILTIN_VOICES

TINY_VOICES = ("esp_m1", "esp_f2", "fest_kal")  # as in conftest.py


def test_builtin_voices_and_splits() -> None:
    assert len(BUILTIN_VOICES) >= 16 and len({v.name for v in BUILTIN_VOICES}) == len(BUILTIN_VOICES)
    s = split_names([f"v{i}" for i in range(10)], 2, 3, 7, "voices")
    assert (len(s["train"]), len(s["val"]), len(s["test"])) == (5, 2, 3)
    assert set(s["train"]) | set(s["val"]) | set(s["test"]) == {f"v{i}" for i in range(10)}
    assert s == split_names([f"v{i}" for i in reversed(range(10))], 2, 3, 7, "voices")
    with pytest.raises(ValueError, match="at least one training"):
        split_names(["a", "b"], 1, 1, 0, "voices")


def test_corpus_is_parallel_split_and_timed(tiny_corpus: Path) -> None:
    utts = list(read_manifest(tiny_corpus / "manifest.jsonl"))
    assert len(utts) == len(TINY_VOICES) * 3
    splits = json.loads((tiny_corpus / "splits.json").read_text())
    for kind in ("voices", "sentences"):
        parts = [set(splits[kind][p]) for p in ("train", "val", "test")]
        assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    by_sentence: dict[str, set] = {}
    for u in utts:
        by_sentence.setdefault(u.sentence, set()).add(u.speaker)
        x, sr = sf.read(tiny_corpus / u.path)
        assert len(x) / sr == pytest.approx(u.duration, abs=1e-3) and np.max(np.abs(x)) > 0.05
        ph = json.loads((tiny_corpus / u.extra["phones"]).read_text())
        starts = [a for _, a, _ in ph["phones"]]
        assert len(ph["phones"]) > 10 and starts == sorted(starts)
        assert ph["phones"][-1][2] <= u.duration + 1e-3
        want = "train" if u.speaker in splits["voices"]["train"] and u.sentence in splits["sentences"]["train"] \
            else None
        if want:
            assert u.split == "train"
    assert all(v == set(TINY_VOICES) for v in by_sentence.values())


def test_corpus_is_deterministic_and_resumes(tiny_corpus: Path, tmp_path: Path) -> None:
    cfg = CorpusConfig(out=str(tmp_path / "c"), voices=("esp_m1", "fest_kal"), n_sentences=2, n_val_voices=0,
                       n_test_voices=1, n_val_sentences=0, n_test_sentences=1, progress=False, workers=1)
    make_corpus(cfg)
    for v in ("esp_m1", "fest_kal"):
        a = (tmp_path / "c" / "wavs" / v / f"{v}__s000.wav").read_bytes()
        assert a == (tiny_corpus / "wavs" / v / f"{v}__s000.wav").read_bytes()
    stamp = (tmp_path / "c" / "wavs" / "esp_m1" / "esp_m1__s001.wav").stat().st_mtime_ns
    make_corpus(cfg)
    assert (tmp_path / "c" / "wavs" / "esp_m1" / "esp_m1__s001.wav").stat().st_mtime_ns == stamp


def test_resample_aligned_keeps_timing() -> None:
    sr = 22050
    x = np.zeros(sr)
    x[sr // 2] = 1.0
    y = resample_aligned(x, sr)
    assert len(y) == SAMPLE_RATE
    assert abs(int(np.argmax(y)) - SAMPLE_RATE // 2) <= 1


def _write_padded(tmp_path: Path) -> Path:
    """A manifest of one 16 kHz utterance with 0.6 s of silence before and after and a 5 s body."""
    rng = np.random.default_rng(0)
    sr = 16000
    t = np.arange(5 * sr) / sr
    body = 0.05 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    body = body + 0.002 * rng.standard_normal(len(t))
    x = np.concatenate([np.zeros(int(0.6 * sr)), body, np.zeros(int(0.6 * sr))])
    sf.write(tmp_path / "u.wav", x, sr)
    m = tmp_path / "in.jsonl"
    write_manifest(m, [Utterance("u", "u.wav", "spk", len(x) / sr, text="hello")])
    return m


def test_preprocess_resamples_normalises_trims_segments(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    m = _write_padded(tmp_path)
    cfg = PreprocessConfig(manifest=str(m), out=str(tmp_path / "out"), max_segment_s=2.0, trim_margin_s=0.05,
                           target_lufs=-20.0, progress=False, workers=1)
    segs = preprocess(cfg)
    assert len(segs) in (3, 4) and all(0.5 <= u.duration <= 2.0 for u in segs)
    assert sum(u.duration for u in segs) == pytest.approx(5.1, abs=0.05)
    assert segs[0].text == "" and segs[0].extra["parent_text"] == "hello"
    whole = np.concatenate([sf.read(tmp_path / "out" / u.path)[0] for u in segs])
    assert sf.info(str(tmp_path / "out" / segs[0].path)).samplerate == SAMPLE_RATE
    assert pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(whole) == pytest.approx(-20.0, abs=0.5)
    stamp = (tmp_path / "out" / segs[0].path).stat().st_mtime_ns
    capsys.readouterr()
    again = preprocess(cfg)
    assert "nothing to do" in capsys.readouterr().out
    assert again == segs and (tmp_path / "out" / segs[0].path).stat().st_mtime_ns == stamp
    with pytest.raises(ValueError, match="other settings"):
        preprocess(PreprocessConfig(manifest=str(m), out=str(tmp_path / "out"), target_lufs=-30.0, progress=False))


def test_preprocess_moves_phone_timings(tiny_corpus: Path, tiny_pre: Path) -> None:
    for u in read_manifest(tiny_pre / "manifest.jsonl"):
        ph = json.loads((tiny_pre / u.extra["phones"]).read_text())["phones"]
        assert ph and ph[0][1] >= 0.0 and ph[-1][2] <= u.duration + 1e-4
        orig = json.loads((tiny_corpus / "phones" / u.speaker / f"{u.utt_id}.json").read_text())["phones"]
        real = [p for p in orig if p[0] not in ("_", "_:", "pau")]
        assert real[0][0] in [p[0] for p in ph[:3]]
