"""Audio loading for the judges: mono float64 at a requested rate (scipy polyphase resampling), plus framing
helpers. The judges are independent of the model's own DSP on purpose."""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


def load(path: Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read `path` as mono float64, resampled to `rate` if given. Returns (x: (n,), rate)."""
    try:
        x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise ValueError(f"cannot read audio file {path}: {exc}") from exc
    x = x.mean(axis=1)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"audio file {path} contains NaN/Inf samples")
    if rate is not None and rate != sr:
        x = resample(x, sr, rate)
        sr = rate
    return x, int(sr)


def resample(x: np.ndarray, in_rate: int, out_rate: int) -> np.ndarray:
    """Polyphase resampling of x: (n,) from in_rate to out_rate."""
    if in_rate == out_rate:
        return x
    frac = Fraction(out_rate, in_rate)
    return resample_poly(x, frac.numerator, frac.denominator)


def audio_files(folder: Path) -> dict[str, Path]:
    """Map file stem → path for every audio file directly in `folder`."""
    if not folder.is_dir():
        raise ValueError(f"audio folder not found: {folder}")
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in AUDIO_SUFFIXES:
            if p.stem in out:
                raise ValueError(f"two audio files share the name '{p.stem}' in {folder}")
            out[p.stem] = p
    return out


def frame_rms(x: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """RMS per frame. x: (n,) → (T,) with T = max(0, 1 + (n - frame) // hop)."""
    if len(x) < frame:
        return np.zeros(0)
    idx = np.arange(frame)[None, :] + hop * np.arange(1 + (len(x) - frame) // hop)[:, None]
    return np.sqrt(np.mean(x[idx] ** 2, axis=1))


def import_quietly(module: str):  # type: ignore[no-untyped-def]
    """Import a judge package whose import emits deprecation warnings (pkg_resources) without failing
    under `-W error`."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(module)
