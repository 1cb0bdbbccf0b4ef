"""The five student models as one set (+ an optional HQ converter): build (random init), save and load checkpoints.

A checkpoint may carry ``converter_hq`` (phase hq); files without it load with ``converter_hq = None``."""

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
from tmrvc_train.models.converter_hq import ConverterHQ
from tmrvc_train.models.ir_estimator import IREstimator
from tmrvc_train.models.speaker_encoder import SpeakerEncoder
from tmrvc_train.models.vocoder import Vocoder

MODEL_NAMES: tuple[str, ...] = ("content_encoder", "ir_estimator", "speaker_encoder", "converter", "vocoder")
HQ_NAME = "converter_hq"  # optional member; its settings are the converter's (ConverterConfig)
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
    """The five students (+ optional ``converter_hq``); ``speaker_encoder.cfg.lora_size`` must equal
    ``converter.cfg.lora_size``. The HQ converter's FiLM layers are tied to the converter's (the same modules)."""

    content_encoder: ContentEncoder
    ir_estimator: IREstimator
    speaker_encoder: SpeakerEncoder
    converter: Converter
    vocoder: Vocoder
    converter_hq: ConverterHQ | None = None

    def __post_init__(self) -> None:
        if self.speaker_encoder.cfg.lora_size != self.converter.cfg.lora_size:
            raise ValueError(f"speaker_encoder lora_size {self.speaker_encoder.cfg.lora_size} does not match the "
                             f"converter's LoRA size {self.converter.cfg.lora_size}")
        if self.converter.cfg.harmonic_head and not self.content_encoder.cfg.f0_passthrough:
            raise ValueError("converter.harmonic_head reads F0 from the last content channel: it needs "
                             "content_encoder.f0_passthrough = true (or set harmonic_head: false)")
        if self.converter_hq is not None:
            if self.converter_hq.cfg != self.converter.cfg:
                raise ValueError(f"converter_hq settings {self.converter_hq.cfg} differ from the converter's "
                                 f"{self.converter.cfg}")
            self.converter_hq.film = self.converter.film

    def items(self) -> list[tuple[str, nn.Module]]:
        """(name, model) of the five students, then ``converter_hq`` when present."""
        names = MODEL_NAMES + ((HQ_NAME,) if self.converter_hq is not None else ())
        return [(name, getattr(self, name)) for name in names]

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
    """Write {format, version, models: {name: {config, state_dict}}, training} with torch.save (``converter_hq``
    among the models when the students have one)."""
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
    hq = payload["models"].get(HQ_NAME)
    if hq is not None:
        models[HQ_NAME] = ConverterHQ(config_from_dict("converter", hq["config"]))
        models[HQ_NAME].load_state_dict(hq["state_dict"])
    return StudentModels(**models).eval(), dict(payload.get("training", {}))
