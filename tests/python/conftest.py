"""Puts the built pybind11 module `tmrvc_engine` on sys.path: $TMRVC_BUILD_DIR/tmrvc-engine or build/tmrvc-engine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
_BUILD = Path(os.environ.get("TMRVC_BUILD_DIR", _ROOT / "build"))
_MODULE_DIR = _BUILD / "tmrvc-engine"
if _MODULE_DIR.is_dir() and str(_MODULE_DIR) not in sys.path:
    sys.path.insert(0, str(_MODULE_DIR))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model folder exported from tiny random-weight students (+ demo.tmrvc_speaker), made once per run."""
    from tmrvc_export.cli import ExportConfig, main

    out = tmp_path_factory.mktemp("tiny_models")
    main(ExportConfig(output_dir=out, random_init=True, size="tiny", seed=3, quiet=True))
    return out
