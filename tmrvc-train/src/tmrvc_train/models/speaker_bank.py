"""Speaker bank of the converter (docs/speaker-bank.md): each output frame's envelope values come from the
enrolled speaker's own frames whose content is nearest to the input's.

The bank is five buffers, exported as the named initializers ``bank.keys`` [key_size, frames], ``bank.values``
[frames, value_size], ``bank.bias`` [frames], ``bank.voiced`` [frames] and ``bank.mix`` [1], which the engine
overrides per speaker. With ``mix = 0`` (no bank) the network's own values pass through unchanged. Per frame the
cost is one (key_size × frames) product, a TopK and a gather of k rows: 0.07 ms on one core at 255 × 3000
(scripts/bench_bank.py).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tmrvc_core import constants as K
from tmrvc_core.dsp.envelopes import bank_voicing

BUFFERS = ("keys", "values", "bias", "voiced", "mix")
INITIALIZER_NAMES = tuple(f"bank.{b}" for b in BUFFERS)


class SpeakerBank(nn.Module):
    """content (B, T, key_size), network values (B, T, value_size), F0 input (B, T) → values (B, T, value_size)."""

    def __init__(self, key_size: int, value_size: int, frames: int = K.BANK_FRAMES, k: int = K.BANK_K) -> None:
        super().__init__()
        if not 1 <= k <= frames:
            raise ValueError(f"SpeakerBank: k must be in 1..{frames}, got {k}")
        self.key_size, self.value_size, self.frames, self.k = key_size, value_size, frames, k
        self.register_buffer("keys", torch.zeros(key_size, frames))
        self.register_buffer("values", torch.zeros(frames, value_size))
        self.register_buffer("bias", torch.full((frames,), K.BANK_PAD_BIAS))
        self.register_buffer("voiced", torch.zeros(frames))
        self.register_buffer("mix", torch.zeros(1))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Checkpoints written before the bank existed have no bank buffers: keep the empty bank for them.
        for name in BUFFERS:
            state_dict.setdefault(prefix + name, getattr(self, name).detach().clone())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def enabled(self) -> bool:
        return bool(self.mix.item() != 0.0)

    @torch.no_grad()
    def set(self, keys: np.ndarray | torch.Tensor | None, values: np.ndarray | torch.Tensor | None) -> None:
        """Load a bank: keys (n, key_size) (normalised here), values (n, value_size); None clears it."""
        self.keys.zero_()
        self.values.zero_()
        self.bias.fill_(K.BANK_PAD_BIAS)
        self.voiced.zero_()
        self.mix.zero_()
        if keys is None:
            return
        keys_t = torch.as_tensor(np.asarray(keys, np.float32), device=self.keys.device)
        values_t = torch.as_tensor(np.asarray(values, np.float32), device=self.values.device)
        n = keys_t.shape[0]
        if keys_t.shape != (n, self.key_size) or values_t.shape != (n, self.value_size):
            raise ValueError(f"bank: expected keys (n, {self.key_size}) and values (n, {self.value_size}), got "
                             f"{tuple(keys_t.shape)} and {tuple(values_t.shape)}")
        if not self.k <= n <= self.frames:
            raise ValueError(f"bank: {n} frames; the converter holds {self.k}..{self.frames}")
        self.keys[:, :n] = (keys_t / keys_t.norm(dim=1, keepdim=True).clamp(min=1e-12)).T
        self.values[:n] = values_t
        self.bias[:n] = 0.0
        self.voiced[:n] = torch.from_numpy(bank_voicing(values_t.cpu().numpy())).to(self.voiced)
        self.mix.fill_(1.0)

    def forward(self, content: torch.Tensor, net: torch.Tensor, f0_input: torch.Tensor) -> torch.Tensor:
        """content (B, T, key_size), net (B, T, value_size), f0_input (B, T) (> 0 where voiced)."""
        if not self.enabled and not torch.onnx.is_in_onnx_export():
            return net  # training and bank-less inference skip the search; the exported graph always has it
        q = content / content.norm(dim=-1, keepdim=True).clamp(min=1e-6)
        voiced = (f0_input > 0).to(q.dtype)[..., None]  # (B, T, 1)
        # 1 where the bank frame's voicing matches the input's. Written so that no node computes from initializers
        # alone: ONNX Runtime folds such nodes with the exported values, before the engine's overrides apply.
        same_voicing = (1.0 - voiced) + self.voiced * (2.0 * voiced - 1.0)  # (B, T, frames)
        score = torch.matmul(q, self.keys) + self.bias + K.BANK_VOICING_BONUS * same_voicing
        idx = torch.topk(score, self.k, dim=-1).indices  # (B, T, k)
        drawn = nn.functional.embedding(idx, self.values).mean(dim=-2)  # (B, T, value_size)
        return net + self.mix * (drawn - net)
