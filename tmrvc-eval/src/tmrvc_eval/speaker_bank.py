"""Speaker-bank conversion, offline: every source frame takes the average of the target's k frames whose
content is nearest (cosine), the measurement behind the question "does a converter that draws on the
target's own spectra beat ours?" (issue 18, step 3). Pure numpy; the vocoding lives in the ceiling script."""

from __future__ import annotations

import numpy as np


def normalise_rows(x: np.ndarray) -> np.ndarray:
    """x: (T, D) → rows scaled to unit L2 norm (zero rows stay zero)."""
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, 1e-12)


def knn_indices(query: np.ndarray, keys: np.ndarray, k: int, chunk: int = 2048) -> np.ndarray:
    """query: (T, D), keys: (N, D) → (T, k) indices of the k keys of highest cosine similarity per query row."""
    if query.ndim != 2 or keys.ndim != 2 or query.shape[1] != keys.shape[1]:
        raise ValueError(f"expected query (T, D) and keys (N, D) with the same D, got {query.shape} and {keys.shape}")
    if not 1 <= k <= len(keys):
        raise ValueError(f"k must be in 1..{len(keys)} (the bank's frames), got {k}")
    q, kk = normalise_rows(query), normalise_rows(keys)
    out = np.empty((len(q), k), dtype=np.int64)
    for a in range(0, len(q), chunk):
        sim = q[a:a + chunk] @ kk.T
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        out[a:a + chunk] = top
    return out


def knn_average(query: np.ndarray, keys: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Mean of `values` (N, F) over the k nearest keys of each query row → (T, F)."""
    if len(values) != len(keys):
        raise ValueError(f"keys and values must have the same frames, got {len(keys)} and {len(values)}")
    return values[knn_indices(query, keys, k)].mean(axis=1)
