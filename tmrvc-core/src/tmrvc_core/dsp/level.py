"""Level match: the converted output keeps the input's level (docs/dsp-and-streaming.md, "Level match").

The models decide the output's spectrum, and with it a level that follows the training voices more than the
input (the demo's conversions came out 0.78–1.30 times the input's RMS). Each hop the engine feeds two slow
followers of hop energy, the input's (the samples the bypass path would play now, i.e. delayed like the
synthesis) and the converted output's, and scales the hop by the square root of their ratio, ramped linearly
from the previous hop's gain so it never steps. Quiet input (under the gate) holds the gain, so silence is not
pumped up; the gain stays within ±LEVEL_MATCH_MAX_DB. Measured on the waveform, not the spectrum, because the
reconstructed phase does not keep overlapping frames coherent, so spectral energy does not predict output level.
Float64 state; the C++ engine's LevelMatcher (tmrvc-engine/src/level_matcher.cpp) is its twin.
"""

from __future__ import annotations

import math

import numpy as np

from tmrvc_core.constants import (
    HOP_LENGTH,
    LEVEL_MATCH_GATE_DBFS,
    LEVEL_MATCH_MAX_DB,
    LEVEL_MATCH_TIME_S,
    SAMPLE_RATE,
)

ALPHA = 1.0 - math.exp(-HOP_LENGTH / (SAMPLE_RATE * LEVEL_MATCH_TIME_S))  # one-pole step per hop
MAX_GAIN = 10.0 ** (LEVEL_MATCH_MAX_DB / 20.0)
GATE_ENERGY = 10.0 ** (LEVEL_MATCH_GATE_DBFS / 10.0) * HOP_LENGTH  # sum of squares of a hop at the gate level
RAMP = np.arange(1, HOP_LENGTH + 1, dtype=np.float64) / HOP_LENGTH


def hop_energy(x: np.ndarray) -> float:
    """Sum of squares of one hop, in float64."""
    v = np.asarray(x, dtype=np.float64)
    return float(np.dot(v, v))


class LevelMatcher:
    """Streaming state: the two energy followers and the last gain.

    process(x_in (240,), y_out (240,) float32) → y_out scaled, the gain ramped from the previous hop's."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.level_in = 0.0
        self.level_out = 0.0
        self.last_gain = 1.0

    def target_gain(self, x_in: np.ndarray, y_out: np.ndarray) -> float:
        e_in = hop_energy(x_in)
        if e_in >= GATE_ENERGY:
            self.level_in += ALPHA * (e_in - self.level_in)
            self.level_out += ALPHA * (hop_energy(y_out) - self.level_out)
        if self.level_in <= 0.0 or self.level_out <= 0.0:
            return 1.0
        return min(max(math.sqrt(self.level_in / self.level_out), 1.0 / MAX_GAIN), MAX_GAIN)

    def process(self, x_in: np.ndarray, y_out: np.ndarray) -> np.ndarray:
        gain = self.target_gain(x_in, y_out)
        ramp = (self.last_gain + (gain - self.last_gain) * RAMP).astype(np.float32)
        self.last_gain = gain
        return np.asarray(y_out, dtype=np.float32) * ramp
