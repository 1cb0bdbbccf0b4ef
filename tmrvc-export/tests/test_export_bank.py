"""The speaker bank reaches the exported converter: ORT with the bank initializers overridden (as the engine does)
equals PyTorch with the same bank loaded; the exported file's own bank is empty (mix 0); INT8 keeps the bank."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from tmrvc_core import constants as K
from tmrvc_core.speaker_file import SpeakerFile
from tmrvc_export.reference_pipeline import bank_initializers
from tmrvc_train.models import build_students


def bank_overrides(meta: dict, keys: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
    """The four bank initializers of a speaker with this bank, as the engine lays them out."""
    speaker = SpeakerFile(np.zeros(K.D_SPEAKER, np.float32), np.zeros(meta["lora"]["size"], np.float32), {},
                          bank_keys=keys / np.linalg.norm(keys, axis=1, keepdims=True), bank_values=values)
    return bank_initializers(meta, speaker)


def _session(path, overrides):
    opts = ort.SessionOptions()
    keep = [ort.OrtValue.ortvalue_from_numpy(v) for v in overrides.values()]
    for name, value in zip(overrides, keep):
        opts.add_initializer(name, value)
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"]), keep


def _random_bank(meta, n, seed):
    rng = np.random.default_rng(seed)
    bank = meta["models"]["converter"]["bank"]
    keys = np.abs(rng.standard_normal((n, bank["key_size"]))).astype(np.float32)
    values = rng.standard_normal((n, bank["value_size"])).astype(np.float32) - 3.0
    half = bank["value_size"] // 2
    values[::2, half:] = values[::2, :half]  # every other frame unvoiced (H = N), as the builders write them
    return keys, values


@pytest.mark.parametrize("rel,tol", [("converter.onnx", 1e-4), ("int8/converter.onnx", 0.05)])
def test_bank_override_matches_pytorch(tiny_folder, rel, tol):
    result, seed = tiny_folder
    meta = json.loads((result.out_dir / "metadata.json").read_text())
    bank = meta["models"]["converter"]["bank"]
    assert (bank["frames"], bank["key_size"], bank["k"]) == (K.BANK_FRAMES, K.D_CONTENT - 1, K.BANK_K)
    assert bank["value_size"] == 2 * len(bank["knots_hz"])
    students = build_students("tiny", seed).eval()
    keys, values = _random_bank(meta, 500, 3)
    students.converter.bank.set(keys, values)
    sess, _keep = _session(result.out_dir / rel, bank_overrides(meta, keys, values))
    plain = ort.InferenceSession(str(result.out_dir / rel), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(4)
    spk = rng.standard_normal((1, 192)).astype(np.float32)
    ac = rng.random((1, 32)).astype(np.float32)
    state = np.zeros(sess.get_inputs()[3].shape, np.float32)
    tstate = students.converter.init_state(1)
    worst, moved = 0.0, 0.0
    for t in range(30):
        content = np.abs(rng.standard_normal((1, 256, 1))).astype(np.float32)
        content[0, -1, 0] = np.log(150.0 + 10 * t + 1.0)  # the F0 channel: voiced
        feeds = {"content": content, "spk_embed": spk, "acoustic_params": ac, "state_in": state}
        y, state_next = sess.run(None, feeds)
        y_plain, _ = plain.run(None, feeds)
        with torch.no_grad():
            ty, tstate = students.converter.forward_streaming(torch.from_numpy(content), torch.from_numpy(spk),
                                                              torch.from_numpy(ac), tstate)
        worst = max(worst, float(np.abs(y - ty.numpy()).max()))
        moved = max(moved, float(np.abs(y - y_plain).max()))
        state = state_next
    print(f"{rel}: bank max abs vs PyTorch {worst:.3g}, bank moved the output by {moved:.3g}")
    assert worst <= tol
    assert moved > 0.5  # the bank really replaced the envelopes


def test_exported_bank_is_empty_and_kept_in_int8(tiny_folder):
    result, _ = tiny_folder
    for rel in ("converter.onnx", "int8/converter.onnx"):
        inits = {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(str(result.out_dir / rel)).graph.initializer}
        assert float(inits["bank.mix"][0]) == 0.0, rel
        assert inits["bank.keys"].shape == (K.D_CONTENT - 1, K.BANK_FRAMES), rel
        assert np.all(inits["bank.bias"] == K.BANK_PAD_BIAS), rel


def test_bank_set_rejects_wrong_shapes():
    bank = build_students("tiny", 0).converter.bank
    with pytest.raises(ValueError, match="expected keys"):
        bank.set(np.ones((10, 3)), np.ones((10, bank.value_size)))
    with pytest.raises(ValueError, match="frames"):
        bank.set(np.ones((2, bank.key_size)), np.ones((2, bank.value_size)))
    bank.set(np.ones((10, bank.key_size)), np.ones((10, bank.value_size)))
    assert bank.enabled
    bank.set(None, None)
    assert not bank.enabled


def test_voiced_frames_draw_voiced_bank_frames():
    """A voiced input frame takes voiced bank frames (H ≠ N) even when unvoiced ones (H = N) have nearer content,
    and an unvoiced input frame the unvoiced ones."""
    bank = build_students("tiny", 0).converter.bank
    half = bank.value_size // 2
    n = 40
    keys = np.zeros((n, bank.key_size), np.float32)
    keys[:, 0] = 1.0
    keys[n // 2:, 1] = 0.1  # the unvoiced half is nearer to the query below
    values = np.zeros((n, bank.value_size), np.float32)
    values[: n // 2, :half] = 1.0  # voiced: H above N
    values[n // 2:] = -2.0  # unvoiced: H = N
    bank.set(keys, values)
    query = torch.zeros(1, 2, bank.key_size)
    query[..., 0], query[..., 1] = 1.0, 0.1
    f0 = torch.tensor([[5.0, 0.0]])  # voiced, then unvoiced
    out = bank(query, torch.zeros(1, 2, bank.value_size), f0)
    assert torch.allclose(out[0, 0, :half], torch.ones(half)) and torch.allclose(out[0, 0, half:], torch.zeros(half))
    assert torch.allclose(out[0, 1], torch.full((bank.value_size,), -2.0))
