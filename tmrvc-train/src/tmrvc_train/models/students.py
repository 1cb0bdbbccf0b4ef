"""The five student models as one set: build (random init), save and load checkpoints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tmrvc_train.models.config import (
    ContentEncoderConfig,
    ConverterConfig,
    IREstimatorConfig,
    SpeakerEncoderConfig,
    VocoderConfig,
    config_from_dict,
    config_to_dict,
)
from tmrvc_train.models.content_encoder import ContentEncoder
from tmrvc_train.models.converter import Converter
from tmrvc_train.models.ir_estimator import IREstimator
from tmrvc_train.models.speaker_encoder import SpeakerEncoder
from tmrvc_train.models.vocoder import Vocoder

MODEL_NAMES: tuple[str, ...] = ("content_encoder", "ir_estimator", "speaker_encoder", "converter", "vocoder")
CHECKPOINT_FORMAT = "tmrvc-students"
CHECKPOINT_VERSION = 1
_MODEL_CLASSES: dict[str, type[nn.Module]] = {
    "content_encoder": ContentEncoder,
    "ir_estimator": IREstimator,
    "speaker_encoder": SpeakerEncoder,
    "converter": Converter,
    "vocoder": Vocoder,
}


@dataclass
class StudentModels:
    """The five students; ``speaker_encoder.cfg.lora_size`` must equal ``converter.cfg.lora_size``."""

    content_encoder: ContentEncoder
    ir_estimator: IREstimator
    speaker_encoder: SpeakerEncoder
    converter: Converter
    vocoder: Vocoder

    def __post_init__(self) -> None:
        if self.speaker_encoder.cfg.lora_size != self.converter.cfg.lora_size:
            raise ValueError(f"speaker_encoder lora_size {self.speaker_encoder.cfg.lora_size} does not match the "
                             f"converter's LoRA size {self.converter.cfg.lora_size}")

    def items(self) -> list[tuple[str, nn.Module]]:
        return [(name, getattr(self, name)) for name in MODEL_NAMES]

    def eval(self) -> "StudentModels":
        for _, m in self.items():
            m.eval()
        return self


def build_students(size: str = "default", seed: int = 0) -> StudentModels:
    """Random-init students. size: "default" (constants) or "tiny" (tests); seeded, so repeatable."""
    if size not in ("default", "tiny"):
        raise ValueError(f"size: expected 'default' or 'tiny', got {size!r}")
    classes = (ContentEncoderConfig, IREstimatorConfig, SpeakerEncoderConfig, ConverterConfig, VocoderConfig)
    cfgs = {name: (cls.tiny() if size == "tiny" else cls()) for name, cls in zip(MODEL_NAMES, classes)}
    torch.manual_seed(seed)
    return StudentModels(**{name: _MODEL_CLASSES[name](cfgs[name]) for name in MODEL_NAMES}).eval()


def save_checkpoint(path: str | Path, students: StudentModels, training: dict[str, Any] | None = None) -> None:
    """Write {format, version, models: {name: {config, state_dict}}, training} with torch.save."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "models": {name: {"config": config_to_dict(m.cfg), "state_dict": m.state_dict()}
                   for name, m in students.items()},
        "training": training or {},
    }
    torch.save(payload, Path(path))


def load_checkpoint(path: str | Path) -> tuple[StudentModels, dict[str, Any]]:
    """Rebuild the students (eval mode) and return them with the checkpoint's training info."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint: no file at {path}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint {path}: expected format {CHECKPOINT_FORMAT!r}, got "
                         f"{payload.get('format') if isinstance(payload, dict) else type(payload).__name__!r}")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"checkpoint {path}: expected version {CHECKPOINT_VERSION}, got {payload.get('version')}")
    missing = [n for n in MODEL_NAMES if n not in payload.get("models", {})]
    if missing:
        raise ValueError(f"checkpoint {path}: missing models {missing}")
    models = {}
    for name in MODEL_NAMES:
        entry = payload["models"][name]
        model = _MODEL_CLASSES[name](config_from_dict(name, entry["config"]))
        model.load_state_dict(entry["state_dict"])
        models[name] = model
    return StudentModels(**models).eval(), dict(payload.get("training", {}))
