"""Harmonic-plus-noise magnitude head of the converter.

A causal 1-step converter trained with L1 on log-magnitudes learns a smooth envelope: it cannot place 40
harmonics at 4-bin spacing from content features alone, so the vocoder and the phase reconstructor got no
harmonic peaks to lock onto (F0 correlation ≈ 0 end to end). Here the network predicts two log envelopes per
frame, harmonic H and noise N, and the harmonic comb is drawn analytically from the frame's F0:

    features = log(e^H · comb(F0) + e^N)

``comb(f)`` sums, over the two harmonics nearest to bin frequency f, the main lobe of the analysis window's
transform. For the periodic Hann window of ``WINDOW_LENGTH`` samples the main lobe spans ±2 units of
``sample_rate / WINDOW_LENGTH`` Hz and ``cos²(π x / 4)`` (x in those units) follows it within 0.01 of its
peak. At F0 ≥ f0_min = 2 units apart, no more than two lobes overlap. Unvoiced frames (F0 input 0) get no
comb. Only elementwise ops (Exp, Floor, Cos, Max, Log), so it exports to ONNX and costs ~10 µs per frame.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from tmrvc_core import constants as K

# The comb's floor inside the log: valleys sit 60 dB under the envelope, so log never meets zero and the
# noise envelope decides the valley level wherever it is above that.
COMB_FLOOR = 1e-3


class HarmonicComb(nn.Module):
    """F0 input (B, T) as log(f0 + 1), 0 = unvoiced → comb (B, n_bins, T) in [0, 1], peaks 1 at h·F0."""

    def __init__(self, n_bins: int = K.N_FREQ_BINS) -> None:
        super().__init__()
        freqs = torch.arange(n_bins, dtype=torch.float32) * (K.SAMPLE_RATE / K.N_FFT)
        self.register_buffer("freqs", freqs[None, :, None], persistent=False)
        self.lobe_unit = K.SAMPLE_RATE / K.WINDOW_LENGTH  # Hz per main-lobe unit (2 units = the half width)

    def _lobe(self, distance_hz: torch.Tensor) -> torch.Tensor:
        x = (distance_hz / self.lobe_unit).clamp(max=2.0)
        return torch.cos(x * (math.pi / 4)) ** 2

    def forward(self, f0_input: torch.Tensor) -> torch.Tensor:
        f0 = torch.exp(f0_input) - 1.0
        voiced = (f0 >= 0.5 * K.F0_MIN).to(f0.dtype)[:, None, :]
        f0 = f0.clamp(min=K.F0_MIN, max=0.5 * K.SAMPLE_RATE)[:, None, :]  # also keeps inf (exp overflow) out
        u = self.freqs / f0
        below = torch.floor(u)
        frac = u - below
        # The harmonic below (absent when it would be DC) and the one above.
        lower = self._lobe(frac * f0) * (below >= 1.0).to(f0.dtype)
        upper = self._lobe((1.0 - frac) * f0)
        return (lower + upper) * voiced


def envelope_knots(spacing_hz: float, spacing_ratio: float, top_hz: float = 0.5 * K.SAMPLE_RATE) -> np.ndarray:
    """Knot frequencies 0, … ≥ top_hz, each step max(spacing_hz, spacing_ratio × f) wide."""
    if spacing_hz <= 0.0:
        raise ValueError(f"envelope knots: spacing_hz must be > 0, got {spacing_hz}")
    knots = [0.0]
    while knots[-1] < top_hz:
        knots.append(knots[-1] + max(spacing_hz, spacing_ratio * knots[-1]))
    return np.asarray(knots)


def envelope_basis(knots_hz: np.ndarray, n_bins: int = K.N_FREQ_BINS) -> torch.Tensor:
    """(n_knots, n_bins) hat functions: row j is 1 at knot j, falling linearly to 0 at its neighbours; the
    columns sum to 1, so values at the knots are linearly interpolated onto the bins."""
    freqs = np.arange(n_bins) * (K.SAMPLE_RATE / K.N_FFT)
    eye = np.eye(len(knots_hz))
    return torch.from_numpy(np.stack([np.interp(freqs, knots_hz, row) for row in eye]).astype(np.float32))


class EnvelopeKnots(nn.Module):
    """Knot values (B, T, n_knots) → per-bin envelope (B, T, n_bins), linear between knots (a float MatMul in the
    exported graph, kept out of INT8 quantisation by its name)."""

    def __init__(self, knots_hz: np.ndarray, n_bins: int = K.N_FREQ_BINS) -> None:
        super().__init__()
        self.register_buffer("basis", envelope_basis(knots_hz, n_bins), persistent=False)
        self.knots_hz = np.asarray(knots_hz, dtype=np.float64)

    @property
    def n_knots(self) -> int:
        return self.basis.shape[0]

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        return torch.matmul(values, self.basis)


def harmonic_plus_noise(harmonic_env: torch.Tensor, noise_env: torch.Tensor, comb: torch.Tensor) -> torch.Tensor:
    """log(e^H · comb + e^N) for (B, n_bins, T) tensors, computed stably as a log-sum-exp of two terms."""
    a = harmonic_env + torch.log(comb + COMB_FLOOR)
    m = torch.maximum(a, noise_env)
    return m + torch.log(torch.exp(a - m) + torch.exp(noise_env - m))
