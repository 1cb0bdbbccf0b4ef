"""Codebook perplexity per quantiser of a vector-quantised bottleneck: exp(entropy of code usage)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def perplexity(codes: np.ndarray, codebook_size: int) -> float:
    """codes: (N,) integer indices in [0, codebook_size) → exp(−Σ p log p) of their histogram."""
    codes = np.asarray(codes).reshape(-1)
    if codes.size == 0:
        raise ValueError("perplexity needs at least one code")
    if codes.min() < 0 or codes.max() >= codebook_size:
        raise ValueError(f"codes must lie in [0, {codebook_size}), got range [{codes.min()}, {codes.max()}]")
    p = np.bincount(codes.astype(np.int64), minlength=codebook_size) / codes.size
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def perplexities_from_file(path: Path) -> dict[str, float]:
    """Read an .npz with arrays `q0, q1, …` (code indices, any shape) and `codebook_size` → {q_i: perplexity}."""
    if not path.is_file():
        raise ValueError(f"codes file not found: {path}")
    data = np.load(path)
    if "codebook_size" not in data:
        raise ValueError(f"{path}: expected an array 'codebook_size' beside the code arrays q0, q1, ...")
    size = int(data["codebook_size"])
    names = sorted((k for k in data.files if k.startswith("q")), key=lambda k: int(k[1:]))
    if not names:
        raise ValueError(f"{path}: no code arrays named q0, q1, ...")
    return {k: perplexity(data[k], size) for k in names}
