"""The speaker bank in the C++ engine (docs/speaker-bank.md), on the tiny exported model folder (which has a bank).

- A `.tmrvc_speaker` v3 written by Python drives the engine's converter: the bank.* overrides the engine builds
  give the same output as PyTorch's converter with the same bank loaded (<= 1e-4 on voiced frames, the bound
  of tmrvc-export's bank test).
- Through the whole engine a bank speaker sounds different from the same speaker without its bank.
- A speaker without a bank takes the bank.mix = 0 path: output bit for bit that of models without a bank, and
  the engine's converter equals PyTorch's converter without a bank (<= 1e-4).
- A bank speaker on models without a bank loads, with a warning, and converts exactly like the bank-less speaker.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import tmrvc_engine

from tmrvc_core import constants as K
from tmrvc_core.speaker_file import SpeakerFile, read_speaker_file, write_speaker_file
from tmrvc_train.models import build_students
from tmrvc_train.models.converter import merge_lora

SEED = 3  # the seed of conftest's tiny_models export
FRAMES = 30
TOL = 1e-4  # ORT vs PyTorch on voiced frames (the harmonic comb's large magnitudes), as in test_export_bank


def bank_meta(folder: Path) -> dict:
    return json.loads((folder / "metadata.json").read_text())["models"]["converter"]["bank"]


def bank_speaker(folder: Path, out: Path, value_size: int | None = None, n: int = K.BANK_MIN_FRAMES + 50) -> Path:
    """demo.tmrvc_speaker plus a random bank of n frames (keys non-negative like phone posteriors)."""
    demo = read_speaker_file(folder / "demo.tmrvc_speaker")
    rng = np.random.default_rng(11)
    keys = np.abs(rng.standard_normal((n, K.D_CONTENT - 1))).astype(np.float32)
    keys /= np.linalg.norm(keys, axis=1, keepdims=True)
    values = (rng.standard_normal((n, value_size or bank_meta(folder)["value_size"])) - 3.0).astype(np.float32)
    write_speaker_file(out, SpeakerFile(demo.spk_embed, demo.lora_delta, demo.metadata, keys, values))
    return out


def without_bank_metadata(folder: Path, out: Path) -> Path:
    """The same models with models.converter(_hq).bank removed from metadata.json: the engine sees no bank."""
    shutil.copytree(folder, out)
    meta = json.loads((out / "metadata.json").read_text())
    for name in ("converter", "converter_hq"):
        meta["models"].get(name, {}).pop("bank", None)
    (out / "metadata.json").write_text(json.dumps(meta, indent=2))
    return out


def test_tiny_folder_has_a_bank(tiny_models: Path) -> None:
    bank = bank_meta(tiny_models)
    assert (bank["frames"], bank["key_size"]) == (K.BANK_FRAMES, K.D_CONTENT - 1)
    bundle = tmrvc_engine.OrtSessionBundle(str(tiny_models))
    assert bundle.has_bank and bundle.bank_value_size == bank["value_size"]


def _stream(cpp, torch_conv, rng) -> tuple[float, list[np.ndarray]]:
    """Max abs C++ vs PyTorch over FRAMES streamed frames with voiced F0; also the C++ outputs."""
    state = torch_conv.init_state(1)
    spk = torch.from_numpy(rng.standard_normal((1, K.D_SPEAKER)).astype(np.float32))
    ac = torch.from_numpy(rng.random((1, K.N_ACOUSTIC_PARAMS)).astype(np.float32))
    worst, outs = 0.0, []
    with torch.no_grad():
        for t in range(FRAMES):
            content = np.abs(rng.standard_normal((1, K.D_CONTENT, 1))).astype(np.float32)
            content[0, -1, 0] = np.log(140.0 + 5.0 * t)
            ref, state = torch_conv.forward_streaming(torch.from_numpy(content), spk, ac, state)
            got = cpp.run({"content": content, "spk_embed": spk.numpy(), "acoustic_params": ac.numpy()})
            outs.append(got["pred_features"])
            worst = max(worst, float(np.abs(got["pred_features"] - ref.numpy()).max()))
    return worst, outs


def test_bank_converter_matches_pytorch(tiny_models: Path, tmp_path: Path) -> None:
    path = bank_speaker(tiny_models, tmp_path / "bank.tmrvc_speaker")
    spk = read_speaker_file(path)
    bundle = tmrvc_engine.OrtSessionBundle(str(tiny_models))
    cpp_bank, applied, warning = bundle.speaker_converter(str(path))
    assert applied and warning == ""
    cpp_plain, applied_plain, _ = bundle.speaker_converter(str(tiny_models / "demo.tmrvc_speaker"))
    assert not applied_plain
    conv = build_students("tiny", SEED).converter.eval()
    merged = merge_lora(conv, torch.from_numpy(spk.lora_delta)).eval()
    assert not merged.bank.enabled
    worst_plain, plain = _stream(cpp_plain, merged, np.random.default_rng(1))
    merged.bank.set(spk.bank_keys, spk.bank_values)
    worst_bank, banked = _stream(cpp_bank, merged, np.random.default_rng(1))
    moved = max(float(np.abs(a - b).max()) for a, b in zip(plain, banked))
    print(f"C++ bank converter vs PyTorch: max abs {worst_bank:.3g}; without bank {worst_plain:.3g}; "
          f"the bank moved the output by {moved:.3g}")
    assert worst_plain <= TOL and worst_bank <= TOL
    assert moved > 0.5


def test_hq_converter_takes_the_bank_too(tiny_models: Path, tmp_path: Path) -> None:
    path = bank_speaker(tiny_models, tmp_path / "bank.tmrvc_speaker")
    bundle = tmrvc_engine.OrtSessionBundle(str(tiny_models))
    outs = []
    for speaker in (path, tiny_models / "demo.tmrvc_speaker"):
        hq, _, _ = bundle.speaker_converter(str(speaker), role="converter_hq")
        rng = np.random.default_rng(2)
        window = np.abs(rng.standard_normal((1, K.D_CONTENT, 1 + K.MAX_LOOKAHEAD_HOPS))).astype(np.float32)
        window[0, -1] = np.log(150.0)
        outs.append(hq.run({"content": window, "spk_embed": rng.standard_normal((1, K.D_SPEAKER)).astype(np.float32),
                            "acoustic_params": rng.random((1, K.N_ACOUSTIC_PARAMS)).astype(np.float32)}
                           )["pred_features"])
    assert float(np.abs(outs[0] - outs[1]).max()) > 0.5


def voiced(rate: int = 48000, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    phase = 2 * np.pi * np.cumsum(130.0 + 30.0 * np.sin(2 * np.pi * 0.8 * t)) / rate
    return (0.1 * sum(np.sin(k * phase) / k for k in range(1, 12))).astype(np.float32)


def convert(models: Path, speaker: Path, x: np.ndarray) -> tuple[np.ndarray, "tmrvc_engine.StreamingEngine"]:
    engine = tmrvc_engine.StreamingEngine()
    engine.set_vocoder_phase(True)
    engine.load_models(str(models))
    engine.load_speaker(str(speaker))
    engine.prepare(48000, 256)
    engine.set_non_realtime(True)
    return engine.process(x, 256), engine


def test_engine_with_a_bank_speaker_differs_from_the_speaker_without(tiny_models: Path, tmp_path: Path) -> None:
    x = voiced()
    y_plain, e_plain = convert(tiny_models, tiny_models / "demo.tmrvc_speaker", x)
    y_bank, e_bank = convert(tiny_models, bank_speaker(tiny_models, tmp_path / "bank.tmrvc_speaker"), x)
    assert e_bank.speaker_bank_active() and not e_plain.speaker_bank_active()
    assert e_bank.last_error() == "" and e_bank.stats()["nan_frames"] == 0
    rms = float(np.sqrt(np.mean(y_plain ** 2)))
    diff = float(np.sqrt(np.mean((y_bank - y_plain) ** 2)))
    print(f"engine output rms {rms:.4f}; bank vs no bank rms difference {diff:.4f}")
    assert rms > 1e-3 and np.all(np.isfinite(y_bank))
    assert diff > 0.1 * rms


def test_speaker_without_bank_is_unchanged_by_the_bank_models(tiny_models: Path, tmp_path: Path) -> None:
    x = voiced()
    plain_models = without_bank_metadata(tiny_models, tmp_path / "no_bank")
    y_bank_models, _ = convert(tiny_models, tiny_models / "demo.tmrvc_speaker", x)
    y_plain_models, _ = convert(plain_models, tiny_models / "demo.tmrvc_speaker", x)
    assert float(np.sqrt(np.mean(y_bank_models ** 2))) > 1e-3
    np.testing.assert_array_equal(y_bank_models, y_plain_models)


def test_bank_speaker_on_models_without_a_bank_loads_with_a_warning(tiny_models: Path, tmp_path: Path) -> None:
    x = voiced()
    plain_models = without_bank_metadata(tiny_models, tmp_path / "no_bank")
    bank = bank_speaker(tiny_models, tmp_path / "bank.tmrvc_speaker")
    y_bank, engine = convert(plain_models, bank, x)
    assert engine.speaker_loaded() and not engine.speaker_bank_active()
    assert "bank is ignored" in engine.last_error() and "bank is ignored" in engine.status()
    y_plain, _ = convert(plain_models, tiny_models / "demo.tmrvc_speaker", x)
    np.testing.assert_array_equal(y_bank, y_plain)
    bundle = tmrvc_engine.OrtSessionBundle(str(plain_models))
    assert not bundle.has_bank
    _, applied, warning = bundle.speaker_converter(str(bank))
    assert not applied and "bank is ignored" in warning


def test_bank_of_another_value_size_is_refused(tiny_models: Path, tmp_path: Path) -> None:
    value_size = bank_meta(tiny_models)["value_size"]
    wrong = bank_speaker(tiny_models, tmp_path / "wrong.tmrvc_speaker", value_size + 2)
    engine = tmrvc_engine.StreamingEngine()
    engine.load_models(str(tiny_models))
    with pytest.raises(ValueError, match=f"bank value size {value_size + 2} does not match the loaded models' "
                                         f"{value_size}"):
        engine.load_speaker(str(wrong))
    assert not engine.speaker_loaded()


def test_reloading_models_reapplies_or_ignores_the_bank(tiny_models: Path, tmp_path: Path) -> None:
    """The speaker is re-applied to new models: its bank follows whether the new models have one."""
    plain_models = without_bank_metadata(tiny_models, tmp_path / "no_bank")
    engine = tmrvc_engine.StreamingEngine()
    engine.load_models(str(tiny_models))
    engine.load_speaker(str(bank_speaker(tiny_models, tmp_path / "bank.tmrvc_speaker")))
    assert engine.speaker_bank_active()
    engine.load_models(str(plain_models))
    assert engine.speaker_loaded() and not engine.speaker_bank_active()
    assert "bank is ignored" in engine.status()
    engine.load_models(str(tiny_models))
    assert engine.speaker_bank_active() and "bank is ignored" not in engine.status()
