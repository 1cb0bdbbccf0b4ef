"""ONNX Runtime (Python) vs the C++ engine's ORT layer (tmrvc_engine.OrtModel), model by model, and the engine's
LoRA merge vs PyTorch's `merge_lora`.

Bounds (onnx-contract.md): ORT Python vs C++ max abs <= 1e-5 per model over >= 20 streamed frames with states
carried (the C++ side carries its own ping-pong state; Python passes state_out back as state_in). The engine's
speaker converter (LoRA merged into overridden FiLM initializers) vs PyTorch's merged converter: <= 1e-5.
The model folder is a tiny random-init export made by `tmrvc-export` (the real exporter).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
import tmrvc_engine  # the pybind11 module built into build/tmrvc-engine (tests/python/conftest.py)

from tmrvc_core import constants as K
from tmrvc_core.speaker_file import SpeakerFile, write_speaker_file
from tmrvc_core.speaker_file import read_speaker_file as read_speaker_py
from tmrvc_train.models import build_students
from tmrvc_train.models.converter import merge_lora

FRAMES = 24
TOL = 1e-5
PER_FRAME = ("content_encoder", "ir_estimator", "converter", "vocoder")


SEED = 3  # the seed conftest's tiny_models fixture exports with; tests rebuild the same students from it


@pytest.fixture(scope="module")
def folder(tiny_models: Path) -> Path:
    return tiny_models


def ort_session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def random_feeds(model: "tmrvc_engine.OrtModel", rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Inputs of the model's bound shapes except state_in; mel-like values for mel inputs."""
    feeds = {}
    for name in model.input_names:
        if name == "state_in":
            continue
        x = rng.standard_normal(model.input_shape(name)).astype(np.float32)
        feeds[name] = (x * 2.0 - 4.0) if name.startswith("mel") else x
    return feeds


@pytest.mark.parametrize("int8", [False, True], ids=["fp32", "int8"])
@pytest.mark.parametrize("role", PER_FRAME)
def test_cpp_matches_ort_python_streamed(folder: Path, role: str, int8: bool) -> None:
    path = folder / "int8" / f"{role}.onnx" if int8 else folder / f"{role}.onnx"
    dynamic = K.IR_UPDATE_INTERVAL if role == "ir_estimator" else 0
    cpp = tmrvc_engine.OrtModel(str(path), role, dynamic_length=dynamic)
    sess = ort_session(path)
    assert cpp.state_shape == tuple(next(i.shape for i in sess.get_inputs() if i.name == "state_in"))
    state = np.zeros(cpp.state_shape, np.float32)
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(FRAMES):
        feeds = random_feeds(cpp, rng)
        ref = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {**feeds, "state_in": state})))
        got = cpp.run(feeds)
        assert set(got) == set(ref)
        for name, value in ref.items():
            assert got[name].shape == value.shape, name
            worst = max(worst, float(np.abs(got[name] - value).max()))
        state = ref["state_out"]
    assert worst <= TOL, f"{role} ({'int8' if int8 else 'fp32'}): max abs {worst:.3g}"
    print(f"{role} {'int8' if int8 else 'fp32'}: ORT-Python vs C++ max abs {worst:.3g}")


def test_speaker_encoder_matches_ort_python(folder: Path) -> None:
    path = folder / "speaker_encoder.onnx"
    frames = int(K.SPEAKER_MIN_SECONDS * K.SAMPLE_RATE / K.HOP_LENGTH)
    cpp = tmrvc_engine.OrtModel(str(path), "speaker_encoder", lora_size=0, dynamic_length=frames)
    assert cpp.state_shape is None
    sess = ort_session(path)
    rng = np.random.default_rng(11)
    for _ in range(3):
        mel = (rng.standard_normal((1, K.N_MELS, frames)) - 4.0).astype(np.float32)
        ref = sess.run(None, {"mel_ref": mel})
        got = cpp.run({"mel_ref": mel})
        assert np.abs(got["spk_embed"] - ref[0]).max() <= TOL
        assert np.abs(got["lora_delta"] - ref[1]).max() <= TOL


def test_state_in_given_explicitly_overrides_the_carried_state(folder: Path) -> None:
    cpp = tmrvc_engine.OrtModel(str(folder / "vocoder.onnx"), "vocoder")
    rng = np.random.default_rng(5)
    feeds = random_feeds(cpp, rng)
    # stft_phase: a fresh vocoder's magnitude is its input's (residual head initialised to zero), only the phase
    # depends on the context.
    first = cpp.run(feeds)["stft_phase"]
    assert not np.array_equal(cpp.run(feeds)["stft_phase"], first)  # carried state changed the output
    again = cpp.run({**feeds, "state_in": np.zeros(cpp.state_shape, np.float32)})["stft_phase"]
    np.testing.assert_array_equal(again, first)


