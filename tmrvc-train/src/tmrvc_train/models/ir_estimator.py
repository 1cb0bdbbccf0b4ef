"""Causal acoustic (IR + voice-source) estimator: mel chunks → 32 range-limited acoustic params.

Parameter layout and ranges are :mod:`tmrvc_data.acoustic`'s (the augmentation labels' single home):
0–7 RT60 [0.05, 3] s, 8–15 DRR [−10, 30] dB, 16–23 tilt [−6, 6] dB/oct (each over the 8 subbands, edges 0,
375, 750, 1500, 3000, 4500, 6000, 9000, 12000 Hz); 24–31 voice source: breathiness low/high [0, 1], tension
low/high [−1, 1], jitter [0, 0.1], shimmer [0, 0.1], formant shift [−1, 1], roughness [0, 1].
Each output is ``lo + (hi − lo) · sigmoid(z)``.
"""

from __future__ import annotations

import torch
from torch import nn

from tmrvc_data.acoustic import param_ranges
from tmrvc_train.models.causal import CausalConvNeXtStack, check_state, check_tensor
from tmrvc_train.models.config import IREstimatorConfig


def acoustic_param_ranges() -> tuple[torch.Tensor, torch.Tensor]:
    """→ (lo, hi), each (n_acoustic_params,) float32, in the layout of the module docstring."""
    ranges = torch.from_numpy(param_ranges()).to(torch.float32)
    return ranges[:, 0].contiguous(), ranges[:, 1].contiguous()


class IREstimator(nn.Module):
    """mel (B, n_mels, T) → acoustic params; state (B, channels, state_frames) carried across chunks."""

    def __init__(self, cfg: IREstimatorConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or IREstimatorConfig()
        c = self.cfg
        self.in_proj = nn.Linear(c.n_mels, c.channels)
        self.stack = CausalConvNeXtStack(c.channels, c.hidden, c.kernel, tuple(c.dilations), c.layer_scale_init)
        self.out_norm = nn.LayerNorm(c.channels)
        self.out_proj = nn.Linear(c.channels, c.n_acoustic_params)
        lo, hi = acoustic_param_ranges()
        if lo.numel() != c.n_acoustic_params:
            raise ValueError(f"IREstimatorConfig: n_acoustic_params {c.n_acoustic_params} does not match the "
                             f"{lo.numel()} parameter ranges of tmrvc_data.acoustic")
        self.register_buffer("param_lo", lo, persistent=False)
        self.register_buffer("param_span", hi - lo, persistent=False)

    @property
    def state_frames(self) -> int:
        return self.stack.state_frames

    def init_state(self, batch: int = 1, device: torch.device | str | None = None) -> torch.Tensor:
        """Zero state (batch, channels, state_frames)."""
        return self.stack.init_state(batch, device)

    def _params(self, h: torch.Tensor) -> torch.Tensor:
        """h (B, T, C) → params (B, T, n_acoustic_params) within their ranges."""
        return self.param_lo + self.param_span * torch.sigmoid(self.out_proj(self.out_norm(h)))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, n_mels, T) → per-frame acoustic params (B, n_acoustic_params, T)."""
        check_tensor("mel", mel, self.cfg.n_mels)
        h = self.stack(self.in_proj(mel.transpose(1, 2)).transpose(1, 2))
        return self._params(h.transpose(1, 2)).transpose(1, 2)

    def forward_streaming(self, mel_chunk: torch.Tensor, state: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """mel_chunk (B, n_mels, N ≥ 1), state (B, C, S) → params of the chunk's last frame (B, 32), new_state."""
        check_tensor("mel_chunk", mel_chunk, self.cfg.n_mels)
        check_state("ir_estimator state", state, mel_chunk, self.cfg.channels, self.state_frames)
        h, new_state = self.stack.forward_streaming(self.in_proj(mel_chunk.transpose(1, 2)).transpose(1, 2), state)
        return self._params(h[:, :, -1]), new_state
