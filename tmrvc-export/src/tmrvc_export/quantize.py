"""Dynamic INT8 quantisation of the per-frame models (MatMul weights only; states and FiLM stay FP32)."""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path

import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic

from tmrvc_export.onnx_export import ExportError, set_metadata_props

INT8_MODELS: tuple[str, ...] = ("content_encoder", "ir_estimator", "converter", "vocoder")
# Models whose int8/ file is the FP32 graph: the content encoder's phone posteriors choose the speaker bank's frames,
# and INT8 noise flips enough of them to cost the converted speech 0.17 of F0 correlation on the espeak pair
# (0.80 -> 0.62; every other model in INT8 with this one in FP32: 0.80), for 0.03 ms per hop (docs/training-results.md,
# session 12).
FLOAT_IN_INT8: tuple[str, ...] = ("content_encoder",)
# Quantised: the pointwise layers inside the ConvNeXt blocks (pw1/pw2). The input and output projections and the
# vocoder heads stay FP32: measured on default-size random weights they carry most of the INT8 error.
QUANTIZED_NODE = re.compile(r"/pw[12](_\d+)?/MatMul$")


def _restore_gemms(model: onnx.ModelProto, fp32: onnx.ModelProto, gemms: list[onnx.NodeProto]) -> None:
    """Put back the original FP32 Gemm nodes (and their weight initializers) that the quantiser rewrote.

    onnxruntime's quantiser turns every Gemm into ``<name>_MatMul`` (weight transposed and renamed
    ``<weight>_Transposed``) + ``<name>_Add``; the engine needs ``film.{i}.weight`` [d_out, d_in] by name.
    """
    nodes = list(model.graph.node)
    fp32_inits = {i.name: i for i in fp32.graph.initializer}
    for gemm in gemms:
        names = {f"{gemm.name}_MatMul", f"{gemm.name}_Add"}
        positions = [k for k, n in enumerate(nodes) if n.name in names]
        if len(positions) != 2:
            if any(n.name == gemm.name for n in nodes):
                continue  # left as a Gemm
            raise ExportError(f"quantiser output: expected nodes {sorted(names)} for {gemm.name}, found "
                              f"{[nodes[k].name for k in positions]}")
        first = min(positions)
        nodes = [n for k, n in enumerate(nodes) if k not in positions]
        nodes.insert(first, copy.deepcopy(gemm))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    used = {i for n in model.graph.node for i in n.input}
    keep = [i for i in model.graph.initializer if i.name in used]
    have = {i.name for i in keep}
    keep += [copy.deepcopy(fp32_inits[name]) for g in gemms for name in g.input if name in fp32_inits
             and name not in have]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)


def keep_float(fp32_path: Path, int8_path: Path, props: dict[str, str]) -> None:
    """The INT8 folder's copy of a model kept in FP32 (FLOAT_IN_INT8), saying so in its metadata."""
    int8_path.parent.mkdir(parents=True, exist_ok=True)
    model = onnx.load(str(fp32_path))
    set_metadata_props(model, dict(props, quantization="none (kept FP32 in the INT8 folder)"))
    onnx.save(model, str(int8_path))


def quantize_model(fp32_path: Path, int8_path: Path, props: dict[str, str], keep_initializers: list[str]) -> None:
    """Write the INT8 version of ``fp32_path``; ``keep_initializers`` (FiLM weights) must survive unchanged.

    Only the blocks' pointwise MatMuls (:data:`QUANTIZED_NODE`) are quantised (weights per output channel,
    activations dynamic uint8); the Gemm nodes that read a kept initializer are excluded and restored, so they
    stay FP32 under their own names.
    """
    int8_path.parent.mkdir(parents=True, exist_ok=True)
    fp32 = onnx.load(str(fp32_path))
    keep = set(keep_initializers)
    gemms = [n for n in fp32.graph.node if keep.intersection(n.input)]
    exclude = [name for n in gemms for name in (n.name, f"{n.name}_MatMul", f"{n.name}_Add")]
    targets = [n.name for n in fp32.graph.node if n.op_type == "MatMul" and QUANTIZED_NODE.search(n.name)]
    if not targets:
        raise ExportError(f"{fp32_path.name}: no block pointwise MatMul nodes found to quantise")
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # the quantiser logs a pre-processing hint on every call
    try:
        quantize_dynamic(fp32_path, int8_path, op_types_to_quantize=["MatMul"], per_channel=True,
                         weight_type=QuantType.QInt8, nodes_to_quantize=targets,
                         nodes_to_exclude=exclude or None)
    finally:
        logging.getLogger().setLevel(level)
    model = onnx.load(str(int8_path))
    _restore_gemms(model, fp32, gemms)
    names = {i.name for i in model.graph.initializer}
    missing = [n for n in keep_initializers if n not in names]
    if missing:
        raise ExportError(f"{int8_path.name}: initializers {missing} did not survive quantisation")
    set_metadata_props(model, dict(props, quantization="dynamic-int8-matmul"))
    onnx.checker.check_model(model)
    onnx.save(model, str(int8_path))
