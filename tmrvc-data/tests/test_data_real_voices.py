"""Real-recorded voices in the corpus: each speaks its own language's sentences with phone timings, a held-out
person is held out under every name, and the voices reserved for independent evaluation are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tmrvc_data.make_corpus import CorpusConfig, split_voices
from tmrvc_data.make_corpus import main as make_corpus
from tmrvc_data.manifest import read_manifest
from tmrvc_data.sentences import sentences_for
from tmrvc_data.synth import parse_psdur
from tmrvc_data.voices import REAL_VOICES, RESERVED_EVAL_VOICES, voice_by_name, voice_group


def test_real_voice_registry() -> None:
    names = [v.name for v in REAL_VOICES]
    assert len(names) == len(set(names)) >= 18
    assert {v.language for v in REAL_VOICES} == {"en", "hi", "mr", "te", "it", "ca", "cs", "ru", "fi"}
    assert all(v.real and v.engine in ("festival", "flite") for v in REAL_VOICES)
    for v in REAL_VOICES:
        assert len(sentences_for(v.language)) >= 16
    assert voice_group(voice_by_name("cs_dita")) == "real_world"
    assert voice_group(voice_by_name("flite_slt")) == "real_en"
    assert voice_group(voice_by_name("esp_m1")) == "espeak"
    for name in RESERVED_EVAL_VOICES:
        with pytest.raises(ValueError, match="reserved for independent held-out evaluation"):
            voice_by_name(name)


def test_parse_psdur() -> None:
    phones = parse_psdur("pau:0.184 dh:0.251 ax:0.296\n")
    assert phones == [("pau", 0.0, 0.184), ("dh", 0.184, 0.251), ("ax", 0.251, 0.296)]


def test_held_out_person_under_every_name() -> None:
    names = ["fest_slt", "flite_slt", "fest_kal", "cs_dita", "cs_ph"]
    split = split_voices(names, CorpusConfig(test_voices=("fest_slt",), val_voices=("cs_ph",)))
    assert split["test"] == ["fest_slt", "flite_slt"] and split["val"] == ["cs_ph"]
    assert split["train"] == ["cs_dita", "fest_kal"]
    with pytest.raises(ValueError, match="not among the corpus voices"):
        split_voices(names, CorpusConfig(test_voices=("esp_m1",)))
    with pytest.raises(ValueError, match="both in val and test"):
        split_voices(names, CorpusConfig(test_voices=("cs_ph",), val_voices=("cs_ph",)))


def test_real_voices_speak_their_language(tmp_path: Path) -> None:
    voices = ("cs_dita", "cs_machac", "fi_lj", "flite_kal", "hi_nsk")
    cfg = CorpusConfig(out=str(tmp_path / "c"), voices=voices, test_voices=("cs_machac",), n_sentences=2,
                       n_val_sentences=0, n_test_sentences=1,
                       n_val_sentences_other=0, n_test_sentences_other=1, progress=False, workers=2)
    utts = make_corpus(cfg)
    assert len(utts) == len(voices) * 2
    for u in utts:
        spec = voice_by_name(u.speaker)
        assert u.language == spec.language and u.text in sentences_for(spec.language)[:2]
        x, sr = sf.read(tmp_path / "c" / u.path)
        assert len(x) / sr > 0.8 and np.max(np.abs(x)) > 0.05
        ph = json.loads((tmp_path / "c" / u.extra["phones"]).read_text())
        names = [p for p, _, _ in ph["phones"]]
        # the front end read the text: one phone per letter or so, no spelled-out "unknown character"
        assert len(names) >= 0.5 * len(u.text.split()) * 3 and "#" not in names
        assert ph["phones"][-1][2] <= u.duration + 1e-3
    splits = json.loads((tmp_path / "c" / "splits.json").read_text())
    assert splits["voices"]["test"] == ["cs_machac"]
    langs = {u.sentence.split("_")[0] if "_" in u.sentence else "en" for u in read_manifest(tmp_path / "c" /
                                                                                           "manifest.jsonl")}
    assert langs == {"cs", "fi", "en", "hi"}
    # Czech read as Latin-2: "Malý chlapec běžel ..." contains the long vowel and the soft consonants.
    czech = json.loads((tmp_path / "c" / "phones" / "cs_dita" / "cs_dita__cs_s000.json").read_text())
    czech_names = [p for p, _, _ in czech["phones"]]
    assert "i:" in czech_names and "z~" in czech_names
