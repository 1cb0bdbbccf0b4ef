"""Shared fixtures for the export tests: one tiny random-init model folder per session."""

from __future__ import annotations

import pytest

from tmrvc_export.cli import ExportConfig, main


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory):
    """(ExportResult, seed) of `tmrvc-export --random-init --size tiny --seed 7` run in-process."""
    out = tmp_path_factory.mktemp("export") / "models"
    result = main(ExportConfig(out, random_init=True, seed=7, size="tiny", quiet=True))
    return result, 7
