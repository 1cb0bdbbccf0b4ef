"""The HQ (semi-causal) converter: a fresh one equals the live converter at every lookahead, streaming over
replicated windows equals the whole-sequence forward, the lookahead is bounded by L, phase hq trains it (and
resumes bit for bit), and the export writes converter_hq.onnx whose FiLM initializers equal converter.onnx's."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from tmrvc_core import constants as K
from tmrvc_export.cli import ExportConfig
from tmrvc_export.cli import main as export
from tmrvc_train.distill.common import DistillConfig, build_from_settings, write_students
from tmrvc_train.distill.train import main as distill
from tmrvc_train.models import ConverterHQ, build_students, load_checkpoint, lookahead_windows, save_checkpoint
from tmrvc_train.models.converter_hq import lookahead_indices, stream_hq
from tmrvc_train.teacher import MelNorm, TeacherConfig, TeacherUNet, save_teacher

os.environ.setdefault("HF_HUB_OFFLINE", "1")
_TRAIN_TESTS = Path(__file__).resolve().parents[2] / "tmrvc-train" / "tests"
FAST = dict(size="tiny", batch_size=2, segment_frames=24, progress=False, log_every=1, media_every=2, threads=1,
            teacher_steps=2, ckpt_every=2)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training tests' tiny feature cache (3 harmonic 'speakers', real tmrvc-build-cache)."""
    if str(_TRAIN_TESTS) not in sys.path:
        sys.path.insert(0, str(_TRAIN_TESTS))
    from conftest_train import make_tiny_cache

    return make_tiny_cache(tmp_path_factory.mktemp("hq_corpus"))


def _inputs(b: int, t: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    spk = torch.randn(b, K.D_SPEAKER, generator=g)
    return torch.randn(b, K.D_CONTENT, t, generator=g), spk / spk.norm(dim=1, keepdim=True), \
        torch.rand(b, K.N_ACOUSTIC_PARAMS, generator=g)


def test_replication_rule_indices() -> None:
    idx = lookahead_indices(10, 2)
    assert idx[0].tolist() == [0, 1, 2, 2, 2, 2, 2]
    assert idx[8].tolist() == [8, 9, 9, 9, 9, 9, 9]  # sequence end repeats the last frame
    assert lookahead_indices(10, 6)[3].tolist() == [3, 4, 5, 6, 7, 8, 9]
    for bad in (-1, 7, 2.0, True):
        with pytest.raises(ValueError, match="lookahead"):
            lookahead_indices(10, bad)


def test_fresh_hq_equals_live_converter_at_every_lookahead() -> None:
    conv = build_students("tiny", 1).converter
    hq = ConverterHQ.from_converter(conv).eval()
    assert hq.film is conv.film and not hq.lookahead.pw.weight.detach().any()
    x, spk, ac = _inputs(2, 40)
    delta = torch.randn(conv.cfg.lora_size) * 0.1
    with torch.no_grad():
        for lora in (None, delta):
            ref = conv(x, spk, ac, lora_delta=lora)
            for lookahead in range(1, K.MAX_LOOKAHEAD_HOPS + 1):
                assert torch.equal(hq(x, spk, ac, lookahead, lora_delta=lora), ref)
            assert (stream_hq(hq, x, spk, ac, 3) - conv(x, spk, ac)).abs().max() <= 1e-5


@pytest.mark.parametrize("lookahead", [6, 2])
def test_streaming_equals_forward_and_sees_only_lookahead(lookahead: int) -> None:
    hq = ConverterHQ.from_converter(build_students("tiny", 2).converter).perturb_lookahead(0.1, 5).eval()
    x, spk, ac = _inputs(2, 50, seed=1)
    with torch.no_grad():
        full = hq(x, spk, ac, lookahead)
        assert (stream_hq(hq, x, spk, ac, lookahead) - full).abs().max() <= 1e-5
        assert (full - hq(x, spk, ac, 1)).abs().max() > 1e-3  # the lookahead path is live
        changed = x.clone()
        changed[:, :, 30:] += 1.0  # frames ≥ 30 may only reach outputs ≥ 30 − L
        diff = (hq(changed, spk, ac, lookahead) - full).abs().amax(dim=(0, 1))
        assert float(diff[:30 - lookahead].max()) == 0.0 and float(diff[30 - lookahead]) > 0.0
    windows = lookahead_windows(x, lookahead)
    assert windows.shape == (50, 2, K.D_CONTENT, K.MAX_LOOKAHEAD_HOPS + 1)
    with pytest.raises(ValueError, match="window"):
        hq.forward_streaming(x[:, :, :6], spk, ac, hq.init_state(2))


def _weights(path: Path) -> dict[str, torch.Tensor]:
    students, _ = load_checkpoint(path)
    return {f"{n}.{k}": v for n, m in students.items() for k, v in m.state_dict().items()}


def _prepare(d: Path) -> dict[str, str]:
    d.mkdir(parents=True, exist_ok=True)
    write_students(d / "students.pt", build_from_settings("tiny", {}, 0), {}, "init", {})
    torch.manual_seed(0)
    save_teacher(d / "teacher.pt", TeacherUNet(TeacherConfig.tiny()), MelNorm(), {})
    return dict(out_dir=str(d), students=str(d / "students.pt"), teacher=str(d / "teacher.pt"))


def test_phase_hq_trains_resumes_and_exports(cache: Path, tmp_path: Path) -> None:
    old, _ = load_checkpoint(_prepare(tmp_path / "init")["students"])  # a checkpoint without converter_hq
    assert old.converter_hq is None
    runs = {}
    for name, stops in (("straight", [4]), ("resumed", [2, 4])):
        paths = _prepare(tmp_path / name)
        for i, stop in enumerate(stops):
            distill(DistillConfig(phase="hq", cache=str(cache), steps=stop, resume=i > 0, **paths, **FAST))
        runs[name] = _weights(Path(paths["students"]))
    assert runs["straight"].keys() == runs["resumed"].keys()
    assert all(torch.equal(runs["straight"][k], runs["resumed"][k]) for k in runs["straight"])

    ckpt = tmp_path / "straight" / "students.pt"
    students, info = load_checkpoint(ckpt)
    hq, conv = students.converter_hq, students.converter
    assert isinstance(hq, ConverterHQ) and hq.film is conv.film
    assert torch.equal(hq.in_proj.weight, conv.in_proj.weight)  # frozen
    assert bool(hq.lookahead.pw.weight.detach().any())  # trained away from its zero init
    assert not torch.equal(hq.stack.blocks[0].pw1.weight, conv.stack.blocks[0].pw1.weight)
    last = info["phases"][-1]
    assert last["phase"] == "hq" and last["steps"] == 4
    assert {"loss", "live_loss", "recon_l1", "live_recon_l1", "mel_l1", "live_mel_l1", "lookahead"} <= set(last["last"])
    # the loss holds the log-mel term that keeps the HQ converter's level (weights 1 by default)
    v = last["last"]
    assert v["loss"] == pytest.approx(v["recon_l1"] + v["traj_l1"] + v["mel_l1"], rel=1e-4) and v["mel_l1"] > 0
    assert all(np.isfinite(v) for v in last["last"].values())
    history = json.loads((tmp_path / "straight" / "distill_hq_history.json").read_text())
    assert {h["lookahead"] for h in history} <= set(range(1, K.MAX_LOOKAHEAD_HOPS + 1))

    result = export(ExportConfig(tmp_path / "models", checkpoint=ckpt, quiet=True))
    _check_hq_file(result.out_dir)
    save_checkpoint(tmp_path / "old.pt", old)
    plain = export(ExportConfig(tmp_path / "plain", checkpoint=tmp_path / "old.pt", quiet=True))
    assert not (plain.out_dir / "converter_hq.onnx").exists() and "converter_hq" not in plain.metadata["models"]


def _check_hq_file(folder: Path) -> None:
    """converter_hq.onnx: contract names/shapes, FP32 only, FiLM initializers equal converter.onnx's, gate passed."""
    meta = json.loads((folder / "metadata.json").read_text())
    entry = meta["models"]["converter_hq"]
    assert entry["file"] == "converter_hq.onnx" and entry["opset"] == K.ONNX_OPSET and "int8_file" not in entry
    assert not (folder / "int8" / "converter_hq.onnx").exists()
    assert [(i["name"], i["shape"][-1]) for i in entry["inputs"]][0] == ("content", K.MAX_LOOKAHEAD_HOPS + 1)
    assert meta["verification"]["converter_hq"]["passed"] and meta["verification"]["converter_hq"]["frames"] == 100

    def films(name: str) -> dict[str, np.ndarray]:
        model = onnx.load(str(folder / name))
        return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.name.startswith("film.")}

    live, hq = films("converter.onnx"), films("converter_hq.onnx")
    n_blocks = len(meta["models"]["converter"]["config"]["dilations"])
    assert {f"film.{i}.weight" for i in range(n_blocks)} <= set(live)
    assert live.keys() == hq.keys() and all(np.array_equal(live[k], hq[k]) for k in live)
    graph = onnx.load(str(folder / "converter_hq.onnx")).graph
    assert [i.name for i in graph.input] == ["content", "spk_embed", "acoustic_params", "state_in"]
    assert [o.name for o in graph.output] == ["pred_features", "state_out"]


