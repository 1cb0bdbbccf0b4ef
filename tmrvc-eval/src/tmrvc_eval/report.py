"""Markdown report with PNG plots: mel spectrograms side by side, F0 contours, metric bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tmrvc_eval.metrics.f0 import F0_PERIOD_MS, f0_contour

MEL_BANDS = 80
PLOT_NFFT = 1024
PLOT_HOP = 240


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def log_mel_for_plot(x: np.ndarray, sr: int) -> np.ndarray:
    """Display log-mel (MEL_BANDS, T) from a Hann STFT and an HTK mel filterbank (plots only)."""
    if len(x) < PLOT_NFFT:
        x = np.pad(x, (0, PLOT_NFFT - len(x)))
    n = 1 + (len(x) - PLOT_NFFT) // PLOT_HOP
    idx = np.arange(PLOT_NFFT)[None, :] + PLOT_HOP * np.arange(n)[:, None]
    mag = np.abs(np.fft.rfft(x[idx] * np.hanning(PLOT_NFFT), axis=1)).T
    top = 2595.0 * np.log10(1.0 + (sr / 2) / 700.0)
    pts = 700.0 * (10 ** (np.linspace(0, top, MEL_BANDS + 2) / 2595.0) - 1.0)
    freqs = np.arange(mag.shape[0]) * sr / PLOT_NFFT
    lo, mid, hi = pts[:-2, None], pts[1:-1, None], pts[2:, None]
    fb = np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    return np.log(np.maximum(fb @ mag, 1e-5))


def plot_mels(path: Path, signals: dict[str, np.ndarray], sr: int) -> None:
    """One panel per named signal (e.g. source / converted / ground truth)."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(signals), figsize=(4.5 * len(signals), 3.2), squeeze=False)
    for ax, (title, x) in zip(axes[0], signals.items(), strict=True):
        ax.imshow(log_mel_for_plot(x, sr), origin="lower", aspect="auto", cmap="magma")
        ax.set_title(title)
        ax.set_xlabel("frame (10 ms)")
    axes[0][0].set_ylabel("mel band")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_f0(path: Path, conv: np.ndarray, src: np.ndarray, sr: int, log_shift: float) -> None:
    """Converted F0 against the source contour shifted into the target's range."""
    plt = _plt()
    fc, fs = f0_contour(conv, sr), f0_contour(src, sr) * np.exp(log_shift)
    fig, ax = plt.subplots(figsize=(8, 3))
    for f, label in ((fs, "source (shifted to target)"), (fc, "converted")):
        t = np.arange(len(f)) * F0_PERIOD_MS / 1000.0
        ax.plot(t, np.where(f > 0, f, np.nan), label=label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("F0 (Hz)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_bars(path: Path, summary: dict[str, float | None]) -> None:
    """Horizontal bars of every numeric summary value."""
    plt = _plt()
    items = [(k, v) for k, v in summary.items() if isinstance(v, (int, float)) and v is not None]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(items) + 1))
    ax.barh([k for k, _ in items], [v for _, v in items], color="tab:blue")
    for i, (_, v) in enumerate(items):
        ax.text(v, i, f" {v:.3g}", va="center")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_markdown(path: Path, summary: dict, notes: list[str], per_utt: list[dict], images: list[str]) -> None:
    """The report: summary table, notes, per-utterance table, images."""
    lines = ["# TMRVC evaluation report", "", "| metric | value |", "|---|---|"]
    for k, v in summary.items():
        lines.append(f"| {k} | {'n/a' if v is None else f'{v:.4g}' if isinstance(v, float) else v} |")
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    if per_utt:
        keys = [k for k in per_utt[0] if k not in ("hyp", "hyp_source", "extra")]
        lines += ["", "## Per utterance", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        for row in per_utt:
            cells = [f"{row[k]:.4g}" if isinstance(row[k], float) else str(row[k]) for k in keys]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + [f"![{Path(i).stem}]({i})" for i in images]
    path.write_text("\n".join(lines) + "\n")
