"""The speaker bank's nearest-content average picks the bank frames whose content matches."""

from __future__ import annotations

import numpy as np
import pytest

from tmrvc_eval.speaker_bank import knn_average, knn_indices


def test_knn_picks_matching_content_and_averages_their_values() -> None:
    rng = np.random.default_rng(0)
    classes = rng.standard_normal((5, 16))
    labels = np.repeat(np.arange(5), 40)
    keys = classes[labels] + 0.05 * rng.standard_normal((200, 16))
    values = labels[:, None].astype(float) * np.ones((1, 3))
    query = classes[[3, 1, 4]] * 2.0  # cosine ignores the scale
    idx = knn_indices(query, keys, 8)
    assert np.all(labels[idx] == np.array([3, 1, 4])[:, None])
    np.testing.assert_allclose(knn_average(query, keys, values, 8), [[3.0] * 3, [1.0] * 3, [4.0] * 3])


def test_knn_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="same D"):
        knn_indices(np.zeros((2, 3)), np.zeros((4, 5)), 1)
    with pytest.raises(ValueError, match="k must be"):
        knn_indices(np.zeros((2, 3)), np.ones((4, 3)), 5)