def test_random_init_export_has_a_live_hq_file(tmp_path: Path) -> None:
    import onnxruntime as ort

    result = export(ExportConfig(tmp_path / "models", random_init=True, size="tiny", seed=3, quiet=True))
    _check_hq_file(result.out_dir)
    sess = {n: ort.InferenceSession(str(result.out_dir / f"{n}.onnx"), providers=["CPUExecutionProvider"])
            for n in ("converter", "converter_hq")}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, K.D_CONTENT, K.MAX_LOOKAHEAD_HOPS + 1)).astype(np.float32)
    feeds = {"spk_embed": rng.standard_normal((1, K.D_SPEAKER)).astype(np.float32),
             "acoustic_params": rng.random((1, K.N_ACOUSTIC_PARAMS)).astype(np.float32)}
    state = np.zeros(sess["converter"].get_inputs()[3].shape, np.float32)
    live = sess["converter"].run(None, {**feeds, "content": x[:, :, :1], "state_in": state})[0]
    hq = sess["converter_hq"].run(None, {**feeds, "content": x, "state_in": state})[0]
    assert float(np.abs(live - hq).max()) > 1e-3  # random pw: the lookahead changes the output


def test_export_refuses_an_hq_file_with_other_film_weights(tmp_path: Path) -> None:
    import copy

    from tmrvc_export.model_folder import export_model_folder
    from tmrvc_export.onnx_export import ExportError

    students = build_students("tiny", 0)
    students.converter_hq = ConverterHQ.from_converter(students.converter).eval()
    students.converter_hq.film = copy.deepcopy(students.converter.film)  # untied: LoRA would not match any more
    with torch.no_grad():
        students.converter_hq.film[0].weight[0, 0] += 0.5
    with pytest.raises(ExportError, match="film.0.weight"):
        export_model_folder(students, tmp_path / "models", {}, log=lambda m: None)
    assert not (tmp_path / "models").exists()
