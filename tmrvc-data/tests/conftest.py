"""Shared fixtures: a tiny synthetic corpus (3 voices × 2 sentences), its preprocessed copy and cache,
built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tmrvc_data.cache import CacheConfig
from tmrvc_data.cache import main as build_cache
from tmrvc_data.make_corpus import CorpusConfig
from tmrvc_data.make_corpus import main as make_corpus
from tmrvc_data.preprocess import PreprocessConfig
from tmrvc_data.preprocess import main as preprocess

TINY_VOICES = ("esp_m1", "esp_f2", "fest_kal")


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    make_corpus(CorpusConfig(out=str(out), voices=TINY_VOICES, n_sentences=3, n_val_voices=1, n_test_voices=1,
                             n_val_sentences=1, n_test_sentences=1, progress=False))
    return out


@pytest.fixture(scope="session")
def tiny_pre(tiny_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pre")
    preprocess(PreprocessConfig(manifest=str(tiny_corpus / "manifest.jsonl"), out=str(out), progress=False))
    return out


@pytest.fixture(scope="session")
def tiny_cache(tiny_pre: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cache")
    build_cache(CacheConfig(manifest=str(tiny_pre / "manifest.jsonl"), out=str(out), progress=False))
    return out
