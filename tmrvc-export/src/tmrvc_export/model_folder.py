"""Write a complete model folder: ONNX (FP32 + INT8), gate, metadata.json, FiLM weights, constants, demo speaker.

converter_hq.onnx is written (FP32 only) when the students have an HQ converter; its FiLM initializers must equal
converter.onnx's by name and value."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import yaml

from tmrvc_core import constants as K
from tmrvc_core.dsp.f0 import f0_track
from tmrvc_core.dsp.mel import log_mel_from_audio
from tmrvc_core.speaker_file import SpeakerFile, write_speaker_file
from tmrvc_export.metadata import build_metadata, write_film_weights, write_metadata
from tmrvc_export.onnx_export import check_film_shared, export_model, kept_initializers, onnx_metadata_props
from tmrvc_export.quantize import FLOAT_IN_INT8, INT8_MODELS, keep_float, quantize_model
from tmrvc_export.verify import UNGATED, GateBounds, ModelReport, enforce_gate, report_dict, verify_model
from tmrvc_export.wrappers import model_specs
from tmrvc_train.models import MODEL_NAMES, StudentModels

DEMO_SPEAKER_FILE = "demo.tmrvc_speaker"


@dataclass
class ExportResult:
    out_dir: Path
    metadata: dict[str, Any]
    reports: dict[str, ModelReport] = field(default_factory=dict)
    file_sizes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def find_constants_yaml() -> Path:
    """configs/constants.yaml of the repository this package lives in (or of the working directory)."""
    for base in [Path(__file__).resolve(), Path.cwd().resolve()]:
        for parent in [base, *base.parents]:
            candidate = parent / "configs" / "constants.yaml"
            if candidate.is_file():
                return candidate
    raise ValueError("configs/constants.yaml not found above the tmrvc_export package or the working directory")


def check_constants_yaml(path: Path) -> None:
    """Refuse a constants.yaml whose hash differs from the generated CONSTANTS_HASH (stale generated files)."""
    values = yaml.safe_load(path.read_text())
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    if digest != K.CONSTANTS_HASH:
        raise ValueError(f"{path} hashes to {digest} but tmrvc_core.constants has {K.CONSTANTS_HASH}: run "
                         f"`uv run python scripts/generate_constants.py`")


def demo_signal(seed: int, seconds: float = 5.0) -> np.ndarray:
    """Seeded voice-like test signal at SAMPLE_RATE: harmonic source with vibrato and breath noise, (n,)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * K.SAMPLE_RATE)
    t = np.arange(n) / K.SAMPLE_RATE
    f0 = rng.uniform(110.0, 220.0) * (1.0 + 0.02 * np.sin(2 * np.pi * 5.0 * t))
    phase = 2 * np.pi * np.cumsum(f0) / K.SAMPLE_RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 25))
    return (0.1 * x + 0.003 * rng.standard_normal(n)).astype(np.float64)


def write_demo_speaker(students: StudentModels, out_dir: Path, model_id: str, seed: int) -> Path:
    """Enrol the random speaker encoder on :func:`demo_signal` and write demo.tmrvc_speaker."""
    x = demo_signal(seed)
    mel = torch.from_numpy(log_mel_from_audio(x).astype(np.float32))[None]
    with torch.no_grad():
        emb, lora = students.speaker_encoder(mel)
    f0 = f0_track(x)
    voiced = np.log(f0[f0 > 0]) if np.any(f0 > 0) else np.zeros(1)
    meta = {"name": "demo (random init)", "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model_id": model_id, "n_utterances": 1, "total_seconds": len(x) / K.SAMPLE_RATE,
            "f0_log_mean": float(voiced.mean()), "f0_log_std": float(voiced.std())}
    path = out_dir / DEMO_SPEAKER_FILE
    write_speaker_file(path, SpeakerFile(emb[0].numpy(), lora[0].numpy(), meta))
    return path


