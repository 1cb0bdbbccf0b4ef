"""Synthetic room impulse responses with known per-subband RT60, DRR and tail tilt, and their re-measurement.

RIR = unit direct impulse at `DIRECT_DELAY_S` + Σ_b tail_b. tail_b is white noise restricted (in the
frequency domain) to subband b with a gain 10^(tilt_b · log2(f / f_c,b) / 20) (f_c,b the band's geometric
centre), times exp(−3 ln10 · t / RT60_b) (−60 dB at RT60_b), scaled so that
10·log10(E_direct,b / E_tail,b) = DRR_b, energies measured through the same band mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.fft import next_fast_len
from scipy.signal import butter, sosfiltfilt

from tmrvc_core.constants import N_IR_SUBBANDS, SAMPLE_RATE
from tmrvc_data.acoustic import DRR_RANGE, RT60_RANGE, SUBBAND_EDGES_HZ, TILT_RANGE

DIRECT_DELAY_S = 0.0025
DIRECT_WINDOW_S = 0.0025      # ± around the direct impulse counted as direct sound when measuring DRR
TAIL_LENGTH_FACTOR = 1.2      # RIR length = factor · max RT60 (+ the direct delay)
MEASURE_FILTER_ORDER = 4
CALIBRATION_PASSES = 2        # re-measure-and-correct passes of the per-band decay constants


@dataclass(frozen=True)
class Room:
    """Per-subband room parameters, each (8,): RT60 (s), DRR (dB), tail tilt (dB/octave)."""

    rt60: np.ndarray
    drr: np.ndarray
    tilt: np.ndarray


def band_masks(n: int, tilt: np.ndarray | None = None) -> np.ndarray:
    """(8, n // 2 + 1) rfft-domain masks of the subbands for a length-n signal, with optional tilt (8,)."""
    f = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    masks = np.zeros((N_IR_SUBBANDS, len(f)))
    for b in range(N_IR_SUBBANDS):
        lo, hi = SUBBAND_EDGES_HZ[b], SUBBAND_EDGES_HZ[b + 1]
        inside = (f >= lo) & ((f < hi) if b < N_IR_SUBBANDS - 1 else (f <= hi))
        gain = np.ones(len(f))
        if tilt is not None:
            fc = np.sqrt(max(lo, hi / 4) * hi)
            gain = 10 ** (tilt[b] * np.log2(np.maximum(f, 1.0) / fc) / 20)
        masks[b] = inside * gain
    return masks


def _band_energy(x: np.ndarray, mask: np.ndarray) -> float:
    return float(np.sum(np.fft.irfft(np.fft.rfft(x) * mask, len(x)) ** 2))


def synth_rir(room: Room, rng: np.random.Generator) -> np.ndarray:
    """Room → RIR (n,) at SAMPLE_RATE. A short noise tail in a narrow band decays unevenly, so the decay
    constants are calibrated: after building, each band's RT60 is re-measured and its envelope constant
    corrected by target / measured (CALIBRATION_PASSES times, same noise)."""
    for name, v, (lo, hi) in (("rt60", room.rt60, RT60_RANGE), ("drr", room.drr, DRR_RANGE),
                              ("tilt", room.tilt, TILT_RANGE)):
        if np.shape(v) != (N_IR_SUBBANDS,) or np.any(v < lo) or np.any(v > hi):
            raise ValueError(f"room.{name}: expected ({N_IR_SUBBANDS},) values in [{lo}, {hi}], got {v}")
    d0 = int(DIRECT_DELAY_S * SAMPLE_RATE)
    n = next_fast_len(d0 + int(TAIL_LENGTH_FACTOR * float(np.max(room.rt60)) * SAMPLE_RATE), real=True)
    tilted = band_masks(n, room.tilt)
    noises = [np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * tilted[b], n) for b in range(N_IR_SUBBANDS)]
    decay = np.asarray(room.rt60, dtype=np.float64).copy()
    rir = _build(noises, decay, room.drr, d0, n)
    for _ in range(CALIBRATION_PASSES):
        measured = np.array([measure_rt60(rir, b) for b in range(N_IR_SUBBANDS)])
        decay = np.clip(decay * room.rt60 / measured, 0.5 * room.rt60, 2.0 * room.rt60)
        rir = _build(noises, decay, room.drr, d0, n)
    return rir


