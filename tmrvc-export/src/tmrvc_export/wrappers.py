"""Thin export wrappers: one per model, inputs/outputs in the contract's order and names.

Per-frame models take ``state_in`` and return ``state_out`` last; T = 1 for content_encoder, converter and
vocoder, ``mel_chunk``'s N and ``mel_ref``'s T are dynamic. The optional converter_hq takes a content window of
max_lookahead_hops + 1 frames (slot r = frame u + r) and returns frame u's features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tmrvc_train.models import StudentModels


@dataclass(frozen=True)
class ModelSpec:
    """Contract interface of one ONNX model: names, example shapes, dynamic axes, state shape (or None)."""

    name: str
    inputs: tuple[tuple[str, tuple[int, ...]], ...]
    outputs: tuple[tuple[str, tuple[int | str, ...]], ...]
    dynamic_axes: dict[str, dict[int, str]]
    state_shape: tuple[int, int, int] | None
    per_frame: bool

    @property
    def input_names(self) -> list[str]:
        return [n for n, _ in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [n for n, _ in self.outputs]


class ContentEncoderExport(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, mel_frame: torch.Tensor, f0: torch.Tensor, state_in: torch.Tensor):
        return self.model.forward_streaming(mel_frame, f0, state_in)


class IREstimatorExport(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, mel_chunk: torch.Tensor, state_in: torch.Tensor):
        return self.model.forward_streaming(mel_chunk, state_in)


class SpeakerEncoderExport(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, mel_ref: torch.Tensor):
        return self.model(mel_ref)


class ConverterExport(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, content: torch.Tensor, spk_embed: torch.Tensor, acoustic_params: torch.Tensor,
                state_in: torch.Tensor):
        return self.model.forward_streaming(content, spk_embed, acoustic_params, state_in)


class VocoderExport(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor, state_in: torch.Tensor):
        return self.model.forward_streaming(features, state_in)


_WRAPPERS = {"content_encoder": ContentEncoderExport, "ir_estimator": IREstimatorExport,
             "speaker_encoder": SpeakerEncoderExport, "converter": ConverterExport, "vocoder": VocoderExport,
             "converter_hq": ConverterExport}  # same signature; its content input is the 7-frame window


def model_specs(students: StudentModels) -> dict[str, ModelSpec]:
    """Interface of each model for these students (state widths come from the models themselves); converter_hq
    is included when the students have one."""
    ce, ir, se, cv, vo = (students.content_encoder, students.ir_estimator, students.speaker_encoder,
                          students.converter, students.vocoder)
    st = {n: (1, m.cfg.channels, m.state_frames) for n, m in
          (("content_encoder", ce), ("ir_estimator", ir), ("converter", cv), ("vocoder", vo))}
    n_mels, n_ac, n_bins = ce.cfg.n_mels, ir.cfg.n_acoustic_params, vo.cfg.n_freq_bins
    d_content, d_spk = cv.cfg.d_content, cv.cfg.d_speaker
    specs = {
        "content_encoder": ModelSpec(
            "content_encoder", (("mel_frame", (1, n_mels, 1)), ("f0", (1, 1, 1)), ("state_in", st["content_encoder"])),
            (("content", (1, ce.cfg.d_content, 1)), ("state_out", st["content_encoder"])), {},
            st["content_encoder"], True),
        "ir_estimator": ModelSpec(
            "ir_estimator", (("mel_chunk", (1, n_mels, 10)), ("state_in", st["ir_estimator"])),
            (("acoustic_params", (1, n_ac)), ("state_out", st["ir_estimator"])), {"mel_chunk": {2: "n_frames"}},
            st["ir_estimator"], True),
        "speaker_encoder": ModelSpec(
            "speaker_encoder", (("mel_ref", (1, n_mels, 300)),),
            (("spk_embed", (1, se.cfg.d_speaker)), ("lora_delta", (1, se.cfg.lora_size))),
            {"mel_ref": {2: "n_frames"}}, None, False),
        "converter": ModelSpec(
            "converter", (("content", (1, d_content, 1)), ("spk_embed", (1, d_spk)), ("acoustic_params", (1, n_ac)),
                          ("state_in", st["converter"])),
            (("pred_features", (1, cv.cfg.out_channels, 1)), ("state_out", st["converter"])), {}, st["converter"],
            True),
        "vocoder": ModelSpec(
            "vocoder", (("features", (1, vo.cfg.in_channels, 1)), ("state_in", st["vocoder"])),
            (("stft_mag", (1, n_bins, 1)), ("stft_phase", (1, n_bins, 1)), ("state_out", st["vocoder"])), {},
            st["vocoder"], True),
    }
    if students.converter_hq is not None:
        hq = students.converter_hq
        hq_state = (1, hq.cfg.channels, hq.state_frames)
        specs["converter_hq"] = ModelSpec(
            "converter_hq", (("content", (1, d_content, hq.lookahead.slots)), ("spk_embed", (1, d_spk)),
                             ("acoustic_params", (1, n_ac)), ("state_in", hq_state)),
            (("pred_features", (1, hq.cfg.out_channels, 1)), ("state_out", hq_state)), {}, hq_state, True)
    return specs


def export_wrapper(name: str, students: StudentModels) -> nn.Module:
    """The eval-mode export wrapper of model ``name``."""
    if name not in _WRAPPERS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(_WRAPPERS)}")
    if getattr(students, name) is None:
        raise ValueError(f"the students have no {name}")
    return _WRAPPERS[name](getattr(students, name)).eval()
