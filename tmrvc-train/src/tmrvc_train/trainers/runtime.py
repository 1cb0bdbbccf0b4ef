"""Run-time plumbing shared by every trainer: settings, device, DDP (torchrun), per-step seeding, autocast.

Settings: a frozen dataclass of defaults, overridden by ``--config file.yaml`` and then ``--key value``
(``tmrvc_data.config.parse_cli``). ``--resume`` is a normal boolean setting of each trainer's config.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Runtime:
    """Where this process runs: device, DDP rank / world size, autocast dtype (bf16 on CUDA, none on CPU)."""

    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    amp_dtype: torch.dtype | None = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def select_device(name: str = "auto") -> torch.device:
    """"auto" → CUDA when available, else CPU; "cpu" / "cuda" / "cuda:N" are taken as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise ValueError(f"device: expected auto, cpu, cuda or cuda:N, got {name!r}")
    return torch.device(name)


def init_runtime(device: str = "auto", amp: bool = True) -> Runtime:
    """Set up the process: under torchrun (``WORLD_SIZE`` > 1) join the process group (nccl on CUDA, gloo on
    CPU); pick the device; bf16 autocast only on CUDA and only when ``amp``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    dev = select_device(device)
    if dev.type == "cuda" and world > 1:
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    amp_dtype = torch.bfloat16 if (amp and dev.type == "cuda") else None
    return Runtime(dev, rank, world, local, amp_dtype)


def shutdown(rt: Runtime) -> None:
    """Leave the process group (no-op without DDP)."""
    if rt.distributed and dist.is_initialized():
        dist.destroy_process_group()


def autocast(rt: Runtime) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA when enabled, else a no-op context."""
    if rt.amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=rt.device.type, dtype=rt.amp_dtype)


def step_seed(seed: int, step: int, rank: int = 0, salt: str = "") -> int:
    """A 63-bit seed that depends only on (seed, step, rank, salt): makes every step's randomness a pure
    function of the step, so a resumed run draws exactly what the uninterrupted run drew."""
    digest = hashlib.sha256(f"{seed}:{step}:{rank}:{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def seed_step(seed: int, step: int, rank: int = 0) -> None:
    """Seed torch, numpy and random for one training step (see :func:`step_seed`)."""
    s = step_seed(seed, step, rank)
    torch.manual_seed(s)
    np.random.seed(s % 2**32)
    random.seed(s)


def all_reduce_mean(value: torch.Tensor, rt: Runtime) -> torch.Tensor:
    """Mean of a tensor over ranks (identity without DDP)."""
    if not rt.distributed:
        return value
    out = value.detach().clone()
    dist.all_reduce(out)
    return out / rt.world_size


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return module.module if isinstance(module, torch.nn.parallel.DistributedDataParallel) else module


def wrap_ddp(module: torch.nn.Module, rt: Runtime) -> torch.nn.Module:
    """DDP-wrap a trainable module under torchrun; the module itself otherwise."""
    if not rt.distributed or not any(p.requires_grad for p in module.parameters()):
        return module
    ids = [rt.device.index] if rt.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids, find_unused_parameters=True)


def infinite(it_factory: Any) -> Iterator[Any]:
    """Iterate a re-creatable iterable forever."""
    while True:
        yield from it_factory()
