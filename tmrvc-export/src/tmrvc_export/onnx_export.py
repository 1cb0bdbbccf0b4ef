"""ONNX export of one student (legacy TorchScript exporter, pinned opset) with contract checks."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from tmrvc_core import constants as K
from tmrvc_export.wrappers import ModelSpec, export_wrapper
from tmrvc_train.models import StudentModels
from tmrvc_train.models.speaker_bank import INITIALIZER_NAMES as BANK_INITIALIZERS


class ExportError(RuntimeError):
    """An export step produced something that does not follow the contract; the message says what."""


def example_inputs(spec: ModelSpec) -> tuple[torch.Tensor, ...]:
    """Seeded example tensors with the spec's example shapes."""
    g = torch.Generator().manual_seed(0)
    return tuple(torch.randn(shape, generator=g) for _, shape in spec.inputs)


def onnx_metadata_props(spec: ModelSpec) -> dict[str, str]:
    """Key/values written into every ONNX file's metadata_props."""
    return {
        "contract_version": str(K.CONTRACT_VERSION),
        "constants_hash": K.CONSTANTS_HASH,
        "sample_rate": str(K.SAMPLE_RATE),
        "hop_length": str(K.HOP_LENGTH),
        "model": spec.name,
        "state_shape": json.dumps(list(spec.state_shape) if spec.state_shape else []),
    }


def set_metadata_props(model: onnx.ModelProto, props: dict[str, str]) -> None:
    """Replace the metadata_props entries named in ``props``."""
    keep = [p for p in model.metadata_props if p.key not in props]
    del model.metadata_props[:]
    model.metadata_props.extend(keep)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def check_interface(model: onnx.ModelProto, spec: ModelSpec, film_names: list[str]) -> None:
    """Raise ExportError unless names, static shapes and FiLM initializers follow the contract."""
    graph_inputs = [i.name for i in model.graph.input]
    graph_outputs = [o.name for o in model.graph.output]
    if graph_inputs != spec.input_names or graph_outputs != spec.output_names:
        raise ExportError(f"{spec.name}: expected inputs {spec.input_names} / outputs {spec.output_names}, "
                          f"got {graph_inputs} / {graph_outputs}")
    for value, (name, shape) in zip(model.graph.input, spec.inputs):
        dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value.type.tensor_type.shape.dim]
        dyn = spec.dynamic_axes.get(name, {})
        expected = [dyn.get(i, s) for i, s in enumerate(shape)]
        if dims != expected:
            raise ExportError(f"{spec.name}: input {name} has shape {dims}, expected {expected}")
    inits = {i.name: list(i.dims) for i in model.graph.initializer}
    for fname in film_names:
        if fname not in inits:
            raise ExportError(f"{spec.name}: initializer {fname!r} (overridden per speaker) missing after export "
                              f"(renamed or constant-folded)")


def kept_initializers(students: StudentModels) -> list[str]:
    """The converter initializers the engine overrides per speaker: the FiLM weights (LoRA) and the speaker bank."""
    film = [f"film.{i}.weight" for i in range(len(students.converter.film))]
    return film + (list(BANK_INITIALIZERS) if students.converter.bank is not None else [])


def export_model(name: str, students: StudentModels, spec: ModelSpec, path: Path) -> onnx.ModelProto:
    """Export model ``name`` to ``path`` (FP32), write metadata_props, check the interface; returns the proto."""
    wrapper = export_wrapper(name, students)
    film_names = []
    if name in ("converter", "converter_hq"):
        film_names = kept_initializers(students)
        # The wrapper holds the converter as ``model``: export it with the converter's own parameter names
        # (converter_hq too, so the engine overrides the same ``film.{i}.weight`` initializers in both files).
        wrapper = _Unprefixed(getattr(students, name), wrapper)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper, example_inputs(spec), str(path), input_names=spec.input_names, output_names=spec.output_names,
            dynamic_axes=spec.dynamic_axes or None, opset_version=K.ONNX_OPSET, do_constant_folding=True,
            dynamo=False,
        )
    model = onnx.load(str(path))
    check_interface(model, spec, film_names)
    set_metadata_props(model, onnx_metadata_props(spec))
    onnx.save(model, str(path))
    return model


def check_film_shared(converter_path: Path, hq_path: Path, film_names: list[str]) -> None:
    """Raise ExportError unless converter_hq.onnx holds every FiLM initializer (``film.{i}.weight`` / ``.bias``)
    of converter.onnx under the same name with the same value (the engine overrides them in both files)."""
    def films(path: Path) -> dict[str, np.ndarray]:
        return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer
                if i.name.startswith("film.")}

    live, hq = films(converter_path), films(hq_path)
    missing = sorted(set(film_names) - set(live))
    if missing:
        raise ExportError(f"converter.onnx: FiLM initializers {missing} missing")
    for fname, value in live.items():
        if fname not in hq or hq[fname].shape != value.shape or not np.array_equal(hq[fname], value):
            raise ExportError(f"converter_hq.onnx: FiLM initializer {fname!r} missing or different from "
                              f"converter.onnx's (the LoRA override needs the same names and values)")


class _Unprefixed(torch.nn.Module):
    """Calls ``wrapper`` but registers ``inner``'s parameters at top level, so names are ``film.{i}.weight``."""

    def __init__(self, inner: torch.nn.Module, wrapper: torch.nn.Module) -> None:
        super().__init__()
        for child_name, child in inner.named_children():
            self.add_module(child_name, child)
        self._call = wrapper.forward

    def forward(self, *args: torch.Tensor):
        return self._call(*args)
