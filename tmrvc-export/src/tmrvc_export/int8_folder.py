"""A complete model folder whose per-frame models are the INT8 ones (torch-free, so the Research Studio can
call it in its own process)."""

from __future__ import annotations

import shutil
from pathlib import Path


def make_int8_folder(models: Path, dest: Path) -> None:
    """Copy `models` to `dest` with `models/int8/*.onnx` in place of the FP32 files (same metadata and model_id)."""
    if not (models / "int8").is_dir():
        raise ValueError(f"{models} has no int8/ folder: export with INT8 first")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(models, dest, ignore=shutil.ignore_patterns("int8"))
    for f in (models / "int8").glob("*.onnx"):
        shutil.copy2(f, dest / f.name)
    shutil.copytree(models / "int8", dest / "int8")
