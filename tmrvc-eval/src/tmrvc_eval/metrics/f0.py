"""F0 agreement between converted speech and the source contour shifted into the target's range.

F0 by WORLD's DIO + StoneMask (pyworld) at a 10 ms period. The source contour is shifted in log-F0 by
(mean log-F0 of the target references − mean log-F0 of the source). Converted and source are compared frame
by frame after removing a constant lag (a real-time converter delays its output), found by maximising the
correlation of the frame log-energies within ±max_lag (or, with alignment 'dtw', along a DTW path over
mel-cepstra — for outputs whose timing differs from the source). Reported on frames voiced in both: Pearson correlation
of log-F0 and RMSE in cents; on all frames: the voiced/unvoiced decision error rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tmrvc_eval.audio import frame_rms, import_quietly

F0_PERIOD_MS = 10.0
F0_FLOOR, F0_CEIL = 50.0, 800.0


def f0_contour(x: np.ndarray, sr: int) -> np.ndarray:
    """x: (n,) → (T,) F0 in Hz per 10 ms frame, 0 = unvoiced."""
    pw = import_quietly("pyworld")
    xd = np.ascontiguousarray(x, dtype=np.float64)
    f0, t = pw.dio(xd, sr, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=F0_PERIOD_MS)
    return pw.stonemask(xd, f0, t, sr)


def log_f0_mean(f0: np.ndarray) -> float | None:
    """Mean log-F0 over voiced frames (None when nothing is voiced)."""
    v = f0[f0 > 0]
    return float(np.mean(np.log(v))) if len(v) else None


def find_lag(a: np.ndarray, b: np.ndarray, sr: int, max_lag_s: float) -> int:
    """Lag in samples (≥ 0) by which `a` is delayed relative to `b`, from frame log-energy correlation."""
    hop = sr // 100
    ea = np.log(frame_rms(a, hop, hop) + 1e-5)
    eb = np.log(frame_rms(b, hop, hop) + 1e-5)
    best, best_lag = -np.inf, 0
    for lag in range(0, int(max_lag_s * 100) + 1):
        n = min(len(ea) - lag, len(eb))
        if n < 10:
            break
        u, v = ea[lag:lag + n], eb[:n]
        c = float(np.corrcoef(u, v)[0, 1]) if np.std(u) > 0 and np.std(v) > 0 else -np.inf
        if c > best + 1e-9:
            best, best_lag = c, lag
    return best_lag * hop


@dataclass(frozen=True)
class F0Scores:
    """F0 agreement of one utterance."""

    correlation: float
    rmse_cents: float
    vuv_error: float
    n_voiced_both: int


def compare_f0(f0_conv: np.ndarray, f0_ref: np.ndarray) -> F0Scores:
    """Compare two frame-aligned contours (T1,), (T2,) in Hz (0 = unvoiced) over their common length."""
    n = min(len(f0_conv), len(f0_ref))
    if n == 0:
        raise ValueError("F0 comparison needs non-empty contours")
    a, b = f0_conv[:n], f0_ref[:n]
    va, vb = a > 0, b > 0
    both = va & vb
    vuv = float(np.mean(va != vb))
    if both.sum() < 2:
        return F0Scores(float("nan"), float("nan"), vuv, int(both.sum()))
    la, lb = np.log(a[both]), np.log(b[both])
    corr = float(np.corrcoef(la, lb)[0, 1]) if np.std(la) > 0 and np.std(lb) > 0 else float("nan")
    cents = 1200.0 * (la - lb) / np.log(2.0)
    return F0Scores(corr, float(np.sqrt(np.mean(cents ** 2))), vuv, int(both.sum()))


def dtw_aligned(f0_conv: np.ndarray, f0_src: np.ndarray, conv: np.ndarray, src: np.ndarray,
                sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Align two F0 contours (10 ms frames) along a DTW path over 10 ms mel-cepstra of the signals (for outputs
    whose timing differs from the source, e.g. another speaker reading the same text). Returns equal-length
    (P,) contours: for every converted frame, the source frame the path first maps it to."""
    from tmrvc_eval.metrics.mcd import dtw_path, mel_cepstrum

    hop_s = F0_PERIOD_MS / 1000.0
    cc = mel_cepstrum(conv, sr, hop_s, drop_silence=False)[:, 1:]
    cs = mel_cepstrum(src, sr, hop_s, drop_silence=False)[:, 1:]
    path = dtw_path(cc, cs)
    first = {}
    for i, j in path:
        first.setdefault(int(i), int(j))
    i_idx = np.array(sorted(first))
    j_idx = np.array([first[i] for i in i_idx])
    ok = (i_idx < len(f0_conv)) & (j_idx < len(f0_src))
    return f0_conv[i_idx[ok]], f0_src[j_idx[ok]]


def shift_contour(f0: np.ndarray, log_shift: float) -> np.ndarray:
    """Multiply voiced frames by exp(log_shift). f0: (T,) → (T,)."""
    return np.where(f0 > 0, f0 * np.exp(log_shift), 0.0)