def test_runner_rejects_bad_inputs(folder: Path) -> None:
    cpp = tmrvc_engine.OrtModel(str(folder / "vocoder.onnx"), "vocoder")
    with pytest.raises(ValueError, match=r"expected shape \(1, 513, 1\)"):
        cpp.run({"features": np.zeros((1, 512, 1), np.float32)})
    with pytest.raises(ValueError, match="missing input 'features'"):
        cpp.run({})
    with pytest.raises(ValueError, match="unknown input 'x'"):
        cpp.run({"x": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="missing input 'content'"):
        tmrvc_engine.OrtModel(str(folder / "vocoder.onnx"), "converter")


def test_engine_lora_merge_matches_pytorch(folder: Path) -> None:
    students = build_students("tiny", SEED)
    conv = students.converter.eval()
    bundle = tmrvc_engine.OrtSessionBundle(str(folder))
    assert bundle.lora_size == conv.cfg.lora_size
    rng = np.random.default_rng(9)
    delta = (0.2 * rng.standard_normal(bundle.lora_size)).astype(np.float32)
    cpp = bundle.build_speaker_converter(delta)
    merged = merge_lora(conv, torch.from_numpy(delta)).eval()
    state = merged.init_state(1)
    base_state = conv.init_state(1)
    worst, moved = 0.0, 0.0
    with torch.no_grad():
        for _ in range(FRAMES):
            feeds = random_feeds(cpp, rng)
            args = [torch.from_numpy(feeds[n]) for n in ("content", "spk_embed", "acoustic_params")]
            ref, state = merged.forward_streaming(*args, state)
            base, base_state = conv.forward_streaming(*args, base_state)
            got = cpp.run(feeds)["pred_features"]
            worst = max(worst, float(np.abs(got - ref.numpy()).max()))
            moved = max(moved, float(np.abs(ref.numpy() - base.numpy()).max()))
    assert moved > 1e-3, "the LoRA delta should change the converter's output"
    assert worst <= TOL, f"engine speaker converter vs PyTorch merge_lora: max abs {worst:.3g}"
    print(f"speaker converter vs PyTorch merge_lora: max abs {worst:.3g} (LoRA moved output by {moved:.3g})")


def test_merge_lora_binding_matches_pytorch_weights() -> None:
    students = build_students("tiny", SEED)
    conv = students.converter
    cfg = conv.cfg
    delta = np.random.default_rng(2).standard_normal(cfg.lora_size).astype(np.float32)
    base = [conv.film[i].weight.detach().numpy() for i in cfg.lora_layers]
    got = tmrvc_engine.merge_lora(cfg.lora_rank, cfg.lora_alpha, cfg.film_d_in, cfg.film_d_out, base, delta)
    merged = merge_lora(conv, torch.from_numpy(delta))
    for k, i in enumerate(cfg.lora_layers):
        np.testing.assert_allclose(got[k], merged.film[i].weight.detach().numpy(), atol=1e-5, rtol=1e-6)
    with pytest.raises(ValueError, match="LoRA delta has"):
        tmrvc_engine.merge_lora(cfg.lora_rank, cfg.lora_alpha, cfg.film_d_in, cfg.film_d_out, base, delta[:-1])


def test_speaker_reader_agrees_with_python_writer(folder: Path) -> None:
    bundle = tmrvc_engine.OrtSessionBundle(str(folder))
    path = folder / "demo.tmrvc_speaker"
    ref = read_speaker_py(path, expected_lora_size=bundle.lora_size, expected_model_id=bundle.model_id)
    got = tmrvc_engine.read_speaker_file(str(path), lora_size=bundle.lora_size, model_id=bundle.model_id)
    np.testing.assert_array_equal(got["embedding"], ref.spk_embed)
    np.testing.assert_array_equal(got["lora_delta"], ref.lora_delta)
    assert got["name"] == ref.name and got["model_id"] == ref.model_id
    assert got["f0_log_mean"] == pytest.approx(ref.metadata["f0_log_mean"])
    with pytest.raises(ValueError, match="model_id mismatch"):
        tmrvc_engine.read_speaker_file(str(path), lora_size=bundle.lora_size, model_id="another-model")
    ok = tmrvc_engine.read_speaker_file(str(path), model_id="another-model", allow_model_id_mismatch=True)
    assert ok["model_id_mismatch"] and "model_id mismatch" in ok["warning"]
    with pytest.raises(ValueError, match="LoRA size"):
        tmrvc_engine.read_speaker_file(str(path), lora_size=bundle.lora_size + 1)


def test_speaker_bank_written_by_python_is_read_by_cpp(folder: Path, tmp_path: Path) -> None:
    demo = read_speaker_py(folder / "demo.tmrvc_speaker")
    rng = np.random.default_rng(5)
    n, value_size = K.BANK_MIN_FRAMES + 17, 2 * 9
    keys = rng.standard_normal((n, K.D_CONTENT - 1)).astype(np.float32)
    keys /= np.linalg.norm(keys, axis=1, keepdims=True)
    values = (rng.standard_normal((n, value_size)) - 3.0).astype(np.float32)
    path = tmp_path / "bank.tmrvc_speaker"
    write_speaker_file(path, SpeakerFile(demo.spk_embed, demo.lora_delta, demo.metadata, keys, values))
    got = tmrvc_engine.read_speaker_file(str(path), bank_value_size=value_size)
    np.testing.assert_array_equal(got["bank_keys"], keys)
    np.testing.assert_array_equal(got["bank_values"], values)
    np.testing.assert_array_equal(got["lora_delta"], demo.lora_delta)
    with pytest.raises(ValueError, match=f"bank value size {value_size} does not match the loaded models' 20"):
        tmrvc_engine.read_speaker_file(str(path), bank_value_size=20)
    plain = tmrvc_engine.read_speaker_file(str(folder / "demo.tmrvc_speaker"), bank_value_size=value_size)
    assert plain["bank_keys"] is None and plain["bank_values"] is None
