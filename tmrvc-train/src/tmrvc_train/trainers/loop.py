"""The one training loop every stage uses, top to bottom: resume → for each step: seed, batch, task step,
log (tqdm, TensorBoard scalars, audio and mel images), checkpoint → final checkpoint → task output.

A *task* (teacher, content encoder, converter phase A/B, vocoder GAN, …) owns its models and optimisers
(``state.modules`` / ``state.optimizers``), does its own backward passes in ``train_step`` (a GAN needs two)
and writes its product in ``finish``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from tqdm import tqdm

from tmrvc_data.config import config_to_dict
from tmrvc_train.trainers.data import CacheIndex, DataSettings, make_loader, to_device
from tmrvc_train.trainers.runtime import Runtime, all_reduce_mean, seed_step
from tmrvc_train.trainers.state import TrainState, load_train_state, save_train_state


@dataclass(frozen=True)
class CommonConfig:
    """Settings every trainer shares (its own dataclass adds to them)."""

    cache: str = "data/cache"
    out_dir: str = "runs/train"
    steps: int = 1000
    batch_size: int = 8
    segment_frames: int = 96
    lr: float = 2e-4
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    workers: int = 0
    threads: int = 0
    log_every: int = 10
    media_every: int = 200
    ckpt_every: int = 200
    resume: bool = False
    progress: bool = True
    augment_p: float = 0.0
    augment_from: int = 0
    ref_frames: int = 300


class Task(Protocol):
    state: TrainState
    needs_audio: bool

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]: ...

    def log_media(self, writer: Any, batch: dict[str, torch.Tensor], step: int) -> None: ...

    def finish(self, out_dir: Path) -> Path: ...


def _writer(rt: Runtime, out_dir: Path) -> Any:
    if not rt.is_main:
        return None
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(out_dir / "tb"))


def mel_image(mel: torch.Tensor) -> np.ndarray:
    """(80, T) log-mel → (1, 80, T) image in [0, 1], low frequencies at the bottom (TensorBoard CHW)."""
    m = mel.detach().float().cpu().numpy()
    m = (m - m.min()) / max(float(m.max() - m.min()), 1e-6)
    return m[None, ::-1].copy()


def run(task: Task, cfg: CommonConfig, rt: Runtime, index: CacheIndex, name: str) -> Path:
    """Train ``task`` for ``cfg.steps`` steps; returns the path ``task.finish`` wrote."""
    out_dir = Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    ckpt = out_dir / f"{name}_state.pt"
    snapshot = config_to_dict(cfg)
    if cfg.resume:
        load_train_state(ckpt, task.state)
    start = task.state.step
    data = DataSettings(cfg.cache, "train", cfg.batch_size, cfg.segment_frames, cfg.ref_frames,
                        with_audio=task.needs_audio, seed=cfg.seed, augment_p=cfg.augment_p,
                        augment_from=cfg.augment_from)
    loader = make_loader(index, data, start, cfg.steps, rt.rank, cfg.workers)
    writer = _writer(rt, out_dir)
    bar = tqdm(total=cfg.steps, initial=start, desc=name, disable=not (cfg.progress and rt.is_main))
    t0 = time.perf_counter()
    for step, batch in zip(range(start, cfg.steps), loader):
        seed_step(cfg.seed, step, rt.rank)
        batch = to_device(batch, rt.device)
        losses = task.train_step(batch, step)
        task.state.step = step + 1
        if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps:
            vals = {k: float(all_reduce_mean(v.detach().float(), rt)) for k, v in losses.items()}
            vals["steps_per_s"] = (step + 1 - start) / max(time.perf_counter() - t0, 1e-9)
            task.state.history.append({"step": step + 1, **vals})
            if writer is not None:
                for k, v in vals.items():
                    writer.add_scalar(f"{name}/{k}", v, step + 1)
            bar.set_postfix({k: f"{v:.3g}" for k, v in list(vals.items())[:4]})
        if writer is not None and cfg.media_every > 0 and (step + 1) % cfg.media_every == 0:
            task.log_media(writer, batch, step + 1)
        if rt.is_main and cfg.ckpt_every > 0 and (step + 1) % cfg.ckpt_every == 0:
            save_train_state(ckpt, task.state, snapshot)
        bar.update(1)
    bar.close()
    if rt.is_main:
        save_train_state(ckpt, task.state, snapshot)
        (out_dir / f"{name}_history.json").write_text(json.dumps(task.state.history, indent=1))
    if writer is not None:
        writer.close()
    return task.finish(out_dir)
