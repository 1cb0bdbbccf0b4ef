"""LoRA override through ORT's add_initializer equals PyTorch merge_lora; INT8 runs; the gate catches drift."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import numpy_helper

from tmrvc_export.cli import ExportConfig, cli, main
from tmrvc_export.model_folder import export_model_folder
from tmrvc_export.onnx_export import export_model
from tmrvc_export.verify import ExportGateError, GateBounds, enforce_gate, verify_model
from tmrvc_export.wrappers import model_specs
from tmrvc_train.models import build_students, merge_lora, save_checkpoint


def _merged_session(folder, rel, meta, delta):
    """ORT session whose LoRA'd FiLM initializers are overridden, as the C++ engine does (from the .bin)."""
    raw = (folder / meta["film_weights"]["file"]).read_bytes()
    lora = meta["lora"]
    opts = ort.SessionOptions()
    keep = []
    off = 0
    r, din, dout = lora["rank"], lora["d_in"], lora["d_out"]
    for entry in meta["film_weights"]["layers"]:
        w = np.frombuffer(raw, "<f4", dout * din, entry["offset_bytes"]).reshape(dout, din).astype(np.float64)
        a = delta[off:off + r * din].reshape(r, din).astype(np.float64)
        off += r * din
        b = delta[off:off + dout * r].reshape(dout, r).astype(np.float64)
        off += dout * r
        value = ort.OrtValue.ortvalue_from_numpy((w + lora["alpha"] / r * (b @ a)).astype(np.float32))
        keep.append(value)
        opts.add_initializer(entry["name"], value)
    return ort.InferenceSession(str(folder / rel), opts, providers=["CPUExecutionProvider"]), keep


@pytest.mark.parametrize("rel,tol", [("converter.onnx", 1e-5), ("int8/converter.onnx", 0.02)])
def test_lora_override_matches_merge_lora(tiny_folder, rel, tol):
    result, seed = tiny_folder
    meta = json.loads((result.out_dir / "metadata.json").read_text())
    students = build_students("tiny", seed)
    delta = np.random.default_rng(1).standard_normal(meta["lora"]["size"]).astype(np.float32) * 0.15
    merged = merge_lora(students.converter, torch.from_numpy(delta))
    sess, _keep = _merged_session(result.out_dir, rel, meta, delta)
    plain = ort.InferenceSession(str(result.out_dir / rel), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(2)
    spk = rng.standard_normal((1, 192)).astype(np.float32)
    ac = rng.random((1, 32)).astype(np.float32)
    state = np.zeros(sess.get_inputs()[3].shape, np.float32)
    tstate = merged.init_state(1)
    worst, moved = 0.0, 0.0
    for _ in range(20):
        content = rng.standard_normal((1, 256, 1)).astype(np.float32)
        feeds = {"content": content, "spk_embed": spk, "acoustic_params": ac, "state_in": state}
        y, state_next = sess.run(None, feeds)
        y_plain, _ = plain.run(None, feeds)
        with torch.no_grad():
            ty, tstate = merged.forward_streaming(torch.from_numpy(content), torch.from_numpy(spk),
                                                  torch.from_numpy(ac), tstate)
        worst = max(worst, float(np.abs(y - ty.numpy()).max()))
        moved = max(moved, float(np.abs(y - y_plain).max()))
        state = state_next
    print(f"{rel}: max abs vs merge_lora {worst:.3g}, override moved output by {moved:.3g}")
    assert worst <= tol
    assert moved > max(10 * worst, 0.05)  # the override really changed the converter


def test_gate_catches_a_tampered_model(tmp_path):
    students = build_students("tiny", 0)
    spec = model_specs(students)["content_encoder"]
    path = tmp_path / "content_encoder.onnx"
    export_model("content_encoder", students, spec, path)
    assert verify_model("content_encoder", students, spec, path, None).passed
    model = onnx.load(str(path))
    init = next(i for i in model.graph.initializer if i.name.endswith("out_proj.bias"))
    arr = numpy_helper.to_array(init).copy()
    arr[0] += 1e-3
    init.CopyFrom(numpy_helper.from_array(arr, init.name))
    onnx.save(model, str(path))
    report = verify_model("content_encoder", students, spec, path, None)
    assert not report.passed
    with pytest.raises(ExportGateError, match="content_encoder.content: max abs"):
        enforce_gate([report], GateBounds())


def test_gate_failure_leaves_no_folder(tmp_path):
    out = tmp_path / "models"
    with pytest.raises(ExportGateError):
        export_model_folder(build_students("tiny", 0), out, {}, bounds=GateBounds(max_abs=0.0), log=lambda m: None)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_checkpoint_export_and_cli_errors(tmp_path, capsys):
    ckpt = tmp_path / "students.pt"
    save_checkpoint(ckpt, build_students("tiny", 4), {"step": 12})
    result = main(ExportConfig(tmp_path / "from_ckpt", checkpoint=ckpt, quiet=True))
    assert result.metadata["training"]["configs"] == {"step": 12}
    assert not (result.out_dir / "demo.tmrvc_speaker").exists()
    assert cli(["--checkpoint", str(tmp_path / "missing.pt"), "--output-dir", str(tmp_path / "x")]) == 1
    assert "no file" in capsys.readouterr().err
    (tmp_path / "occupied").mkdir()
    (tmp_path / "occupied" / "notes.txt").write_text("keep me")
    assert cli(["--checkpoint", str(ckpt), "--output-dir", str(tmp_path / "occupied"), "--quiet"]) == 1
    assert (tmp_path / "occupied" / "notes.txt").read_text() == "keep me"
    with pytest.raises(SystemExit):
        cli(["--random-init", "--checkpoint", str(ckpt), "--output-dir", str(tmp_path / "y")])


def test_phase_metric_wraps_and_weights():
    from tmrvc_export.verify import PHASE_RADIUS, _pairs

    ref = [{"stft_phase": np.array([np.pi - 1e-4, 0.5, 0.5]), PHASE_RADIUS: np.array([1.0, 0.01, 2.0])}]
    got = [{"stft_phase": np.array([-np.pi + 1e-4, 0.6, 0.6])}]
    (_, diff), = _pairs(ref, got, "stft_phase_weighted")
    assert np.allclose(diff, [2e-4, 0.1 * 0.01, 0.1], atol=1e-9)
