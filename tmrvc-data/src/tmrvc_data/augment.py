"""Augmentation with labels: reverberation by a synthetic RIR with known per-subband RT60 / DRR / tilt,
random EQ, additive noise at a chosen SNR, gain. Returns the 32 acoustic-parameter targets (room 0–23 from
the RIR, or the dry room when no reverb was applied; voice source 24–31 from the dry signal)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

from tmrvc_core.constants import N_ACOUSTIC_PARAMS, N_IR_PARAMS, N_IR_SUBBANDS, SAMPLE_RATE
from tmrvc_core.dsp.f0 import f0_track
from tmrvc_core.dsp.stft import magnitude_phase
from tmrvc_data.acoustic import DRR_RANGE, RT60_RANGE, SUBBAND_EDGES_HZ, pack_room
from tmrvc_data.rir import Room, sample_room, synth_rir
from tmrvc_data.voice_source import voice_source_targets

DRY_ROOM = Room(np.full(N_IR_SUBBANDS, RT60_RANGE[0]), np.full(N_IR_SUBBANDS, DRR_RANGE[1]),
                np.zeros(N_IR_SUBBANDS))


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges of the augmentations."""

    p_reverb: float = 0.8
    p_eq: float = 0.5
    eq_max_db: float = 6.0
    p_noise: float = 0.5
    snr_db: tuple[float, float] = (5.0, 40.0)
    gain_db: tuple[float, float] = (-12.0, 6.0)
    pink_noise_fraction: float = 0.5


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator, pink: bool = False) -> np.ndarray:
    """x: (n,) plus white (or pink, 1/f power) noise scaled to `snr_db` relative to x's mean power."""
    n = rng.standard_normal(len(x))
    if pink:
        spec = np.fft.rfft(n)
        spec[1:] /= np.sqrt(np.arange(1, len(spec)))
        n = np.fft.irfft(spec, len(x))
    px, pn = float(np.mean(x ** 2)), float(np.mean(n ** 2))
    if px == 0.0 or pn == 0.0:
        return x.copy()
    return x + n * np.sqrt(px / (pn * 10 ** (snr_db / 10)))


def random_eq(x: np.ndarray, max_db: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth random EQ: gains uniform in ±max_db at the subband centres, linear in log-frequency between."""
    edges = np.array(SUBBAND_EDGES_HZ)
    centres = np.sqrt(np.maximum(edges[:-1], 50.0) * edges[1:])
    gains_db = rng.uniform(-max_db, max_db, len(centres))
    f = np.fft.rfftfreq(len(x), 1.0 / SAMPLE_RATE)
    curve = np.interp(np.log(np.maximum(f, 50.0)), np.log(centres), gains_db)
    return np.fft.irfft(np.fft.rfft(x) * 10 ** (curve / 20), len(x))


def reverberate(x: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """Causal convolution x * rir truncated to len(x)."""
    return fftconvolve(x, rir)[: len(x)]


def augment(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig,
            voice_source: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """x: (n,) dry speech at SAMPLE_RATE → (y: (n,), labels: (32,) float32, info dict).

    voice_source: precomputed (8,) targets of x (e.g. from the feature cache); computed when None."""
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"expected a non-empty mono signal (n,), got shape {x.shape}")
    info: dict = {}
    room = DRY_ROOM
    y = x.astype(np.float64)
    if rng.random() < cfg.p_reverb:
        room = sample_room(rng)
        y = reverberate(y, synth_rir(room, rng))
        info["reverb"] = True
    if rng.random() < cfg.p_eq:
        y = random_eq(y, cfg.eq_max_db, rng)
        info["eq"] = True
    if rng.random() < cfg.p_noise:
        snr = float(rng.uniform(*cfg.snr_db))
        y = add_noise(y, snr, rng, pink=bool(rng.random() < cfg.pink_noise_fraction))
        info["snr_db"] = snr
    gain = float(rng.uniform(*cfg.gain_db))
    y = y * 10 ** (gain / 20)
    info["gain_db"] = gain
    if voice_source is None:
        mag, _ = magnitude_phase(x)
        voice_source = voice_source_targets(mag, f0_track(x))
    labels = np.zeros(N_ACOUSTIC_PARAMS, dtype=np.float32)
    labels[:N_IR_PARAMS] = pack_room(room.rt60, room.drr, room.tilt)
    labels[N_IR_PARAMS:] = voice_source
    return y, labels, info
