"""Phone classes shared across languages: a cache built with `phone_classes: shared` names the phones of Czech,
Hindi, Finnish and English voices from one English-named set, so one sound is one class whatever the language."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tmrvc_data.cache import CacheConfig, utterance_phones
from tmrvc_data.cache import main as build_cache
from tmrvc_data.make_corpus import CorpusConfig
from tmrvc_data.make_corpus import main as make_corpus
from tmrvc_data.phone_classes import shared_phone
from tmrvc_data.preprocess import PreprocessConfig
from tmrvc_data.preprocess import main as preprocess

# festival's English (radio) phone set, as festival's kal speaks it; /ts/ is the one class English lacks.
ENGLISH = set("aa ae ah ao aw ax ay b ch d dh eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh t th uh uw v w y "
              "z zh pau".split())


def test_names_depend_on_the_language() -> None:
    assert shared_phone("cs", "ch") == "hh" and shared_phone("ru", "ch") == "ch" and shared_phone("hi", "ch") == "ch"
    assert shared_phone("cs", "a:") == shared_phone("it", "a1") == shared_phone("fi", "a") == "aa"
    assert shared_phone("hi", "a") == "ax" and shared_phone("hi", "j") == "jh" and shared_phone("cs", "j") == "y"
    assert shared_phone("en", "ch") == "ch" and shared_phone("en", "y") == "y"
    with pytest.raises(ValueError, match="per_language or shared"):
        utterance_phones({"phone_set": "festival", "phones": []}, "cs", "universal")


@pytest.fixture(scope="module")
def caches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shared")
    make_corpus(CorpusConfig(out=str(root / "corpus"), voices=("cs_dita", "hi_nsk", "fi_lj", "fest_kal"),
                             test_voices=("fi_lj",), n_sentences=2, n_val_sentences=0, n_test_sentences=1,
                             n_val_sentences_other=0, n_test_sentences_other=1, progress=False))
    preprocess(PreprocessConfig(manifest=str(root / "corpus/manifest.jsonl"), out=str(root / "pre"), progress=False))
    out = {}
    for classes in ("per_language", "shared"):
        out[classes] = root / classes
        build_cache(CacheConfig(manifest=str(root / "pre/manifest.jsonl"), out=str(out[classes]), progress=False,
                                phone_classes=classes))
    return out


def test_shared_cache_names_every_language_in_one_set(caches: dict[str, Path]) -> None:
    per_language = json.loads((caches["per_language"] / "phones.json").read_text())
    shared = json.loads((caches["shared"] / "phones.json").read_text())
    names = {p.split(":", 1)[1] for p in shared[1:]}
    assert names <= ENGLISH | {"ts", "dz"}, names - ENGLISH
    assert len(shared) < len(per_language)
    assert {"festival:a", "festival:i:", "festival:c~"} & set(per_language)  # Czech's own names, before
    # The same frames, the same timing: silence stays silence, and a Czech vowel 'a' becomes English 'aa'.
    for rec in (caches["shared"] / "index.jsonl").read_text().splitlines():
        uid = json.loads(rec)["utt_id"]
        a = np.load(caches["per_language"] / "phones" / f"{uid}.npy")
        b = np.load(caches["shared"] / "phones" / f"{uid}.npy")
        assert a.shape == b.shape and np.array_equal(a == 0, b == 0)
        if uid.startswith("cs_dita"):
            czech_a = a == per_language.index("festival:a")
            assert czech_a.any() and np.all(b[czech_a] == shared.index("festival:aa"))
