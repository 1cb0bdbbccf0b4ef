"""espeak-ng's English phonemes named in festival's English set: the renamed sequence is the one festival's own
front end gives for the same words, every phoneme espeak emits for the corpus's English has a name, and the corpus
option writes festival-named phone files for espeak voices while the held-out sentence draw stays as it was."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from tmrvc_data.make_corpus import CorpusConfig
from tmrvc_data.make_corpus import main as make_corpus
from tmrvc_data.phone_map import espeak_to_festival
from tmrvc_data.sentences import SENTENCES, TRAIN_ONLY_SENTENCES
from tmrvc_data.synth import EspeakSynth, festival_synth
from tmrvc_data.voices import voice_by_name


def _names(phones):  # type: ignore[no-untyped-def]
    return [p for p, _, _ in phones if p != "pau"]


def test_split_and_join_keep_the_time_line() -> None:
    phones = [("D", 0.0, 0.1), ("A@", 0.1, 0.3), ("i", 0.3, 0.4), (";", 0.4, 0.45), ("_:", 0.45, 0.6)]
    assert espeak_to_festival(phones) == [("dh", 0.0, 0.1), ("aa", 0.1, 0.2), ("r", 0.2, 0.3),
                                          ("iy", 0.3, 0.45), ("pau", 0.45, 0.6)]
    with pytest.raises(ValueError, match=r"\['Q!'\] have no festival name"):
        espeak_to_festival([("Q!", 0.0, 0.1)])


def test_every_english_sentence_maps() -> None:
    synth = EspeakSynth()
    for text in SENTENCES + TRAIN_ONLY_SENTENCES:
        phones = espeak_to_festival(synth.synth(text, voice_by_name("esp_f1"))[2])
        assert all(b >= a for _, a, b in phones) and phones[-1][2] > 0.5


@pytest.mark.parametrize("index", [0, 7, 21])
def test_renamed_espeak_agrees_with_festival(index: int) -> None:
    """The same sentence: espeak renamed vs festival's kal, phone by phone (pauses aside). Lexicon and vowel
    reduction differ between the two front ends, so most, not all, phones agree."""
    text = SENTENCES[index]
    espeak = _names(espeak_to_festival(EspeakSynth().synth(text, voice_by_name("esp_m1"))[2]))
    festival = _names(festival_synth(text, voice_by_name("fest_kal"))[2])
    ratio = difflib.SequenceMatcher(a=espeak, b=festival, autojunk=False).ratio()
    assert ratio > 0.8, (ratio, espeak, festival)


def test_corpus_option_renames_and_keeps_the_held_out_draw(tmp_path: Path) -> None:
    base = dict(voices=("esp_m1", "esp_f1"), test_voices=("esp_f1",), n_val_sentences=1, n_test_sentences=2,
                progress=False, workers=2)
    plain = CorpusConfig(out=str(tmp_path / "plain"), n_sentences=6, **base)
    renamed = CorpusConfig(out=str(tmp_path / "renamed"), n_sentences=6, espeak_english_phones="festival",
                           train_only_sentences=True, **base)
    make_corpus(plain)
    make_corpus(renamed)
    a = json.loads((tmp_path / "plain/splits.json").read_text())["sentences"]
    b = json.loads((tmp_path / "renamed/splits.json").read_text())["sentences"]
    assert a["test"] == b["test"] and a["val"] == b["val"]
    assert sorted(set(b["train"]) - set(a["train"])) == [f"t{i:03d}" for i in range(len(TRAIN_ONLY_SENTENCES))]
    ph = json.loads((tmp_path / "renamed/phones/esp_m1/esp_m1__s000.json").read_text())
    assert ph["phone_set"] == "festival" and _names(ph["phones"])[:3] == ["dh", "ax", "l"]
    old = json.loads((tmp_path / "plain/phones/esp_m1/esp_m1__s000.json").read_text())
    assert old["phone_set"] == "espeak" and _names(old["phones"])[0] == "D"
    # An existing corpus rebuilt with the other phone set rewrites its phone files.
    make_corpus(CorpusConfig(out=str(tmp_path / "plain"), n_sentences=6, espeak_english_phones="festival", **base))
    again = json.loads((tmp_path / "plain/phones/esp_m1/esp_m1__s000.json").read_text())
    assert again["phone_set"] == "festival"
