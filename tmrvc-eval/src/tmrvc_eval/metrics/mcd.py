"""Mel-cepstral distortion (dB) against the parallel ground truth after DTW alignment.

Mel-cepstra: pysptk `mcep` (order 24, all-pass constant for the rate) on Blackman-windowed 25 ms frames with a
5 ms hop, silent frames (below -40 dB of the loudest frame) dropped, c0 excluded.
MCD = mean over the DTW path of (10 / ln 10) · sqrt(2 · Σ_{d=1..24} (c_d − c'_d)²)."""

from __future__ import annotations

import numpy as np

from tmrvc_eval.audio import import_quietly

MCD_RATE = 24000
MCEP_ORDER = 24
FRAME_SECONDS = 0.025
HOP_SECONDS = 0.005
SILENCE_DB = -40.0


def mel_cepstrum(x: np.ndarray, sr: int, hop_s: float = HOP_SECONDS, drop_silence: bool = True) -> np.ndarray:
    """x: (n,) at sr → (T, MCEP_ORDER + 1) mel-cepstra (of the non-silent frames if drop_silence)."""
    pysptk = import_quietly("pysptk")
    frame, hop = int(FRAME_SECONDS * sr), int(hop_s * sr)
    if len(x) < frame:
        raise ValueError(f"MCD: signal of {len(x)} samples is shorter than one {frame}-sample frame")
    n_fft = 1 << (frame - 1).bit_length()
    idx = np.arange(frame)[None, :] + hop * np.arange(1 + (len(x) - frame) // hop)[:, None]
    frames = x[idx] * np.blackman(frame)[None, :]
    energy = 10 * np.log10(np.sum(frames ** 2, axis=1) + 1e-20)
    if drop_silence:
        frames = frames[energy > energy.max() + SILENCE_DB]
    padded = np.zeros((len(frames), n_fft))
    padded[:, :frame] = frames
    alpha = pysptk.util.mcepalpha(sr)
    return np.stack([pysptk.sptk.mcep(f, order=MCEP_ORDER, alpha=alpha, etype=1, eps=1e-8, maxiter=0)
                     for f in padded])


def dtw_path(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """FastDTW path (P, 2) of index pairs between feature sequences cx: (T1, D) and cy: (T2, D)."""
    fastdtw = import_quietly("fastdtw")
    _, path = fastdtw.fastdtw(cx, cy, radius=10, dist=lambda a, b: float(np.sqrt(np.sum((a - b) ** 2))))
    return np.asarray(path)


def mcd_db(x: np.ndarray, y: np.ndarray, sr: int) -> float:
    """MCD (dB) between x: (n,) and y: (m,) at the same rate, DTW-aligned on c1..c24."""
    cx, cy = mel_cepstrum(x, sr)[:, 1:], mel_cepstrum(y, sr)[:, 1:]
    p = dtw_path(cx, cy)
    diff = cx[p[:, 0]] - cy[p[:, 1]]
    return float(np.mean(10.0 / np.log(10.0) * np.sqrt(2.0 * np.sum(diff ** 2, axis=1))))
