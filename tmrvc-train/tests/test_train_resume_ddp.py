"""Trainer plumbing: --resume continues bit for bit on CPU; torchrun DDP (2 CPU processes, gloo) keeps both
ranks' weights identical; settings come from dataclass defaults, YAML and CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from tmrvc_data.config import parse_cli
from tmrvc_train.distill.common import DistillConfig, build_from_settings, write_students
from tmrvc_train.distill.train import main as distill
from tmrvc_train.models import load_checkpoint
from tmrvc_train.teacher.train import TeacherTrainConfig
from tmrvc_train.teacher.train import main as train_teacher

FAST = dict(size="tiny", batch_size=2, segment_frames=24, progress=False, log_every=1, media_every=0, threads=1)


def _students(path: Path) -> Path:
    write_students(path, build_from_settings("tiny", {}, 0), {}, "init", {})
    return path


def _weights(path: Path) -> dict[str, torch.Tensor]:
    students, _ = load_checkpoint(path)
    return {f"{n}.{k}": v for n, m in students.items() for k, v in m.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("phase", ["content", "vocoder"])
def test_resume_is_bit_exact(train_cache: Path, tmp_path: Path, phase: str) -> None:
    runs = {}
    for name, stops in (("straight", [4]), ("resumed", [2, 4])):
        d = tmp_path / name
        _students(d / "students.pt")
        for i, stop in enumerate(stops):
            distill(DistillConfig(cache=str(train_cache), out_dir=str(d), students=str(d / "students.pt"), phase=phase,
                                  steps=stop, resume=i > 0, ckpt_every=2, adv_start=1, **FAST))
        runs[name] = _weights(d / "students.pt")
    assert _same(runs["straight"], runs["resumed"])
    assert not _same(runs["straight"], _weights(_students(tmp_path / "init.pt")))


def test_teacher_resume_is_bit_exact(train_cache: Path, tmp_path: Path) -> None:
    students = _students(tmp_path / "students.pt")
    out = {}
    for name, stops in (("straight", [3]), ("resumed", [1, 3])):
        for i, stop in enumerate(stops):
            cfg = TeacherTrainConfig(cache=str(train_cache), out_dir=str(tmp_path / name), students=str(students),
                                     teacher=str(tmp_path / f"{name}.pt"), steps=stop, resume=i > 0, ckpt_every=1,
                                     spectral_from=1, augment_p=1.0, augment_from=2, **FAST)
            train_teacher(cfg)
        out[name] = torch.load(tmp_path / f"{name}.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(out["straight"][k], out["resumed"][k]) for k in out["straight"])


def test_settings_from_yaml_and_cli(tmp_path: Path) -> None:
    yml = tmp_path / "s.yaml"
    yml.write_text("phase: B\nsteps: 7\nmodels:\n  converter: {channels: 16}\n")
    cfg = parse_cli(DistillConfig, ["--config", str(yml), "--steps", "9", "--lr=0.01"])
    assert (cfg.phase, cfg.steps, cfg.lr, cfg.models) == ("B", 9, 0.01, {"converter": {"channels": 16}})
    assert cfg.teacher_steps == DistillConfig().teacher_steps
    with pytest.raises(ValueError, match="unknown setting"):
        parse_cli(DistillConfig, ["--no_such_key", "1"])
    with pytest.raises(ValueError, match="phase"):
        DistillConfig(phase="C")
    with pytest.raises(ValueError, match="unknown model names"):
        build_from_settings("tiny", {"convertor": {}}, 0)


DDP_SCRIPT = textwrap.dedent("""
    import os, sys, torch
    from tmrvc_train.distill.common import DistillConfig, open_students
    from tmrvc_train.distill.encoders import ContentStage
    from tmrvc_train.trainers.data import CacheIndex
    from tmrvc_train.trainers.loop import run
    from tmrvc_train.trainers.runtime import init_runtime, shutdown, unwrap
    cache, out = sys.argv[1], sys.argv[2]
    cfg = DistillConfig(cache=cache, out_dir=out, students=out + "/students.pt", phase="content", steps=3,
                        size="tiny", batch_size=2, segment_frames=24, progress=False, log_every=1, media_every=0,
                        threads=1, rvq_quantizers=1, rvq_codebook_size=8)
    rt = init_runtime("cpu", False)
    assert rt.world_size == 2, rt
    index = CacheIndex(cache)
    students, info = open_students(cfg)
    stage = ContentStage(cfg, rt, students, info, index)
    run(stage, cfg, rt, index, "ddp")
    torch.save({"enc": unwrap(stage.enc).state_dict(), "rvq": stage.rvq.state_dict()},
               f"{out}/rank{rt.rank}.pt")
    shutdown(rt)
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ddp_two_cpu_ranks_hold_identical_weights(train_cache: Path, tmp_path: Path) -> None:
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_free_port()), str(script), str(train_cache), str(tmp_path)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    for part in ("enc", "rvq"):
        assert all(torch.equal(r0[part][k], r1[part][k]) for k in r0[part]), part
    init = build_from_settings("tiny", {}, 0).content_encoder.state_dict()
    assert any(not torch.equal(init[k], r0["enc"][k]) for k in init)
