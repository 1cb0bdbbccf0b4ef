"""Semi-causal (HQ) converter: the live converter plus a right-context lookahead layer on its input projection.

Frame u sees content frames u … u + W − 1 (W = max_lookahead_hops + 1 = 7 slots, slot r = frame u + r) and its
own causal state. At lookahead L (0 … max_lookahead_hops hops) slots r > L hold a copy of slot L (edge
replication), and at the end of a sequence the last frame is repeated, so one model serves every lookahead:
tap r of frame u reads content at index ``min(u + min(r, L), T − 1)``.

With ``p = in_proj(content)`` (B, C, ·), the lookahead layer is ``h(u) = p(u) + pw(dw(p)[u])``: ``dw`` a depthwise
conv with W taps over p(u … u + W − 1) (right context only), ``pw`` a Linear(C, C) initialised to zero, so
:meth:`ConverterHQ.from_converter` reproduces the live converter exactly at every lookahead. Then the causal
stack with FiLM and the output layers, exactly as in :class:`Converter`; the state is the stack's state
(B, C, state_frames). The FiLM layers are the live converter's own modules (shared, same names), so a speaker's
LoRA delta applies to both.
"""

from __future__ import annotations

import torch
from torch import nn

from tmrvc_core import constants as K
from tmrvc_train.models.causal import check_state, check_tensor
from tmrvc_train.models.config import ConverterConfig
from tmrvc_train.models.converter import Converter

LOOKAHEAD_SLOTS = K.MAX_LOOKAHEAD_HOPS + 1