def _build(noises: list[np.ndarray], decay: np.ndarray, drr: np.ndarray, d0: int, n: int) -> np.ndarray:
    """Direct impulse at d0 + Σ_b noises[b] · exp(−3 ln10 t / decay_b), each scaled to its band's DRR."""
    plain = band_masks(n)
    direct = np.zeros(n)
    direct[d0] = 1.0
    t = np.maximum(np.arange(n) - d0, 0) / SAMPLE_RATE
    rir = direct.copy()
    for b, noise in enumerate(noises):
        tail = noise * np.exp(-3.0 * np.log(10.0) * t / decay[b]) * (np.arange(n) > d0)
        e_tail, e_dir = _band_energy(tail, plain[b]), _band_energy(direct, plain[b])
        if e_tail > 0:
            rir += tail * np.sqrt(e_dir / (e_tail * 10 ** (drr[b] / 10)))
    return rir


def band_filter(x: np.ndarray, band: int) -> np.ndarray:
    """Zero-phase 4th-order Butterworth filter of subband `band` (low-pass for the first, high-pass for the
    last): x (n,) → (n,). Used for measuring; its short ringing does not bias decay fits the way a
    brick-wall FFT mask's sinc tails do."""
    lo, hi = SUBBAND_EDGES_HZ[band], SUBBAND_EDGES_HZ[band + 1]
    nyq = SAMPLE_RATE / 2
    if lo <= 0:
        sos = butter(MEASURE_FILTER_ORDER, hi, "lowpass", fs=SAMPLE_RATE, output="sos")
    elif hi >= nyq:
        sos = butter(MEASURE_FILTER_ORDER, lo, "highpass", fs=SAMPLE_RATE, output="sos")
    else:
        sos = butter(MEASURE_FILTER_ORDER, (lo, hi), "bandpass", fs=SAMPLE_RATE, output="sos")
    return sosfiltfilt(sos, x)


def measure_rt60(rir: np.ndarray, band: int, skip_s: float = DIRECT_DELAY_S + DIRECT_WINDOW_S) -> float:
    """RT60 (s) of subband `band` from the Schroeder decay of the band-filtered tail (direct part removed),
    a line fitted between −5 and −25 dB, extrapolated to −60 dB."""
    tail = rir.copy()
    tail[: int(skip_s * SAMPLE_RATE)] = 0.0
    y = band_filter(tail, band)
    edc = np.cumsum((y ** 2)[::-1])[::-1]
    edc_db = 10 * np.log10(edc / edc.max() + 1e-30)
    sel = np.nonzero((edc_db <= -5.0) & (edc_db >= -25.0))[0]
    if len(sel) < 10:
        raise ValueError(f"band {band}: decay too short to measure RT60")
    slope = np.polyfit(sel / SAMPLE_RATE, edc_db[sel], 1)[0]
    return float(-60.0 / slope)


def measure_drr(rir: np.ndarray, band: int) -> float:
    """DRR (dB) of subband `band`: energy within ±DIRECT_WINDOW_S of the direct impulse vs the rest."""
    y = band_filter(rir, band)
    d0, w = int(DIRECT_DELAY_S * SAMPLE_RATE), int(DIRECT_WINDOW_S * SAMPLE_RATE)
    direct = np.sum(y[max(0, d0 - w): d0 + w] ** 2)
    rest = np.sum(y ** 2) - direct
    return float(10 * np.log10(direct / max(rest, 1e-30)))


def sample_room(rng: np.random.Generator, rt60_mid: tuple[float, float] = (0.15, 1.2),
                drr_mid: tuple[float, float] = (-5.0, 20.0), tilt_max: float = 3.0) -> Room:
    """A plausible random room: log-uniform mid-band RT60 falling towards high bands, DRR and tilt with
    per-band scatter, all clipped to the parameter ranges."""
    rt = np.exp(rng.uniform(np.log(rt60_mid[0]), np.log(rt60_mid[1])))
    rt60 = rt * np.exp(np.linspace(0.2, -0.5, N_IR_SUBBANDS) + 0.1 * rng.standard_normal(N_IR_SUBBANDS))
    drr = rng.uniform(*drr_mid) + np.linspace(-2, 2, N_IR_SUBBANDS) + 1.5 * rng.standard_normal(N_IR_SUBBANDS)
    tilt = rng.uniform(-tilt_max, tilt_max, N_IR_SUBBANDS)
    return Room(np.clip(rt60, *RT60_RANGE), np.clip(drr, *DRR_RANGE), np.clip(tilt, *TILT_RANGE))
