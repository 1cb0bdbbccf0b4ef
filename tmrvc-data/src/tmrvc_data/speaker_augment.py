"""Speaker augmentation: new training speakers made from a real-recorded voice by WORLD analysis / synthesis
(pyworld) with a vocal-tract factor (the spectral envelope's frequency axis stretched), an F0 scale and an
aperiodicity (breathiness) change. Each sibling is one labelled speaker; its timing is the source's, so the
source's phone timings stay valid."""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass

import numpy as np

WORLD_FRAME_MS = 5.0


@dataclass(frozen=True)
class SiblingParams:
    """warp: envelope frequency factor (> 1 moves formants up: a shorter vocal tract); f0_scale: F0 factor;
    breath: aperiodicity factor (> 1 breathier)."""

    warp: float
    f0_scale: float
    breath: float


# Vocal-tract factors of the siblings, spread on both sides of the source so siblings differ from each other
# as much as from their source; F0 follows the tract partly (shorter tract, higher voice) plus its own draw.
_WARP_LADDER = (0.84, 1.17, 0.91, 1.09, 0.79, 1.24, 0.95, 1.05)


def sibling_params(voice: str, index: int, seed: int) -> SiblingParams:
    """Deterministic parameters of sibling `index` (0-based, < 8) of `voice`."""
    if not 0 <= index < len(_WARP_LADDER):
        raise ValueError(f"sibling index must be in 0..{len(_WARP_LADDER) - 1}, got {index}")
    rng = random.Random(f"{seed}:{voice}:{index}")
    warp = _WARP_LADDER[index] * rng.uniform(0.98, 1.02)
    f0_scale = warp ** 1.5 * rng.uniform(0.85, 1.18)
    breath = rng.choice((0.6, 0.8, 1.3, 1.7))
    return SiblingParams(warp=round(warp, 4), f0_scale=round(f0_scale, 4), breath=breath)


def warp_envelope(sp: np.ndarray, warp: float) -> np.ndarray:
    """sp: (T, F) power envelope on a linear 0..Nyquist grid → the envelope with its frequency axis scaled by
    `warp` (new(f) = old(f / warp)), interpolated on log power; above the old top it holds the last bin."""
    if warp <= 0:
        raise ValueError(f"warp must be positive, got {warp}")
    n = sp.shape[1]
    src = np.arange(n) / warp
    lo = np.clip(np.floor(src).astype(np.int64), 0, n - 1)
    hi = np.clip(lo + 1, 0, n - 1)
    frac = np.clip(src - lo, 0.0, 1.0)
    log_sp = np.log(np.maximum(sp, 1e-20))
    return np.exp(log_sp[:, lo] * (1 - frac) + log_sp[:, hi] * frac)


def make_sibling(x: np.ndarray, sr: int, params: SiblingParams) -> np.ndarray:
    """x: (n,) float in [-1, 1] at `sr` → (n,) the sibling speaker saying the same thing, same timing and
    about the same peak level."""
    with warnings.catch_warnings():  # pyworld imports pkg_resources, which warns
        warnings.simplefilter("ignore")
        import pyworld

    xd = np.ascontiguousarray(x, dtype=np.float64)
    f0, t = pyworld.dio(xd, sr, frame_period=WORLD_FRAME_MS)
    f0 = pyworld.stonemask(xd, f0, t, sr)
    sp = pyworld.cheaptrick(xd, f0, t, sr)
    ap = pyworld.d4c(xd, f0, t, sr)
    sp2 = np.ascontiguousarray(warp_envelope(sp, params.warp))
    ap2 = np.ascontiguousarray(np.clip(ap * params.breath, 0.0, 1.0))
    y = pyworld.synthesize(f0 * params.f0_scale, sp2, ap2, sr, frame_period=WORLD_FRAME_MS)
    y = np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]
    peak_in, peak_out = float(np.max(np.abs(x))), float(np.max(np.abs(y)))
    return y * (min(peak_in, 0.95) / peak_out) if peak_out > 0 else y


def sibling_name(voice: str, index: int) -> str:
    return f"{voice}_aug{index}"


def sibling_job(args: tuple[str, str, str, SiblingParams, str]) -> tuple[str, str, float, int]:
    """Write one sibling utterance of the corpus (wavs/ and phones/ under `out`) unless it exists, from the
    source voice's utterance. args = (voice, sibling, sentence, params, out). Returns (sibling, sentence,
    duration, rate)."""
    import json
    from pathlib import Path

    from tmrvc_data.audio_io import read_mono, write_wav

    voice, sib, sent, params, out = args
    root = Path(out)
    wav = root / "wavs" / sib / f"{sib}__{sent}.wav"
    phon = root / "phones" / sib / f"{sib}__{sent}.json"
    if wav.is_file() and phon.is_file():
        meta = json.loads(phon.read_text())
        return sib, sent, meta["duration"], meta["sample_rate"]
    x, sr = read_mono(root / "wavs" / voice / f"{voice}__{sent}.wav")
    write_wav(wav, make_sibling(x, sr, params), sr)
    meta = json.loads((root / "phones" / voice / f"{voice}__{sent}.json").read_text())
    meta["sibling_of"] = voice
    phon.parent.mkdir(parents=True, exist_ok=True)
    phon.write_text(json.dumps(meta))
    return sib, sent, meta["duration"], sr
