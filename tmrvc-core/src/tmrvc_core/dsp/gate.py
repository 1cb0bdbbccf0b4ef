"""Silence/noise gate (issue 19): the converted output fades out while the input is not speech.

Decided once per hop from the newest input hop only, so it adds no latency (the synthesis plays an older hop, so
an onset opens the gate a little ahead of the sound it lets through): open when the hop's RMS in dBFS is above the
threshold and YIN finds the hop voiced; once open, voiced hops keep it open down to GATE_HYSTERESIS_DB below the
threshold, and it is held GATE_HOLD_S after the last such hop (unvoiced consonants inside words). The gain ramps
linearly to 1 over GATE_ATTACK_S and to 0 over GATE_RELEASE_S (≥ 20 ms: never a click). A threshold at or below
GATE_OFF_DBFS is off and leaves the output untouched. Float32 gain like its twin, tmrvc-engine/src/noise_gate.cpp.
"""

from __future__ import annotations

import math

import numpy as np

from tmrvc_core.constants import (GATE_ATTACK_S, GATE_HOLD_S, GATE_HYSTERESIS_DB, GATE_OFF_DBFS, GATE_RELEASE_S,
                                  HOP_LENGTH, SAMPLE_RATE)

HOLD_HOPS = int(round(GATE_HOLD_S * SAMPLE_RATE / HOP_LENGTH))
_I = np.arange(1, HOP_LENGTH + 1, dtype=np.float32)


class NoiseGate:
    """process(newest (240,), voiced, threshold_db, y_out (240,)) → y_out gated; state carried."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.open = True
        self.hold = 0
        self.gain = np.float32(1.0)
        self.fresh = True  # no decision yet

    def process(self, newest: np.ndarray, voiced: bool, threshold_db: float, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.float32)
        threshold_db = float(np.float32(threshold_db))
        if not threshold_db > GATE_OFF_DBFS:
            self.open, self.hold = True, 0
            if self.gain == np.float32(1.0):
                self.fresh = False
                return y
        else:
            v = np.asarray(newest, dtype=np.float64)
            db = 10.0 * math.log10(float(np.dot(v, v)) / HOP_LENGTH + 1e-20)
            threshold = threshold_db - GATE_HYSTERESIS_DB if self.open else threshold_db
            if voiced and db > threshold:
                self.open, self.hold = True, HOLD_HOPS
            elif self.hold > 0:
                self.hold -= 1
            else:
                self.open = False
        target = np.float32(1.0 if self.open else 0.0)
        if self.fresh and threshold_db > GATE_OFF_DBFS:
            self.gain = target  # the stream starts from silence: nothing to click against
        self.fresh = False
        step = np.float32(1.0 / ((GATE_ATTACK_S if self.open else GATE_RELEASE_S) * SAMPLE_RATE))
        g0 = self.gain
        d = step * _I
        g = np.minimum(target, g0 + d) if target > g0 else np.maximum(target, g0 - d)
        self.gain = g[-1]
        return (y * g).astype(np.float32)
