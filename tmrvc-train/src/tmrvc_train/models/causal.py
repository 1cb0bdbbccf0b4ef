"""Causal building blocks with explicit streaming state.

Every stateful convolution is depthwise and pads on the left only. Streaming is pure:
``forward_streaming(x, state) -> (y, new_state)``; no layer keeps hidden buffers. A stack's state is the
concatenation, block after block along time, of each block's depthwise-conv input context
(``(kernel - 1) * dilation`` frames each), so one stack has one state tensor ``(B, channels, state_frames)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def check_tensor(name: str, x: torch.Tensor, channels: int, ndim: int = 3) -> None:
    """Raise ValueError unless ``x`` is a float tensor with ``ndim`` dims and ``channels`` at dim 1."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if x.dim() != ndim or x.shape[1] != channels:
        layout = "(B, C, T)" if ndim == 3 else "(B, C)"
        raise ValueError(f"{name}: expected shape {layout} with C={channels}, got {tuple(x.shape)}")


def check_state(name: str, state: torch.Tensor, x: torch.Tensor, channels: int, frames: int) -> None:
    """Raise ValueError unless ``state`` is ``(B, channels, frames)`` with the batch size of ``x``."""
    expected = (x.shape[0], channels, frames)
    if not isinstance(state, torch.Tensor) or tuple(state.shape) != expected:
        got = tuple(state.shape) if isinstance(state, torch.Tensor) else type(state).__name__
        raise ValueError(f"{name}: expected state of shape {expected}, got {got}")


class CausalDepthwiseConv1d(nn.Module):
    """Depthwise dilated conv padded on the left: ``x (B, C, T) -> y (B, C, T)``; context (k-1)*d frames."""

    def __init__(self, channels: int, kernel: int, dilation: int = 1) -> None:
        super().__init__()
        self.channels = channels
        self.context = (kernel - 1) * dilation
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation, groups=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, T) → (B, C, T), zeros assumed before the first frame."""
        return self.conv(F.pad(x, (self.context, 0)))

    def forward_streaming(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, T ≥ 1), state: (B, C, context) → y (B, C, T), new_state (B, C, context)."""
        if self.context == 0:
            return self.conv(x), state
        full = torch.cat([state, x], dim=2)
        new_state = full[:, :, -self.context:]
        return self.conv(full), new_state


class CausalConvNeXtBlock(nn.Module):
    """Causal ConvNeXt block: depthwise conv → LayerNorm → [FiLM] → Linear → GELU → Linear → scale → + x.

    The optional FiLM ``(gamma, beta)``, each (B, C), modulates the normalised features as
    ``h * (1 + gamma) + beta``. Pointwise layers are ``nn.Linear`` on (B, T, C) (they export as MatMul and
    quantise to INT8).
    """

    def __init__(self, channels: int, hidden: int, kernel: int, dilation: int, layer_scale_init: float) -> None:
        super().__init__()
        self.dwconv = CausalDepthwiseConv1d(channels, kernel, dilation)
        self.norm = nn.LayerNorm(channels)
        self.pw1 = nn.Linear(channels, hidden)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(hidden, channels)
        self.scale = nn.Parameter(torch.full((channels,), float(layer_scale_init)))

    @property
    def context(self) -> int:
        return self.dwconv.context

    def _pointwise(self, x: torch.Tensor, h: torch.Tensor, film: tuple[torch.Tensor, torch.Tensor] | None
                   ) -> torch.Tensor:
        h = self.norm(h.transpose(1, 2))  # (B, T, C)
        if film is not None:
            gamma, beta = film
            h = h * (1.0 + gamma.unsqueeze(1)) + beta.unsqueeze(1)
        h = self.pw2(self.act(self.pw1(h))) * self.scale
        return x + h.transpose(1, 2)

    def forward(self, x: torch.Tensor, film: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """x: (B, C, T) → (B, C, T)."""
        return self._pointwise(x, self.dwconv(x), film)

    def forward_streaming(self, x: torch.Tensor, state: torch.Tensor,
                          film: tuple[torch.Tensor, torch.Tensor] | None = None
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, T), state: (B, C, context) → y (B, C, T), new_state (B, C, context)."""
        h, new_state = self.dwconv.forward_streaming(x, state)
        return self._pointwise(x, h, film), new_state


class CausalConvNeXtStack(nn.Module):
    """A sequence of causal ConvNeXt blocks sharing one concatenated state ``(B, C, state_frames)``."""

    def __init__(self, channels: int, hidden: int, kernel: int, dilations: tuple[int, ...],
                 layer_scale_init: float) -> None:
        super().__init__()
        self.channels = channels
        self.blocks = nn.ModuleList(
            CausalConvNeXtBlock(channels, hidden, kernel, d, layer_scale_init) for d in dilations
        )
        self.state_frames = sum(b.context for b in self.blocks)

    def init_state(self, batch: int = 1, device: torch.device | str | None = None,
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Zero state (batch, channels, state_frames)."""
        return torch.zeros(batch, self.channels, self.state_frames, device=device, dtype=dtype)

    def forward(self, x: torch.Tensor, films: list[tuple[torch.Tensor, torch.Tensor]] | None = None
                ) -> torch.Tensor:
        """x: (B, C, T) → (B, C, T); ``films[i]`` = (gamma, beta) of block i, each (B, C)."""
        for i, block in enumerate(self.blocks):
            x = block(x, None if films is None else films[i])
        return x

    def forward_streaming(self, x: torch.Tensor, state: torch.Tensor,
                          films: list[tuple[torch.Tensor, torch.Tensor]] | None = None
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, T), state: (B, C, state_frames) → y (B, C, T), new_state (B, C, state_frames)."""
        new_states = []
        offset = 0
        for i, block in enumerate(self.blocks):
            block_state = state[:, :, offset:offset + block.context]
            offset += block.context
            x, s = block.forward_streaming(x, block_state, None if films is None else films[i])
            new_states.append(s)
        return x, torch.cat(new_states, dim=2)
