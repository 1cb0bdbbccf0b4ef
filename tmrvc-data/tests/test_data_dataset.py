"""Datasets and samplers over the feature cache: determinism, balance, DDP sharding, parallel pairs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from tmrvc_core.constants import N_MELS
from tmrvc_data.dataset import ParallelPairDataset, SegmentDataset, SpeakerBalancedSampler, collate_pad, read_index

ALL = ("train", "val", "test", "mixed")


def test_segments_are_deterministic_and_epoch_dependent(tiny_cache: Path) -> None:
    ds = SegmentDataset(tiny_cache, 20, features=("mel", "f0", "phones", "voice_source"), splits=ALL, seed=3)
    a, b = ds[0], ds[0]
    assert a["mel"].shape == (N_MELS, 20) and a["f0"].shape == (20,) and a["phones"].dtype == torch.int64
    assert a["voice_source"].shape == (8,)
    assert torch.equal(a["mel"], b["mel"]) and a["start"] == b["start"]
    starts = set()
    for epoch in range(6):
        ds.set_epoch(epoch)
        starts.add(ds[0]["start"])
    assert len(starts) > 1
    full = SegmentDataset(tiny_cache, 10_000, splits=ALL)
    r = full.records[0]
    assert full[0]["mel"].shape[-1] == r["n_frames"]
    with pytest.raises(ValueError, match="unknown feature"):
        SegmentDataset(tiny_cache, 20, features=("wav",), splits=ALL)
    with pytest.raises(ValueError, match="no utterances"):
        SegmentDataset(tiny_cache, 20, splits=("nope",))


def test_loader_with_distributed_sampler_shards(tiny_cache: Path) -> None:
    ds = SegmentDataset(tiny_cache, 16, splits=ALL)
    seen = []
    for rank in range(2):
        sampler = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=True, seed=1)
        sampler.set_epoch(0)
        seen.append(list(sampler))
        batch = next(iter(DataLoader(ds, batch_size=2, sampler=sampler, collate_fn=collate_pad)))
        assert batch["mel"].shape == (2, N_MELS, 16) and batch["lengths"].tolist() == [16, 16]
    assert len(seen[0]) == len(seen[1]) and set(seen[0]) | set(seen[1]) == set(range(len(ds)))


def test_speaker_balanced_sampler() -> None:
    speakers = ["a"] * 90 + ["b"] * 9 + ["c"]
    s = SpeakerBalancedSampler(speakers, num_samples=3000, seed=0)
    counts = Counter(speakers[i] for i in s)
    assert all(900 < c < 1100 for c in counts.values()), counts
    assert list(s) == list(SpeakerBalancedSampler(speakers, 3000, seed=0))
    s.set_epoch(1)
    assert list(s) != list(SpeakerBalancedSampler(speakers, 3000, seed=0))
    r0, r1 = (list(SpeakerBalancedSampler(speakers, 50, seed=0, rank=r, num_replicas=2)) for r in (0, 1))
    assert len(r0) == len(r1) == 50 and r0 != r1
    with pytest.raises(ValueError, match="rank"):
        SpeakerBalancedSampler(speakers, 5, rank=2, num_replicas=2)


def test_parallel_pairs_share_the_sentence(tiny_cache: Path) -> None:
    ds = ParallelPairDataset(tiny_cache, features=("mel",), splits=ALL)
    recs = read_index(tiny_cache)
    n_voices = len({r["speaker"] for r in recs})
    n_sent = len({r["sentence"] for r in recs})
    assert len(ds) == n_sent * n_voices * (n_voices - 1)
    item = ds[0]
    assert item["speaker_a"] != item["speaker_b"]
    sent_of = {r["utt_id"]: r["sentence"] for r in recs}
    for a, b in ds.pairs:
        assert sent_of[a["utt_id"]] == sent_of[b["utt_id"]] and a["speaker"] != b["speaker"]
    assert item["a"]["mel"].shape[0] == N_MELS
