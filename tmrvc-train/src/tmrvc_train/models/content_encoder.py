"""Causal content encoder: log-mel + log-F0 → 256-d content features per frame.

With ``f0_passthrough`` the last content channel is the F0 input unchanged (log(f0 + 1), 0 = unvoiced), so
the converter's harmonic head gets the exact (pitch-shifted) F0 without a change to the ONNX contract.

With ``posterior_classes`` the content channels are phoneme posteriors (softmax over that many classes, the
rest zero): what was said and nothing of who said it, so a converter trained to reconstruct its input has to
take the timbre from the speaker condition. Free features carry the speaker's formants through to the output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tmrvc_train.models.causal import CausalConvNeXtStack, check_state, check_tensor
from tmrvc_train.models.config import ContentEncoderConfig


class ContentEncoder(nn.Module):
    """mel (B, n_mels, T), f0 (B, 1, T) → content (B, d_content, T); state (B, channels, state_frames)."""

    def __init__(self, cfg: ContentEncoderConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ContentEncoderConfig()
        c = self.cfg
        self.in_proj = nn.Linear(c.n_mels + 1, c.channels)
        self.stack = CausalConvNeXtStack(c.channels, c.hidden, c.kernel, tuple(c.dilations), c.layer_scale_init)
        self.out_norm = nn.LayerNorm(c.channels)
        n_free = c.d_content - 1 if c.f0_passthrough else c.d_content
        self.out_proj = nn.Linear(c.channels, c.posterior_classes or n_free)
        self.n_pad = n_free - c.posterior_classes if c.posterior_classes else 0

    @property
    def state_frames(self) -> int:
        return self.stack.state_frames

    def init_state(self, batch: int = 1, device: torch.device | str | None = None) -> torch.Tensor:
        """Zero state (batch, channels, state_frames)."""
        return self.stack.init_state(batch, device)

    def _check(self, mel: torch.Tensor, f0: torch.Tensor) -> None:
        check_tensor("mel", mel, self.cfg.n_mels)
        check_tensor("f0", f0, 1)
        if f0.shape[0] != mel.shape[0] or f0.shape[2] != mel.shape[2]:
            raise ValueError(f"f0: expected shape ({mel.shape[0]}, 1, {mel.shape[2]}) to match mel, "
                             f"got {tuple(f0.shape)}")

    def _inp(self, mel: torch.Tensor, f0: torch.Tensor) -> torch.Tensor:
        return self.in_proj(torch.cat([mel, f0], dim=1).transpose(1, 2)).transpose(1, 2)

    def _proj(self, h: torch.Tensor) -> torch.Tensor:
        return self.out_proj(self.out_norm(h.transpose(1, 2))).transpose(1, 2)

    def _out(self, h: torch.Tensor, f0: torch.Tensor) -> torch.Tensor:
        content = self._proj(h)
        if self.cfg.posterior_classes:
            content = F.pad(torch.softmax(content / self.cfg.posterior_temperature, dim=1), (0, 0, 0, self.n_pad))
        return torch.cat([content, f0], dim=1) if self.cfg.f0_passthrough else content

    def forward(self, mel: torch.Tensor, f0: torch.Tensor, phone_logits: bool = False) -> torch.Tensor:
        """mel: (B, n_mels, T), f0: (B, 1, T) log(f0+1) or 0 → content (B, d_content, T). phone_logits (posterior
        mode only): the logits behind the posteriors instead, (B, posterior_classes, T), for the CE loss."""
        self._check(mel, f0)
        h = self.stack(self._inp(mel, f0))
        if phone_logits:
            if not self.cfg.posterior_classes:
                raise ValueError("phone_logits: this content encoder has free features (posterior_classes = 0)")
            return self._proj(h)
        return self._out(h, f0)

    def forward_streaming(self, mel: torch.Tensor, f0: torch.Tensor, state: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """mel: (B, n_mels, T), f0: (B, 1, T), state: (B, channels, S) → content (B, d_content, T), new state."""
        self._check(mel, f0)
        check_state("content_encoder state", state, mel, self.cfg.channels, self.state_frames)
        h, new_state = self.stack.forward_streaming(self._inp(mel, f0), state)
        return self._out(h, f0), new_state
