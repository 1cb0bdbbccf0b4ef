"""The exported model folder follows the contract: files, names, shapes, metadata, FiLM weights, demo speaker."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import yaml
from onnx import numpy_helper

from tmrvc_core import constants as K
from tmrvc_core.speaker_file import read_speaker_file
from tmrvc_export.quantize import FLOAT_IN_INT8
from tmrvc_train.models import build_students

FP32 = ["content_encoder", "ir_estimator", "speaker_encoder", "converter", "vocoder"]
INT8 = ["content_encoder", "ir_estimator", "converter", "vocoder"]


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_folder_files(tiny_folder):
    result, _ = tiny_folder
    d = result.out_dir
    for name in FP32:
        assert (d / f"{name}.onnx").is_file()
    for name in INT8:
        assert (d / "int8" / f"{name}.onnx").is_file()
    for extra in ("metadata.json", "constants.yaml", "converter_film.bin", "demo.tmrvc_speaker"):
        assert (d / extra).is_file()
    repo_yaml = Path(__file__).resolve().parents[2] / "configs" / "constants.yaml"
    assert yaml.safe_load((d / "constants.yaml").read_text()) == yaml.safe_load(repo_yaml.read_text())
    assert not list(d.parent.glob(".models.staging-*"))


def test_metadata_json(tiny_folder):
    result, seed = tiny_folder
    meta = json.loads((result.out_dir / "metadata.json").read_text())
    assert meta["constants_hash"] == K.CONSTANTS_HASH and meta["contract_version"] == K.CONTRACT_VERSION
    assert meta["model_id"] == hashlib.sha256((result.out_dir / "converter.onnx").read_bytes()).hexdigest()
    assert meta["training"] == {"source": "random-init", "seed": seed, "size": "tiny"}
    assert set(meta["models"]) == set(FP32) | {"converter_hq"}  # --random-init adds an HQ converter
    students = build_students("tiny", seed)
    for name in FP32:
        entry = meta["models"][name]
        assert entry["opset"] == K.ONNX_OPSET and entry["file"] == f"{name}.onnx"
        assert entry["params"] == sum(p.numel() for p in getattr(students, name).parameters())
    cv = students.converter.cfg
    assert meta["models"]["converter"]["state_shape"] == [1, cv.channels, cv.state_frames]
    assert meta["lora"] == {"rank": K.LORA_RANK, "alpha": K.LORA_ALPHA, "layers": list(cv.lora_layers),
                            "d_in": K.FILM_D_IN, "d_out": 2 * cv.channels, "size": cv.lora_size}
    assert all(v["passed"] for v in meta["verification"].values())


@pytest.mark.parametrize("rel", [f"{n}.onnx" for n in FP32] + [f"int8/{n}.onnx" for n in INT8])
def test_onnx_metadata_props(tiny_folder, rel):
    result, _ = tiny_folder
    props = {p.key: p.value for p in onnx.load(str(result.out_dir / rel)).metadata_props}
    name = Path(rel).stem
    assert props["constants_hash"] == K.CONSTANTS_HASH and props["contract_version"] == str(K.CONTRACT_VERSION)
    assert props["sample_rate"] == str(K.SAMPLE_RATE) and props["hop_length"] == str(K.HOP_LENGTH)
    assert props["model"] == name
    meta = json.loads((result.out_dir / "metadata.json").read_text())
    assert json.loads(props["state_shape"]) == (meta["models"][name]["state_shape"] or [])


def test_tensor_names_and_shapes(tiny_folder):
    result, seed = tiny_folder
    s = build_students("tiny", seed)
    st = {n: [1, getattr(s, n).cfg.channels, getattr(s, n).state_frames]
          for n in ("content_encoder", "ir_estimator", "converter", "vocoder")}
    expected = {
        "content_encoder": ([("mel_frame", [1, 80, 1]), ("f0", [1, 1, 1]), ("state_in", st["content_encoder"])],
                            [("content", [1, 256, 1]), ("state_out", st["content_encoder"])]),
        "ir_estimator": ([("mel_chunk", [1, 80, "n_frames"]), ("state_in", st["ir_estimator"])],
                         [("acoustic_params", [1, 32]), ("state_out", st["ir_estimator"])]),
        "speaker_encoder": ([("mel_ref", [1, 80, "n_frames"])],
                            [("spk_embed", [1, 192]), ("lora_delta", [1, s.converter.cfg.lora_size])]),
        "converter": ([("content", [1, 256, 1]), ("spk_embed", [1, 192]), ("acoustic_params", [1, 32]),
                       ("state_in", st["converter"])],
                      [("pred_features", [1, 513, 1]), ("state_out", st["converter"])]),
        "vocoder": ([("features", [1, 513, 1]), ("state_in", st["vocoder"])],
                    [("stft_mag", [1, 513, 1]), ("stft_phase", [1, 513, 1]), ("state_out", st["vocoder"])]),
    }
    for name, (ins, outs) in expected.items():
        for rel in [f"{name}.onnx"] + ([f"int8/{name}.onnx"] if name in INT8 else []):
            sess = _session(result.out_dir / rel)
            assert [(i.name, i.shape) for i in sess.get_inputs()] == ins, rel
            assert [o.name for o in sess.get_outputs()] == [n for n, _ in outs], rel


def test_ir_estimator_dynamic_chunk(tiny_folder):
    result, _ = tiny_folder
    sess = _session(result.out_dir / "ir_estimator.onnx")
    state = np.zeros(sess.get_inputs()[1].shape, np.float32)
    for n in (5, 10, 7):
        params, state = sess.run(None, {"mel_chunk": np.full((1, 80, n), -4.0, np.float32), "state_in": state})
        assert params.shape == (1, 32)
        assert np.all(params[0, 0:8] >= 0.05) and np.all(params[0, 0:8] <= 3.0)  # RT60


def test_film_weights_bin(tiny_folder):
    result, _ = tiny_folder
    meta = json.loads((result.out_dir / "metadata.json").read_text())
    fw = meta["film_weights"]
    assert fw["file"] == "converter_film.bin" and fw["dtype"] == "float32"
    assert [e["name"] for e in fw["layers"]] == [f"film.{i}.weight" for i in meta["lora"]["layers"]]
    raw = (result.out_dir / fw["file"]).read_bytes()
    for rel in ("converter.onnx", "int8/converter.onnx"):
        inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(result.out_dir / rel)).graph.initializer}
        for entry in fw["layers"]:
            shape = entry["shape"]
            assert shape == [meta["lora"]["d_out"], meta["lora"]["d_in"]]
            w = np.frombuffer(raw, "<f4", shape[0] * shape[1], entry["offset_bytes"]).reshape(shape)
            assert np.array_equal(inits[entry["name"]], w), rel
    total = sum(e["shape"][0] * e["shape"][1] * 4 for e in fw["layers"])
    assert len(raw) == total


def test_demo_speaker(tiny_folder):
    result, _ = tiny_folder
    meta = json.loads((result.out_dir / "metadata.json").read_text())
    spk = read_speaker_file(result.out_dir / "demo.tmrvc_speaker", K.D_SPEAKER, meta["lora"]["size"],
                            meta["model_id"])
    assert abs(float(np.linalg.norm(spk.spk_embed)) - 1.0) < 1e-5
    assert np.abs(spk.lora_delta).max() > 0
    assert spk.metadata["total_seconds"] >= K.SPEAKER_MIN_SECONDS
    assert 4.0 < spk.metadata["f0_log_mean"] < 6.0  # the demo signal's F0 is 110-220 Hz


@pytest.mark.parametrize("name", FLOAT_IN_INT8)
def test_int8_folder_keeps_the_content_encoder_float(tiny_folder, name):
    result, _ = tiny_folder
    int8, fp32 = (onnx.load(str(result.out_dir / rel)) for rel in (f"int8/{name}.onnx", f"{name}.onnx"))
    assert "MatMulInteger" not in [n.op_type for n in int8.graph.node]
    assert [n.op_type for n in int8.graph.node] == [n.op_type for n in fp32.graph.node]
    props = {p.key: p.value for p in int8.metadata_props}
    assert props["quantization"].startswith("none")


@pytest.mark.parametrize("name", [n for n in INT8 if n not in FLOAT_IN_INT8])
def test_int8_quantises_block_pointwise_only(tiny_folder, name):
    result, _ = tiny_folder
    model = onnx.load(str(result.out_dir / "int8" / f"{name}.onnx"))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("DynamicQuantizeLinear") >= 1 and ops.count("MatMulInteger") >= 2
    float_matmuls = [n.name for n in model.graph.node if n.op_type == "MatMul"]
    # in/out projections, heads, the converter's envelope and speaker bank, and the vocoder's residual knot
    # interpolation stay float
    assert all("proj" in n or "head" in n or "envelope" in n or "residual_knots" in n or "bank" in n
               for n in float_matmuls), float_matmuls
    if name == "converter":
        gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
        assert sorted(n.input[1] for n in gemms) == sorted(f"film.{i}.weight" for i in range(len(gemms)))
