"""Causal vocoder: features → STFT magnitude (linear, ≥ 0) and phase (radians) per frame."""

from __future__ import annotations

import math

import torch
from torch import nn

from tmrvc_core import constants as K
from tmrvc_train.models.causal import CausalConvNeXtStack, check_state, check_tensor
from tmrvc_train.models.config import VocoderConfig
from tmrvc_train.models.harmonic import EnvelopeKnots, envelope_knots


class Vocoder(nn.Module):
    """features (B, 513, T) → (stft_mag (B, 513, T), stft_phase (B, 513, T)); state (B, channels, S).

    Magnitude = exp(clamp(log_mag, log_mag_min, log_mag_max)) with log_mag = features + head (``mag_residual``,
    the head starts at zero: an exact copy of the input magnitude at step 0) or log_mag = head; phase =
    atan2(sin head, cos head).
    """

    def __init__(self, cfg: VocoderConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or VocoderConfig()
        c = self.cfg
        self.in_proj = nn.Linear(c.in_channels, c.channels)
        self.stack = CausalConvNeXtStack(c.channels, c.hidden, c.kernel, tuple(c.dilations), c.layer_scale_init)
        self.out_norm = nn.LayerNorm(c.channels)
        # residual_knots_below_hz: the head gives knot values for the bins below it and one value per bin above.
        self.n_knotted_bins = 0
        self.residual_knots = None
        if c.residual_knots_below_hz > 0.0:
            bin_hz = K.SAMPLE_RATE / K.N_FFT
            self.n_knotted_bins = min(c.n_freq_bins, int(math.ceil(c.residual_knots_below_hz / bin_hz)))
            top = (self.n_knotted_bins - 1) * bin_hz
            self.residual_knots = EnvelopeKnots(envelope_knots(c.residual_knot_spacing_hz, c.residual_knot_ratio, top),
                                                self.n_knotted_bins)
        head_out = c.n_freq_bins - self.n_knotted_bins + (self.residual_knots.n_knots if self.residual_knots else 0)
        self.mag_head = nn.Linear(c.channels, head_out)
        if c.mag_residual:
            nn.init.zeros_(self.mag_head.weight)
            nn.init.zeros_(self.mag_head.bias)
        self.phase_head = nn.Linear(c.channels, 2 * c.n_freq_bins)

    @property
    def state_frames(self) -> int:
        return self.stack.state_frames

    def init_state(self, batch: int = 1, device: torch.device | str | None = None) -> torch.Tensor:
        """Zero state (batch, channels, state_frames)."""
        return self.stack.init_state(batch, device)

    def _heads(self, h: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h (B, C, T), features (B, 513, T) → stft_mag, stft_phase (B, 513, T)."""
        h = self.out_norm(h.transpose(1, 2))  # (B, T, C)
        log_mag = self.mag_head(h)
        if self.residual_knots is not None:
            n = self.residual_knots.n_knots
            log_mag = torch.cat([self.residual_knots(log_mag[..., :n]), log_mag[..., n:]], dim=-1)
        if self.cfg.mag_residual:
            log_mag = log_mag + features.transpose(1, 2)
        log_mag = log_mag.clamp(self.cfg.log_mag_min, self.cfg.log_mag_max)
        sin_cos = self.phase_head(h)
        n = self.cfg.n_freq_bins
        phase = torch.atan2(sin_cos[..., :n], sin_cos[..., n:])
        return torch.exp(log_mag).transpose(1, 2), phase.transpose(1, 2)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """features (B, 513, T) → stft_mag (B, 513, T), stft_phase (B, 513, T)."""
        check_tensor("features", features, self.cfg.in_channels)
        return self._heads(self.stack(self.in_proj(features.transpose(1, 2)).transpose(1, 2)), features)

    def forward_streaming(self, features: torch.Tensor, state: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """features (B, 513, T), state (B, C, S) → stft_mag, stft_phase (B, 513, T), new_state (B, C, S)."""
        check_tensor("features", features, self.cfg.in_channels)
        check_state("vocoder state", state, features, self.cfg.channels, self.state_frames)
        h, new_state = self.stack.forward_streaming(self.in_proj(features.transpose(1, 2)).transpose(1, 2), state)
        mag, phase = self._heads(h, features)
        return mag, phase, new_state