def _prepare_target(out_dir: Path) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ValueError(f"output dir {out_dir} exists and is not a directory")
        if any(out_dir.iterdir()) and not (out_dir / "metadata.json").is_file():
            raise ValueError(f"output dir {out_dir} is not empty and holds no model folder; refusing to overwrite")
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)


def _export_and_verify(students: StudentModels, stage: Path, n_frames: int, bounds: GateBounds,
                       log: Callable[[str], None]) -> tuple[dict[str, ModelReport], dict[str, str]]:
    specs = model_specs(students)
    film = [f"film.{i}.weight" for i in range(len(students.converter.film))]
    kept = kept_initializers(students)
    reports, int8_files = {}, {}
    for name in MODEL_NAMES + (("converter_hq",) if "converter_hq" in specs else ()):
        t0 = time.perf_counter()
        export_model(name, students, specs[name], stage / f"{name}.onnx")
        int8_path = None
        if name in INT8_MODELS:
            int8_path = stage / "int8" / f"{name}.onnx"
            if name in FLOAT_IN_INT8:
                keep_float(stage / f"{name}.onnx", int8_path, onnx_metadata_props(specs[name]))
            else:
                quantize_model(stage / f"{name}.onnx", int8_path, onnx_metadata_props(specs[name]),
                               kept if name == "converter" else [])
            int8_files[name] = f"int8/{name}.onnx"
        if name == "converter_hq":  # FP32 only; the engine uses it for the INT8 folder too
            check_film_shared(stage / "converter.onnx", stage / "converter_hq.onnx", film)
        rep = verify_model(name, students, specs[name], stage / f"{name}.onnx", int8_path, n_frames, bounds=bounds)
        reports[name] = rep
        worst = max(m["max_abs"] for k, m in rep.fp32.items() if k not in UNGATED)
        int8_txt = ""
        if rep.int8:
            int8_worst = max(m["worst_frame_rel"] for k, m in rep.int8.items() if k not in UNGATED)
            int8_txt = f", int8 worst frame {int8_worst:.3g} of RMS"
        log(f"[export] {name}: {'ok' if rep.passed else 'FAILED'} (max abs {worst:.2e}{int8_txt}, "
            f"{time.perf_counter() - t0:.1f} s)")
        enforce_gate([rep], bounds)
    return reports, int8_files


def export_model_folder(students: StudentModels, out_dir: str | Path, training: dict[str, Any], *,
                        demo_speaker: bool = False, seed: int = 0, n_frames: int = 100,
                        bounds: GateBounds = GateBounds(), log: Callable[[str], None] = print) -> ExportResult:
    """Export ``students`` into ``out_dir`` (built in a staging folder, moved into place only if the gate passes).

    Raises ExportGateError (gate), ExportError (contract) or ValueError (arguments) and leaves ``out_dir`` as it was.
    """
    if n_frames < 100:
        raise ValueError(f"n_frames: the export gate needs at least 100 streamed frames, got {n_frames}")
    t_start = time.perf_counter()
    out_dir = Path(out_dir)
    constants_yaml = find_constants_yaml()
    check_constants_yaml(constants_yaml)
    students.eval()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        reports, int8_files = _export_and_verify(students, stage, n_frames, bounds, log)
        film_weights = write_film_weights(students, stage)
        metadata = build_metadata(students, model_specs(students), stage, training, film_weights, int8_files)
        metadata["verification"] = {name: report_dict(r) for name, r in reports.items()}
        write_metadata(stage, metadata)
        shutil.copyfile(constants_yaml, stage / "constants.yaml")
        if demo_speaker:
            write_demo_speaker(students, stage, metadata["model_id"], seed)
        _prepare_target(out_dir)
        stage.rename(out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    sizes = {str(p.relative_to(out_dir)): p.stat().st_size for p in sorted(out_dir.rglob("*")) if p.is_file()}
    return ExportResult(out_dir, metadata, reports, sizes, time.perf_counter() - t_start)
