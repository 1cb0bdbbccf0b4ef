"""Does the engine's gate leave speech unchanged? (issue 19: "speech unchanged, tmrvc-eval scores within 0.01")

Test material and the comparison shared by tests/python/test_gate_eval.py (tiny models) and
scripts/eval_gate_speech.py (trained models):
- `real_breath`: inhalations cut from real recordings. festvox-ru (Debian main) ships the whole studio sentences
  of its msu_ru_nsh cluster-unit voice; two of its labelled pauses hold an audible breath (broadband noise
  peaking near 1 and 2.5 kHz, about 37 dB above the recording's floor, no F0): before the first word of ru_0614
  and between the phrases of ru_0030.
- `paused_utterance`: two sentences with a pause holding a breath between them and silence around them: what a
  singer's or speaker's take looks like to the gate.
- `compare`: two tmrvc-eval summaries (gate off, gate on) side by side with their differences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from tmrvc_eval.audio import resample

RU_WAVS = Path("/usr/share/festival/voices/russian/msu_ru_nsh_clunits/wav")
BREATH_CUTS = (("ru_0614", 0.05, 0.31), ("ru_0030", 0.48, 0.81))  # (file, start s, end s) inside the pause
SPEECH_PEAK = 0.3
FADE_S = 0.01
# "Scores within 0.01": scores on a 0–1 scale (similarities, correlations, error rates, ratios) within 0.01
# absolute; scores in units (MCD in dB, F0 RMSE in cents, artefact index in dB, lag in ms) within 1 % of their
# value. An absolute 0.01 dB MCD would be below the MCD's own resolution: it is a mean over the DTW path of
# 5 ms frames (about 100 per second of speech), each 5–20 dB, and frames quieter than 40 dB under the loudest are
# left out, so one frame ramped by the gate's 20 ms attack moves it by more than 0.01 dB. 1 % is 0.16 dB at the
# tiny random models' 16 dB and about 0.08 dB at a trained model's 8 dB. WER is counted in words: its
# tolerance is one word of the scored text when that is more than 0.01.
TOLERANCE = 0.01
RELATIVE_KEYS = ("mcd_db", "f0_rmse_cents", "artefact_index_converted_db", "artefact_index_target_ref_db",
                 "artefact_index_source_db", "output_lag_ms_median")


def breath_cut(stem: str, a: float, b: float) -> tuple[np.ndarray, int, float]:
    """One breath as recorded: (x (n,) float64, rate, peak of its whole recording)."""
    path = RU_WAVS / f"{stem}.wav"
    if not path.is_file():
        raise ValueError(f"{path} missing: install the Debian package festvox-ru (scripts/setup.sh does)")
    x, sr = sf.read(path, dtype="float64")
    return x[int(a * sr):int(b * sr)], int(sr), float(np.max(np.abs(x)))


def real_breath(rate: int, boost_db: float = 0.0, peak: float = SPEECH_PEAK) -> np.ndarray:
    """Both breaths one after the other at `rate` (10 ms fades), each at its level in its own recording once
    that recording is scaled to `peak` (then about −47 dBFS), plus boost_db (a closer microphone). → (n,) float32"""
    parts = []
    for stem, a, b in BREATH_CUTS:
        y, sr, rec_peak = breath_cut(stem, a, b)
        y = y * peak / rec_peak * 10 ** (boost_db / 20)
        ramp = np.linspace(0.0, 1.0, int(FADE_S * sr))
        y[: ramp.size] *= ramp
        y[-ramp.size:] *= ramp[::-1]
        parts.append(resample(y, sr, rate))
    return np.concatenate(parts).astype(np.float32)


def paused_utterance(first: np.ndarray, second: np.ndarray, rate: int, breath: np.ndarray | None,
                     edge_s: float = 0.4, gap_s: float = 0.2) -> np.ndarray:
    """silence, first, a pause (gap, breath, gap), second, silence; all (n,) at `rate` → (m,) float32."""
    z = np.zeros(int(edge_s * rate), np.float32)
    g = np.zeros(int(gap_s * rate), np.float32)
    pause = [g, breath.astype(np.float32), g] if breath is not None else [g, g]
    return np.concatenate([z, first.astype(np.float32), *pause, second.astype(np.float32), z])


def speech_touched(src: np.ndarray, off: np.ndarray, on: np.ndarray, rate: int,
                   onset_s: float = 0.2) -> tuple[float, float]:
    """How much of the source's speech the gate changed: src, off, on (n,) at `rate`, the outputs aligned with the
    source. → (fraction of speech-interval samples where gate on ≠ gate off, the part of that fraction that lies
    in the first onset_s of an interval)."""
    from tmrvc_eval.speech import speech_intervals

    spans = speech_intervals(src, rate)
    total = sum(b - a for a, b in spans)
    changed = onset = 0
    for a, b in spans:
        diff = np.abs(on[a:b].astype(np.float64) - off[a:b]) > 1e-6
        changed += int(diff.sum())
        onset += int(diff[: int(onset_s * rate)].sum())
    return (changed / total, onset / total) if total else (0.0, 0.0)


def compare(off: dict, on: dict) -> dict[str, tuple[float, float, float]]:
    """Two tmrvc-eval summaries → {metric: (gate off, gate on, on − off)} over the metrics both have."""
    return {k: (off[k], on[k], on[k] - off[k]) for k in off
            if isinstance(off[k], (int, float)) and isinstance(on.get(k), (int, float))}


def tolerance(key: str, value: float, n_words: int = 0) -> float:
    """The allowed |gate on − gate off| of one score (see TOLERANCE)."""
    if key in RELATIVE_KEYS:
        return TOLERANCE * max(abs(value), 1.0)
    if key.startswith("wer") and n_words > 0:
        return max(TOLERANCE, 1.0 / n_words)
    return TOLERANCE


def outside(table: dict[str, tuple[float, float, float]], n_words: int = 0) -> dict[str, tuple[float, float]]:
    """compare(...) → {metric: (on − off, tolerance)} for the scores that moved by more than their tolerance."""
    return {k: (d, tolerance(k, a, n_words)) for k, (a, _, d) in table.items()
            if abs(d) > tolerance(k, a, n_words) + 1e-9}  # a one-word WER change is exactly the tolerance


def format_table(rows: dict[str, dict[str, tuple[float, float, float]]]) -> str:
    """{view: compare(...)} → a text table, one line per (view, metric)."""
    lines = [f"{'view':<8} {'metric':<44} {'gate off':>10} {'gate on':>10} {'on - off':>10}"]
    for view, table in rows.items():
        for k, (a, b, d) in table.items():
            lines.append(f"{view:<8} {k:<44} {a:>10.4f} {b:>10.4f} {d:>+10.4f}")
    return "\n".join(lines)
