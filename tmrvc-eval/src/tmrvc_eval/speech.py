"""Speech-only scoring: the speech intervals of an utterance, found from its own frame energy, and the
concatenation of those intervals, so every judge can score speech alone (`tmrvc-eval --speech_only true`).

Why: a converter that closes its output in the pauses between phrases (the engine's gate) changes whole-utterance
scores through the pauses alone (MCD keeps every frame within 40 dB of the loudest, so filled pauses count);
scored on the source's speech intervals, gate on and gate off are compared on the speech they share.

A 10 ms frame is speech when its RMS is within SPEECH_REL_DB of the utterance's loudest frame and NOISE_MARGIN_DB
above its noise floor (the 10th-percentile frame, so steady room noise is not speech). Gaps shorter than BRIDGE_S
(stop closures, short word gaps) stay inside an interval; it is shorter than the engine gate's 200 ms hold, so a
gap the gate can close is never bridged. An interval is speech only when it holds at least MIN_VOICED_S of voiced
frames (WORLD's DIO, as the F0 judge): a breath or a noise burst in a pause is loud enough but never voiced.
Unvoiced sounds next to voiced ones (a phrase's first fricative) are inside their interval. Intervals shorter
than MIN_SPEECH_S are dropped."""

from __future__ import annotations

import numpy as np

from tmrvc_eval.audio import frame_rms
from tmrvc_eval.metrics.f0 import F0_PERIOD_MS, f0_contour

FRAME_S = 0.010
SPEECH_REL_DB = -40.0
NOISE_MARGIN_DB = 10.0
NOISE_PERCENTILE = 10.0
BRIDGE_S = 0.15
MIN_SPEECH_S = 0.05
MIN_VOICED_S = 0.03


def speech_intervals(x: np.ndarray, sr: int) -> list[tuple[int, int]]:
    """x: (n,) → speech intervals [(start, end), ...] in samples, in order, non-overlapping."""
    hop = int(round(FRAME_S * sr))
    rms = frame_rms(np.asarray(x, np.float64), hop, hop)
    if rms.size == 0:
        return []
    db = 20.0 * np.log10(rms + 1e-10)
    threshold = max(db.max() + SPEECH_REL_DB, np.percentile(db, NOISE_PERCENTILE) + NOISE_MARGIN_DB)
    on = db > threshold
    runs = _runs(on)
    bridge = int(round(BRIDGE_S / FRAME_S))
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < bridge:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    min_frames = int(round(MIN_SPEECH_S / FRAME_S))
    voiced_t = np.flatnonzero(f0_contour(x, sr) > 0) * F0_PERIOD_MS / 1000.0  # frame centres, s
    min_voiced = int(round(MIN_VOICED_S * 1000.0 / F0_PERIOD_MS))
    out = []
    for a, b in merged:
        n_voiced = int(np.count_nonzero((voiced_t >= a * FRAME_S) & (voiced_t < b * FRAME_S)))
        if b - a >= min_frames and n_voiced >= min_voiced:
            out.append((a * hop, min(b * hop, len(x))))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in mask: (T,) bool → [(start, end), ...] frame indices, end exclusive."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.where(edges == 1)[0].tolist(), np.where(edges == -1)[0].tolist()))


def cut(x: np.ndarray, intervals: list[tuple[int, int]]) -> np.ndarray:
    """The intervals of x: (n,) one after another → (sum of lengths,); samples past the end of x read as 0."""
    if not intervals:
        raise ValueError("speech-only scoring: the source holds no speech interval")
    end = max(b for _, b in intervals)
    padded = np.concatenate([x, np.zeros(max(0, end - len(x)), dtype=x.dtype)])
    return np.concatenate([padded[a:b] for a, b in intervals])


def speech_seconds(intervals: list[tuple[int, int]], sr: int) -> float:
    return float(sum(b - a for a, b in intervals)) / sr
