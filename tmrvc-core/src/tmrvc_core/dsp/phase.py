"""Phase from magnitude: peak-locked phase accumulation (docs/dsp-and-streaming.md, "Phase reconstruction").

The causal vocoder cannot track phase across frames (its state is its input history, so a steady harmonic gets
the same phase every frame). This reconstruction gives every spectral peak a phase that advances by its own
frequency from hop to hop, and locks the bins around the peak to it, so harmonics stay coherent. Float64; the C++
engine's PhaseReconstructor (tmrvc-engine/src/phase_reconstructor.cpp) is its twin.

The tracked phase is the sinusoid's phase at the centre of the samples the frame contributes to the output (the
synthesis tail, SYNTHESIS_CENTRE), not at the frame's first sample: with the trapezoid advance, consecutive frames
of a gliding partial then agree exactly where their tails overlap. Referenced at the frame start, they disagreed
there by 720 samples × the frequency change per hop (1.9 rad for a 1 kHz partial gliding 1 % per hop).

Above PHASE_NOISE_ABOVE_HZ (a maximum voiced frequency, as in harmonic-plus-noise vocoders) every bin gets a fresh
pseudo-random phase each frame instead: speech there is noise, and locking a model's small, recurring magnitude
ripples there turned them into steady whistles (the HF tonal artefact index, docs/training-results.md). The noise
is a counter hash of (frame, bin), so the C++ twin draws the same values.
"""

from __future__ import annotations

import math

import numpy as np

from tmrvc_core.constants import (
    FEATURE_FLOOR,
    HOP_LENGTH,
    N_FFT,
    N_FREQ_BINS,
    PHASE_NOISE_ABOVE_HZ,
    SAMPLE_RATE,
    SYNTHESIS_WINDOW_LENGTH,
    WINDOW_LENGTH,
)

POINTER_JUMPS = 10  # 2**10 >= N_FREQ_BINS: every bin reaches its peak
BIN_OMEGA = 2.0 * math.pi * np.arange(N_FREQ_BINS, dtype=np.float64) / N_FFT  # bin centres, rad/sample
CENTRE = WINDOW_LENGTH // 2  # the analysis window's centre, samples
SYNTHESIS_CENTRE = WINDOW_LENGTH - SYNTHESIS_WINDOW_LENGTH // 2  # the synthesis tail's centre, samples
NOISE_FIRST_BIN = min(N_FREQ_BINS, math.ceil(PHASE_NOISE_ABOVE_HZ * N_FFT / SAMPLE_RATE))  # first noise-phase bin
_U32 = 0xFFFFFFFF


def noise_phase(frame: int, bins: np.ndarray) -> np.ndarray:
    """Pseudo-random phase in [-pi, pi) for (frame, bin): a 32-bit integer hash (xor-shift-multiply) of
    ``frame * N_FREQ_BINS + bin`` mod 2**32, scaled. bins: int array → float64 array (the C++ twin's values)."""
    x = (np.asarray(bins, dtype=np.uint64) + np.uint64((frame * N_FREQ_BINS) & _U32)) & np.uint64(_U32)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(_U32)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & np.uint64(_U32)
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) * (2.0 * math.pi / 4294967296.0) - math.pi


def wrap(x: np.ndarray) -> np.ndarray:
    """Into [-pi, pi): ``fmod(x + pi, 2 pi)``, plus 2 pi when negative, minus pi (the C++ twin does the same)."""
    r = np.fmod(x + math.pi, 2.0 * math.pi)
    return np.where(r < 0.0, r + 2.0 * math.pi, r) - math.pi


def peak_owners(log_mag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log_mag (513,) → (owner (513,) int: the peak each bin climbs to, omega (513,): that peak's frequency in
    rad/sample from a parabola through the log-magnitudes around it). Regions end at the valleys."""
    n = log_mag.shape[0]
    k = np.arange(n)
    left = np.concatenate([[log_mag[0] - 1.0], log_mag[:-1]])
    right = np.concatenate([log_mag[1:], [log_mag[-1] - 1.0]])
    up = np.where(right > left, k + 1, k - 1)
    owner = np.where(np.maximum(left, right) > log_mag, up, k)
    for _ in range(POINTER_JUMPS):
        owner = owner[owner]
    kk = np.clip(owner, 1, n - 2)
    a, m, c = log_mag[kk - 1], log_mag[kk], log_mag[kk + 1]
    den = a - 2.0 * m + c
    safe = np.where(np.abs(den) > 1e-9, den, 1.0)
    frac = np.where(np.abs(den) > 1e-9, np.clip(0.5 * (a - c) / safe, -0.5, 0.5), 0.0)
    frac = np.where((owner == 0) | (owner == n - 1), 0.0, frac)
    return owner, 2.0 * math.pi * (owner + frac) / N_FFT


class PhaseReconstructor:
    """Streaming state: psi (513,) the per-bin sinusoid phase at SYNTHESIS_CENTRE, omega_prev (513,) last frame's
    peak frequency, frame (the noise hash's counter, mod 2**32).

    step(mag (513,)) → phase (513,) for that frame. Starts at psi = 0, omega_prev = the bin centres, frame 0.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.psi = np.zeros(N_FREQ_BINS)
        self.omega_prev = BIN_OMEGA.copy()
        self.frame = 0

    def step(self, mag: np.ndarray) -> np.ndarray:
        mag = np.asarray(mag, dtype=np.float64)
        if mag.shape != (N_FREQ_BINS,):
            raise ValueError(f"expected a magnitude frame of shape ({N_FREQ_BINS},), got {mag.shape}")
        log_mag = np.log(np.maximum(mag, FEATURE_FLOOR))
        owner, omega = peak_owners(log_mag)
        advance = 0.5 * (omega + self.omega_prev[owner]) * HOP_LENGTH  # trapezoid: the frequency may glide
        self.psi = wrap(self.psi[owner] + advance)
        self.omega_prev = omega
        # the peak's phase carried back from the synthesis centre to the window centre, seen from each bin
        phase = wrap(self.psi + omega * (CENTRE - SYNTHESIS_CENTRE) - BIN_OMEGA * CENTRE)
        phase[NOISE_FIRST_BIN:] = noise_phase(self.frame, np.arange(NOISE_FIRST_BIN, N_FREQ_BINS))
        self.frame = (self.frame + 1) & _U32
        return phase


def reconstruct_phase(mag: np.ndarray) -> np.ndarray:
    """mag (513, T) → phase (513, T), frame by frame from a fresh tracker."""
    tracker = PhaseReconstructor()
    return np.stack([tracker.step(mag[:, t]) for t in range(mag.shape[1])], axis=1)
