"""Figures for the demo report: one utterance's spectrograms (source, converted FP32 / q = 1, target) and the
report itself rendered as an image (the README shows both)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SPECTROGRAM_ROWS = (("source (unconverted)", "source"), ("converted, FP32, q = 0", "fp32"),
                    ("converted, FP32, q = 0, the vocoder's own phase", "fp32_vocoder_phase"),
                    ("converted, FP32, q = 1 (lookahead / HQ)", "fp32_q1"),
                    ("target voice, same sentence (ground truth)", "ground_truth"))


def _log_spectrogram(path: Path, n_fft: int = 1024, hop: int = 256) -> tuple[np.ndarray, int]:
    """(freq, time) dB magnitude of a mono wav, plus its sample rate."""
    x, rate = sf.read(path, dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    if x.size < n_fft:
        x = np.pad(x, (0, n_fft - x.size))
    win = np.hanning(n_fft)
    n = 1 + (x.size - n_fft) // hop
    frames = np.stack([x[i * hop:i * hop + n_fft] * win for i in range(n)], axis=1)
    mag = np.abs(np.fft.rfft(frames, axis=0))
    return 20 * np.log10(np.maximum(mag, 1e-6)), rate


def spectrogram_figure(files: dict[str, Path], dest: Path) -> Path | None:
    """Stacked spectrograms of the files present among SPECTROGRAM_ROWS' keys → dest (PNG)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = [(label, files[key]) for label, key in SPECTROGRAM_ROWS if key in files and files[key].is_file()]
    if not rows:
        return None
    fig, axes = plt.subplots(len(rows), 1, figsize=(10, 2.3 * len(rows)), sharex=True, squeeze=False)
    for ax, (label, path) in zip(axes[:, 0], rows):
        db, rate = _log_spectrogram(path)
        top = db.max()
        ax.imshow(db, origin="lower", aspect="auto", vmin=top - 80, vmax=top, cmap="magma",
                  extent=(0, db.shape[1] * 256 / rate, 0, rate / 2000))
        ax.set_ylim(0, 12)
        ax.set_ylabel("kHz")
        ax.set_title(f"{label}: {path.name}", fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("seconds")
    fig.tight_layout()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(dest, dpi=64)
    plt.close(fig)
    return dest


def report_image(report_md: Path, dest: Path, max_lines: int = 62) -> Path:
    """The first lines of report.md rendered in a monospace font → dest (PNG): a picture of the report."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    lines = report_md.read_text().splitlines()[:max_lines]
    lines = [ln if len(ln) <= 150 else ln[:147] + "..." for ln in lines]
    fig = plt.figure(figsize=(13, 0.155 * len(lines) + 0.3))
    fig.text(0.01, 0.99, "\n".join(lines), family="monospace", fontsize=7.5, va="top", ha="left")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(dest, dpi=100, facecolor="white")
    plt.close(fig)
    return dest
