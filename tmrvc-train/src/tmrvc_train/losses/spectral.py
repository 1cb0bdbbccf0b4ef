"""Differentiable spectral pieces: the engine's iSTFT + overlap-add in torch, features → log-mel, and the
multi-resolution STFT and mel losses.

``istft_ola`` follows docs/dsp-and-streaming.md exactly (asymmetric synthesis window, 480-sample accumulator),
so a vocoder trained through it is trained on what the engine plays.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tmrvc_core import constants as K
from tmrvc_core.dsp import mel_filterbank, synthesis_window


class EngineISTFT(nn.Module):
    """(mag, phase) (B, 513, T) → waveform (B, 240 T), as ``tmrvc_core.dsp.istft_ola`` computes it."""

    def __init__(self) -> None:
        super().__init__()
        tail = synthesis_window()[K.WINDOW_LENGTH - K.SYNTHESIS_WINDOW_LENGTH:]
        self.register_buffer("tail_window", torch.from_numpy(np.asarray(tail, np.float32)), persistent=False)

    def forward(self, mag: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        if mag.shape != phase.shape or mag.dim() != 3 or mag.shape[1] != K.N_FREQ_BINS:
            raise ValueError(f"istft: expected mag and phase (B, {K.N_FREQ_BINS}, T), got {tuple(mag.shape)} "
                             f"and {tuple(phase.shape)}")
        spec = torch.polar(mag.float(), phase.float()).transpose(1, 2)  # (B, T, 513)
        frames = torch.fft.irfft(spec, n=K.N_FFT, dim=-1)
        lo = K.WINDOW_LENGTH - K.SYNTHESIS_WINDOW_LENGTH
        tails = frames[..., lo:K.WINDOW_LENGTH] * self.tail_window  # (B, T, 480)
        hop = K.HOP_LENGTH
        first, second = tails[..., :hop], tails[..., hop:2 * hop]
        out = first + F.pad(second, (0, 0, 1, 0))[:, :-1]
        return out.reshape(out.shape[0], -1)


class FeaturesToMel(nn.Module):
    """features (B, 513, T) = log(mag) → log-mel (B, 80, T) = log(max(fb @ mag, floor)), like the engine."""

    def __init__(self, floor: float = K.LOG_FLOOR) -> None:
        super().__init__()
        self.register_buffer("fb", torch.from_numpy(mel_filterbank().astype(np.float32)), persistent=False)
        self.floor = floor

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        mag = torch.exp(features.float())
        return torch.log(torch.einsum("mk,bkt->bmt", self.fb, mag).clamp(min=self.floor))


class MultiResolutionSTFTLoss(nn.Module):
    """Spectral convergence + log-magnitude L1 averaged over resolutions: (B, n) vs (B, n) → scalar."""

    def __init__(self, resolutions: tuple[tuple[int, int], ...] = ((512, 128), (1024, 256), (2048, 512),
                                                                   (256, 64))) -> None:
        super().__init__()
        self.resolutions = resolutions
        for n_fft, _ in resolutions:
            self.register_buffer(f"win{n_fft}", torch.hann_window(n_fft), persistent=False)

    def _mag(self, x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
        s = torch.stft(x.float(), n_fft, hop, window=getattr(self, f"win{n_fft}"), return_complex=True)
        return s.abs().clamp(min=1e-6)

    def forward(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if y.shape != x.shape or y.dim() != 2:
            raise ValueError(f"MR-STFT: expected two (B, n) waveforms of one shape, got {tuple(y.shape)}, "
                             f"{tuple(x.shape)}")
        total = y.new_zeros(())
        for n_fft, hop in self.resolutions:
            my, mx = self._mag(y, n_fft, hop), self._mag(x, n_fft, hop)
            sc = torch.linalg.norm(mx - my) / torch.linalg.norm(mx).clamp(min=1e-6)
            total = total + sc + F.l1_loss(torch.log(my), torch.log(mx))
        return total / len(self.resolutions)


class WaveMelLoss(nn.Module):
    """L1 between log-mels (80 bins, 1024/256 Hann STFT) of two waveforms (B, n)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("fb", torch.from_numpy(mel_filterbank().astype(np.float32)), persistent=False)
        self.register_buffer("win", torch.hann_window(K.N_FFT), persistent=False)

    def _mel(self, x: torch.Tensor) -> torch.Tensor:
        mag = torch.stft(x.float(), K.N_FFT, K.N_FFT // 4, window=self.win, return_complex=True).abs()
        return torch.log(torch.einsum("mk,bkt->bmt", self.fb, mag).clamp(min=1e-5))

    def forward(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.l1_loss(self._mel(y), self._mel(x))
