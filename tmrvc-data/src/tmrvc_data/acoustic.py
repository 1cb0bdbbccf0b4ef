"""Acoustic-parameter layout shared by augmentation labels and the acoustic estimator (indices 0–31).

Indices 0–23: room, grouped by parameter, each over the 8 subbands (edges below):
0–7 RT60 (s), 8–15 DRR (dB), 16–23 spectral tilt of the reverberant tail (dB/octave).
Indices 24–31: voice source: breathiness low, breathiness high, tension low, tension high, jitter, shimmer,
formant shift, roughness. Edges and ranges come from configs/constants.yaml."""

from __future__ import annotations

import numpy as np

from tmrvc_core import constants as C
from tmrvc_core.constants import N_ACOUSTIC_PARAMS, N_IR_PARAMS, N_IR_SUBBANDS, N_VOICE_SOURCE_PARAMS

SUBBAND_EDGES_HZ: tuple[float, ...] = C.IR_SUBBAND_EDGES_HZ
RT60_RANGE: tuple[float, float] = C.RT60_RANGE_S
DRR_RANGE: tuple[float, float] = C.DRR_RANGE_DB
TILT_RANGE: tuple[float, float] = C.TILT_RANGE_DB_PER_OCT
VOICE_SOURCE_NAMES = ("breathiness_low", "breathiness_high", "tension_low", "tension_high", "jitter", "shimmer",
                      "formant_shift", "roughness")
VOICE_SOURCE_RANGES: tuple[tuple[float, float], ...] = tuple(zip(C.VOICE_SOURCE_LOW, C.VOICE_SOURCE_HIGH))

assert len(SUBBAND_EDGES_HZ) == N_IR_SUBBANDS + 1
assert 3 * N_IR_SUBBANDS == N_IR_PARAMS and N_IR_PARAMS + N_VOICE_SOURCE_PARAMS == N_ACOUSTIC_PARAMS
assert len(VOICE_SOURCE_NAMES) == N_VOICE_SOURCE_PARAMS == len(VOICE_SOURCE_RANGES)


def param_ranges() -> np.ndarray:
    """(N_ACOUSTIC_PARAMS, 2) lower/upper bound of every parameter."""
    room = [RT60_RANGE] * N_IR_SUBBANDS + [DRR_RANGE] * N_IR_SUBBANDS + [TILT_RANGE] * N_IR_SUBBANDS
    return np.array(room + list(VOICE_SOURCE_RANGES), dtype=np.float64)


def pack_room(rt60: np.ndarray, drr: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """Three (8,) arrays → (24,) in the layout above."""
    parts = [np.asarray(a, dtype=np.float64).reshape(-1) for a in (rt60, drr, tilt)]
    if any(p.shape != (N_IR_SUBBANDS,) for p in parts):
        raise ValueError(f"expected three arrays of shape ({N_IR_SUBBANDS},), got {[p.shape for p in parts]}")
    return np.concatenate(parts)


def unpack_room(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(≥24,) → (rt60, drr, tilt), each (8,)."""
    n = N_IR_SUBBANDS
    return labels[:n], labels[n:2 * n], labels[2 * n:3 * n]
