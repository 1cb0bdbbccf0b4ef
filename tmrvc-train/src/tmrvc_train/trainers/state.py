"""TrainState: everything a run needs to continue bit for bit, and its checkpoint file.

A checkpoint holds the step, every trained model's and optimiser's state, the schedulers, the RNG states,
the config snapshot and the best-so-far metric. Randomness inside a step is seeded from (seed, step, rank)
(:func:`tmrvc_train.trainers.runtime.seed_step`) and batches are a function of the step, so loading a
checkpoint and continuing gives the same weights as never stopping (on CPU).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tmrvc_train.trainers.runtime import unwrap

TRAIN_STATE_FORMAT = "tmrvc-train-state"
TRAIN_STATE_VERSION = 1


@dataclass
class TrainState:
    """The mutable state of one training run: step counter, modules, optimisers, schedulers, history."""

    step: int = 0
    modules: dict[str, nn.Module] = field(default_factory=dict)
    optimizers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)
    schedulers: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)

    def state_dict(self, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "format": TRAIN_STATE_FORMAT, "version": TRAIN_STATE_VERSION, "step": self.step,
            "modules": {k: unwrap(m).state_dict() for k, m in self.modules.items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "history": self.history, "config": config,
            "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
        }

    def load_state_dict(self, payload: dict[str, Any]) -> None:
        if payload.get("format") != TRAIN_STATE_FORMAT or payload.get("version") != TRAIN_STATE_VERSION:
            raise ValueError(f"train state: expected format {TRAIN_STATE_FORMAT!r} v{TRAIN_STATE_VERSION}, got "
                             f"{payload.get('format')!r} v{payload.get('version')}")
        for kind, own in (("modules", self.modules), ("optimizers", self.optimizers),
                          ("schedulers", self.schedulers)):
            missing = sorted(set(own) - set(payload[kind]))
            if missing:
                raise ValueError(f"train state: checkpoint lacks {kind} {missing}")
        for k, m in self.modules.items():
            unwrap(m).load_state_dict(payload["modules"][k])
        for k, o in self.optimizers.items():
            o.load_state_dict(payload["optimizers"][k])
        for k, s in self.schedulers.items():
            s.load_state_dict(payload["schedulers"][k])
        self.step = int(payload["step"])
        self.history = list(payload.get("history", []))
        rng = payload["rng"]
        torch.set_rng_state(rng["torch"])
        np.random.set_state(rng["numpy"])
        random.setstate(rng["python"])


def save_train_state(path: str | Path, state: TrainState, config: dict[str, Any]) -> None:
    """Write atomically (temporary file, then rename) so a crash never leaves half a checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state.state_dict(config), tmp)
    tmp.replace(path)


def load_train_state(path: str | Path, state: TrainState) -> dict[str, Any]:
    """Restore ``state`` from ``path``; returns the checkpoint's config snapshot."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--resume: no train state at {path}")
    payload = torch.load(path, map_location="cpu", weights_only=False)
    state.load_state_dict(payload)
    return dict(payload.get("config", {}))
