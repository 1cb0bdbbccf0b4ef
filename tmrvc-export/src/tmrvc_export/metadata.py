"""metadata.json and converter_film.bin of a model folder."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from tmrvc_core import constants as K
from tmrvc_export.wrappers import ModelSpec
from tmrvc_train.models import StudentModels, config_to_dict
from tmrvc_train.models.speaker_bank import INITIALIZER_NAMES as BANK_INITIALIZERS

METADATA_VERSION = 1
FILM_FILE = "converter_film.bin"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_film_weights(students: StudentModels, out_dir: Path) -> dict[str, Any]:
    """Write the LoRA'd FiLM layers' base weights (float32 LE, row-major, layer after layer); → film_weights."""
    layers = []
    offset = 0
    chunks = []
    for idx in students.converter.cfg.lora_layers:
        w = students.converter.film[idx].weight.detach().cpu().numpy().astype("<f4")
        layers.append({"name": f"film.{idx}.weight", "offset_bytes": offset, "shape": list(w.shape)})
        chunks.append(np.ascontiguousarray(w).tobytes())
        offset += w.nbytes
    (out_dir / FILM_FILE).write_bytes(b"".join(chunks))
    return {"file": FILM_FILE, "dtype": "float32", "layers": layers}


def lora_info(students: StudentModels) -> dict[str, Any]:
    cfg = students.converter.cfg
    return {"rank": cfg.lora_rank, "alpha": cfg.lora_alpha, "layers": list(cfg.lora_layers),
            "d_in": cfg.film_d_in, "d_out": cfg.film_d_out, "size": cfg.lora_size}


def bank_info(students: StudentModels) -> dict[str, Any] | None:
    """What a bank builder and the engine need to know of the converter's speaker bank (docs/speaker-bank.md)."""
    conv = students.converter
    if conv.bank is None:
        return None
    knots = conv.envelope.knots_hz.tolist() if conv.envelope is not None else []
    return {"frames": conv.bank.frames, "key_size": conv.bank.key_size, "value_size": conv.bank.value_size,
            "k": conv.bank.k, "knots_hz": knots, "initializers": list(BANK_INITIALIZERS)}


def _model_entry(name: str, spec: ModelSpec, students: StudentModels, file: str) -> dict[str, Any]:
    model = getattr(students, name)
    dyn = spec.dynamic_axes

    def shape(n: str, s: tuple) -> list:
        return [dyn.get(n, {}).get(i, d) for i, d in enumerate(s)]

    return {
        "file": file,
        "params": int(sum(p.numel() for p in model.parameters())),
        "opset": K.ONNX_OPSET,
        "inputs": [{"name": n, "shape": shape(n, s)} for n, s in spec.inputs],
        "outputs": [{"name": n, "shape": list(s)} for n, s in spec.outputs],
        "state_shape": list(spec.state_shape) if spec.state_shape else None,
        "config": config_to_dict(model.cfg),
    }


def build_metadata(students: StudentModels, specs: dict[str, ModelSpec], out_dir: Path, training: dict[str, Any],
                   film_weights: dict[str, Any], int8_files: dict[str, str]) -> dict[str, Any]:
    """The metadata.json object (model_id = SHA-256 of converter.onnx)."""
    models = {name: _model_entry(name, spec, students, f"{name}.onnx") for name, spec in specs.items()}
    for name, file in int8_files.items():
        models[name]["int8_file"] = file
    bank = bank_info(students)
    if bank:
        for name in ("converter", "converter_hq"):
            if name in models:
                models[name]["bank"] = bank
    if "converter_hq" in models:
        models["converter_hq"]["lookahead"] = {
            "max_hops": K.MAX_LOOKAHEAD_HOPS, "window": K.MAX_LOOKAHEAD_HOPS + 1,
            "rule": "slot r holds frame u + min(r, L); slots r > L repeat slot L", "film_shared_with": "converter"}
    return {
        "version": METADATA_VERSION,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "constants_hash": K.CONSTANTS_HASH,
        "contract_version": K.CONTRACT_VERSION,
        "sample_rate": K.SAMPLE_RATE,
        "hop_length": K.HOP_LENGTH,
        "model_id": sha256_file(out_dir / "converter.onnx"),
        "models": models,
        "training": training,
        "lora": lora_info(students),
        "film_weights": film_weights,
    }


def write_metadata(out_dir: Path, metadata: dict[str, Any]) -> None:
    (out_dir / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n")
