"""Audio reading and the file checks every corpus goes through (unreadable, empty, NaN, clipped, too short)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

AUDIO_SUFFIXES = (".wav", ".flac")


@dataclass(frozen=True)
class AudioCheck:
    """Thresholds of the file checks."""

    min_seconds: float = 0.5
    clip_level: float = 0.999
    max_clipped_fraction: float = 0.001


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """Read a file as float64 mono. Returns (x: (n,), sample_rate). Multichannel is averaged."""
    x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    return x.mean(axis=1), int(sr)


def write_wav(path: Path, x: np.ndarray, sample_rate: int) -> None:
    """Write float audio x: (n,) as 16-bit PCM WAV (or FLAC by suffix), creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subtype = "PCM_16"
    sf.write(str(path), np.clip(x, -1.0, 1.0).astype(np.float32), sample_rate, subtype=subtype)


def check_audio(path: Path, check: AudioCheck) -> tuple[float, str | None]:
    """Inspect one file. Returns (duration_seconds, reason) where reason is None for a good file."""
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        return 0.0, f"unreadable: {exc}"
    if info.frames == 0:
        return 0.0, "empty: no samples"
    try:
        x, sr = read_mono(path)
    except (RuntimeError, sf.LibsndfileError) as exc:
        return 0.0, f"unreadable: {exc}"
    duration = len(x) / sr
    if not np.all(np.isfinite(x)):
        return duration, "non-finite samples (NaN/Inf)"
    if np.max(np.abs(x)) == 0.0:
        return duration, "empty: all samples are zero"
    if duration < check.min_seconds:
        return duration, f"too short: {duration:.3f} s < {check.min_seconds} s"
    clipped = float(np.mean(np.abs(x) >= check.clip_level))
    if clipped > check.max_clipped_fraction:
        return duration, f"clipped: {100 * clipped:.2f}% of samples at full scale"
    return duration, None
