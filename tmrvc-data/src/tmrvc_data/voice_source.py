"""Voice-source targets (acoustic parameters 24–31) computed from a signal's magnitude spectrum and F0.

With voiced frames (f0 > 0) of the causal STFT `mag` (513, T) and F0 track (T,):
- breathiness low/high: between-harmonic energy / (harmonic + between-harmonic energy), ×2, over harmonics
  4+ below 2 kHz (low) and harmonics in 2–6 kHz (high); 0 for a pure harmonic source, ~1 for noise.
- tension low/high: tanh((L(1–2 kHz) − L(0–1 kHz) + 15) / 10) and tanh((L(4–8 kHz) − L(2–4 kHz) + 10) / 10),
  L = band level in dB over voiced frames (a flatter slope = more pressed / tense phonation).
- jitter: 0.1 · tanh(mean |P_t − P_t−1| / mean P) over consecutive voiced frames, P = 1 / f0.
- shimmer: 0.1 · tanh(mean |A_t − A_t−1| / mean A), A = frame magnitude RMS, consecutive voiced frames.
- formant shift: clip(log2(centroid / 700 Hz), −1, 1), centroid of 300–5000 Hz over voiced frames.
- roughness: the between-harmonic ratio of the first three harmonics (subharmonic energy at 0.5, 1.5, 2.5 f0).
Harmonic ratios use at most 200 evenly spaced voiced frames. Fewer than 3 voiced frames → all zeros.
Frame-level proxies, not clinical measures."""

from __future__ import annotations

import numpy as np

from tmrvc_core.constants import N_FFT, N_VOICE_SOURCE_PARAMS, SAMPLE_RATE

BIN_HZ = SAMPLE_RATE / N_FFT
MAX_HARMONIC_FRAMES = 200  # evenly spaced voiced frames used by the harmonic ratios (cost bound)
FORMANT_REF_HZ = 700.0  # spectral centroid (300–5000 Hz) that maps to formant shift 0


def _band_db(power: np.ndarray, lo: float, hi: float) -> float:
    k = np.arange(power.shape[0]) * BIN_HZ
    return float(10 * np.log10(np.sum(power[(k >= lo) & (k < hi)]) + 1e-20))


def _harmonic_ratio(mag: np.ndarray, f0: np.ndarray, lo_h: float, hi_h: float, lo_hz: float,
                    hi_hz: float) -> float:
    """Mean over frames of 2 · E_between / (E_harm + E_between) for harmonics h in [lo_h, hi_h] with
    frequency in [lo_hz, hi_hz). mag: (513, V), f0: (V,)."""
    ratios = []
    for t in range(mag.shape[1]):
        p = mag[:, t] ** 2
        hs = [h for h in np.arange(lo_h, hi_h + 1)
              if lo_hz <= h * f0[t] < hi_hz and (h + 0.5) * f0[t] < SAMPLE_RATE / 2]
        if not hs:
            continue
        harm = sum(p[int(round(h * f0[t] / BIN_HZ))] for h in hs)
        betw = sum(p[int(round((h + 0.5) * f0[t] / BIN_HZ))] for h in hs)
        if harm + betw > 0:
            ratios.append(2.0 * betw / (harm + betw))
    return float(np.clip(np.mean(ratios), 0.0, 1.0)) if ratios else 0.0


def voice_source_targets(mag: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """mag: (513, T) linear magnitude, f0: (T,) Hz (0 = unvoiced) → (8,) float32 targets (see module doc)."""
    if mag.ndim != 2 or mag.shape[1] != f0.shape[0]:
        raise ValueError(f"expected mag (513, T) and f0 (T,), got {mag.shape} and {f0.shape}")
    out = np.zeros(N_VOICE_SOURCE_PARAMS, dtype=np.float32)
    voiced = f0 > 0
    if voiced.sum() < 3:
        return out
    mv, fv = mag[:, voiced], f0[voiced]
    pick = np.linspace(0, mv.shape[1] - 1, min(mv.shape[1], MAX_HARMONIC_FRAMES)).astype(np.int64)
    power = np.sum(mv ** 2, axis=1)
    out[0] = _harmonic_ratio(mv[:, pick], fv[pick], 4, 200, 0.0, 2000.0)
    out[1] = _harmonic_ratio(mv[:, pick], fv[pick], 1, 400, 2000.0, 6000.0)
    out[2] = np.tanh((_band_db(power, 1000, 2000) - _band_db(power, 0, 1000) + 15.0) / 10.0)
    out[3] = np.tanh((_band_db(power, 4000, 8000) - _band_db(power, 2000, 4000) + 10.0) / 10.0)
    pairs = voiced[1:] & voiced[:-1]
    if pairs.any():
        period = 1.0 / np.where(voiced, f0, 1.0)
        out[4] = 0.1 * np.tanh(np.mean(np.abs(np.diff(period))[pairs]) / np.mean(period[voiced]))
        amp = np.sqrt(np.mean(mag ** 2, axis=0))
        out[5] = 0.1 * np.tanh(np.mean(np.abs(np.diff(amp))[pairs]) / (np.mean(amp[voiced]) + 1e-12))
    k = np.arange(mag.shape[0]) * BIN_HZ
    band = (k >= 300) & (k < 5000)
    centroid = np.sum(k[band] * power[band]) / (np.sum(power[band]) + 1e-20)
    out[6] = np.clip(np.log2(max(centroid, 1.0) / FORMANT_REF_HZ), -1.0, 1.0)
    out[7] = _harmonic_ratio(mv[:, pick], fv[pick], 1, 3, 0.0, SAMPLE_RATE / 2)
    return out
