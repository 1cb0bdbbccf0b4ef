"""A tiny parallel corpus (4 espeak voices × 2 sentences) shared by the harness tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tmrvc_data.make_corpus import CorpusConfig
from tmrvc_data.make_corpus import main as make_corpus


@pytest.fixture(scope="session")
def eval_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("evalcorpus")
    make_corpus(CorpusConfig(out=str(out), voices=("esp_m1", "esp_f2", "esp_klatt4", "esp_m6"), n_sentences=2,
                             n_val_voices=0, n_test_voices=3, n_val_sentences=0, n_test_sentences=1,
                             progress=False, workers=1))
    return out
