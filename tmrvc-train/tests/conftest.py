"""Fixtures of the training tests (owned by the training stages): a tiny feature cache built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def train_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest_train import make_tiny_cache

    return make_tiny_cache(tmp_path_factory.mktemp("train_corpus"))