def lookahead_indices(n_frames: int, lookahead: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(T, W) long: content index read by tap r of frame u, ``min(u + min(r, L), T − 1)``."""
    check_lookahead(lookahead)
    if n_frames < 1:
        raise ValueError(f"n_frames: expected >= 1, got {n_frames}")
    u = torch.arange(n_frames, device=device)[:, None]
    r = torch.arange(LOOKAHEAD_SLOTS, device=device).clamp(max=lookahead)[None, :]
    return (u + r).clamp(max=n_frames - 1)


def check_lookahead(lookahead: int) -> None:
    if isinstance(lookahead, bool) or not isinstance(lookahead, int) or not 0 <= lookahead <= K.MAX_LOOKAHEAD_HOPS:
        raise ValueError(f"lookahead: expected an int in 0..{K.MAX_LOOKAHEAD_HOPS} hops, got {lookahead!r}")


def lookahead_windows(content: torch.Tensor, lookahead: int) -> torch.Tensor:
    """content (B, D, T) → windows (T, B, D, W): the HQ converter's per-frame input under the replication rule."""
    idx = lookahead_indices(content.shape[-1], lookahead, content.device)
    return content[:, :, idx].permute(2, 0, 1, 3)


class LookaheadLayer(nn.Module):
    """``h(u) = p(u) + pw(dw(p)[u])`` with dw depthwise over W right-context slots and pw zero-initialised."""

    def __init__(self, channels: int, slots: int = LOOKAHEAD_SLOTS) -> None:
        super().__init__()
        self.slots = slots
        self.dw = nn.Conv1d(channels, channels, slots, groups=channels)
        self.pw = nn.Linear(channels, channels)
        nn.init.zeros_(self.pw.weight)
        nn.init.zeros_(self.pw.bias)

    def _mix(self, p0: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        """p0, d: (B, C, T) → p0 + pw(d)."""
        return p0 + self.pw(d.transpose(1, 2)).transpose(1, 2)

    def forward_window(self, p: torch.Tensor) -> torch.Tensor:
        """p: (B, C, W) window of one frame → h (B, C, 1)."""
        return self._mix(p[:, :, :1], self.dw(p))

    def forward(self, p: torch.Tensor, lookahead: int) -> torch.Tensor:
        """p: (B, C, T) whole sequence → h (B, C, T), taps read under the replication rule at ``lookahead``."""
        idx = lookahead_indices(p.shape[-1], lookahead, p.device)
        windows = p[:, :, idx]  # (B, C, T, W)
        d = torch.einsum("bctr,cr->bct", windows, self.dw.weight[:, 0, :]) + self.dw.bias[None, :, None]
        return self._mix(p, d)


class ConverterHQ(Converter):
    """content window (B, d_content, W) + spk_embed + acoustic_params + state → features (B, 513, 1)."""

    def __init__(self, cfg: ConverterConfig | None = None) -> None:
        super().__init__(cfg)
        self.lookahead = LookaheadLayer(self.cfg.channels)

    @classmethod
    def from_converter(cls, converter: Converter) -> "ConverterHQ":
        """An HQ converter equal to ``converter`` at every lookahead: copies of in_proj, stack and output layers,
        the converter's own FiLM modules (shared), a fresh lookahead layer with pw = 0."""
        if not isinstance(converter, Converter) or isinstance(converter, ConverterHQ):
            raise ValueError(f"converter: expected a live Converter, got {type(converter).__name__}")
        ref = next(converter.parameters())
        hq = cls(converter.cfg).to(device=ref.device, dtype=ref.dtype)
        missing, unexpected = hq.load_state_dict(converter.state_dict(), strict=False)
        assert not unexpected and all(k.startswith("lookahead.") for k in missing), (missing, unexpected)
        hq.film = converter.film
        hq.bank = converter.bank  # one speaker bank for both profiles, as the engine overrides both files'
        return hq.train(converter.training)

    @torch.no_grad()
    def perturb_lookahead(self, std: float, seed: int) -> "ConverterHQ":
        """Give pw seeded N(0, std²) weights (random-init exports, so the lookahead path is not a no-op)."""
        g = torch.Generator().manual_seed(seed)
        w = torch.randn(self.lookahead.pw.weight.shape, generator=g) * std
        self.lookahead.pw.weight.copy_(w.to(self.lookahead.pw.weight))
        return self

    def forward(self, content: torch.Tensor, spk_embed: torch.Tensor, acoustic_params: torch.Tensor,
                lookahead: int = K.MAX_LOOKAHEAD_HOPS, lora_delta: torch.Tensor | None = None) -> torch.Tensor:
        """content (B, d_content, T), spk_embed (B, 192), acoustic_params (B, 32), lookahead L (hops) →
        features (B, 513, T); frame u's tap r reads content at min(u + min(r, L), T − 1)."""
        self._check(content, spk_embed)
        films = self.film_params(spk_embed, acoustic_params, lora_delta)
        h = self.lookahead(self._inp(content), lookahead)
        return self._out(self.stack(h, films), content)

    def forward_streaming(self, window: torch.Tensor, spk_embed: torch.Tensor, acoustic_params: torch.Tensor,
                          state: torch.Tensor, lora_delta: torch.Tensor | None = None
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """window (B, d_content, W) (slot r = frame u + r), state (B, C, S) → (features (B, 513, 1), new_state)."""
        self._check(window, spk_embed)
        if window.shape[-1] != self.lookahead.slots:
            raise ValueError(f"window: expected {self.lookahead.slots} frames (slot r = frame u + r), "
                             f"got shape {tuple(window.shape)}")
        check_state("converter_hq state", state, window, self.cfg.channels, self.state_frames)
        films = self.film_params(spk_embed, acoustic_params, lora_delta)
        h = self.lookahead.forward_window(self._inp(window))
        out, new_state = self.stack.forward_streaming(h, state, films)
        return self._out(out, window[:, :, :1]), new_state


def stream_hq(model: ConverterHQ, content: torch.Tensor, spk_embed: torch.Tensor, acoustic_params: torch.Tensor,
              lookahead: int) -> torch.Tensor:
    """Run ``model`` frame by frame over content (B, D, T) with windows built by the replication rule
    → features (B, 513, T) (the reference for streaming-equivalence checks)."""
    check_tensor("content", content, model.cfg.d_content)
    state = model.init_state(content.shape[0], content.device)
    outs = []
    for window in lookahead_windows(content, lookahead):
        y, state = model.forward_streaming(window, spk_embed, acoustic_params, state)
        outs.append(y)
    return torch.cat(outs, dim=2)

