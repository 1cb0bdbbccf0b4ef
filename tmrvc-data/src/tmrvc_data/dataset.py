"""Training datasets over the feature cache (memory-mapped .npy files; nothing is loaded up front).

- SegmentDataset: random fixed-length segments of one utterance per item; deterministic from (seed, epoch,
  index); a plain map-style dataset, so torch's DistributedSampler shards it for DDP.
- SpeakerBalancedSampler: draws a speaker uniformly, then one of its utterances; seeded, epoch-aware, and
  rank-aware (each of `num_replicas` ranks gets its own equal-length slice).
- ParallelPairDataset: cross-speaker pairs of the parallel corpus (same sentence, different voices).
- collate_pad: pads variable-length items along time and returns `lengths`."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

FRAME_FEATURES = ("mel", "mag", "f0", "content", "phones")
UTT_FEATURES = ("voice_source", "spk")


def read_index(cache: Path, splits: Sequence[str] = ()) -> list[dict]:
    """Index records of the cache, filtered to `splits` (empty = all)."""
    p = Path(cache) / "index.jsonl"
    if not p.is_file():
        raise ValueError(f"feature cache index not found: {p} (run tmrvc-build-cache)")
    recs = [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
    return [r for r in recs if not splits or r["split"] in splits]


class _CacheReader:
    """Reads features of one utterance from the cache (mmap) — shared by the datasets."""

    def __init__(self, cache: Path, features: Sequence[str]) -> None:
        self.cache = Path(cache)
        bad = [f for f in features if f not in FRAME_FEATURES + UTT_FEATURES]
        if bad:
            raise ValueError(f"unknown feature(s) {bad}; expected some of {FRAME_FEATURES + UTT_FEATURES}")
        self.features = tuple(features)

    def load(self, uid: str, start: int, length: int) -> dict[str, torch.Tensor]:
        """Frame features sliced to [start, start + length) (time is the last axis) + utterance features."""
        out = {}
        for f in self.features:
            p = self.cache / f / f"{uid}.npy"
            if not p.is_file():
                raise ValueError(f"feature '{f}' missing for {uid}: {p}")
            a = np.load(p, mmap_mode="r")
            if f in FRAME_FEATURES:
                a = a[..., start:start + length]
            arr = np.array(a, dtype=np.int64 if f == "phones" else np.float32)
            out[f] = torch.from_numpy(arr)
        return out


class SegmentDataset(Dataset):
    """Item i → dict with `features` sliced to `segment_frames` (shorter utterances are returned whole;
    use collate_pad), plus `speaker_id` (index into `speakers`) and `utt_id`."""

    def __init__(self, cache: str | Path, segment_frames: int, features: Sequence[str] = ("mel", "f0"),
                 splits: Sequence[str] = ("train",), seed: int = 0) -> None:
        if segment_frames < 1:
            raise ValueError(f"segment_frames must be >= 1, got {segment_frames}")
        self.records = read_index(Path(cache), splits)
        if not self.records:
            raise ValueError(f"no utterances of splits {list(splits)} in {cache}")
        self.reader = _CacheReader(Path(cache), features)
        self.speakers = sorted({r["speaker"] for r in self.records})
        self._spk = {s: i for i, s in enumerate(self.speakers)}
        self.segment_frames, self.seed, self.epoch = segment_frames, seed, 0

    def set_epoch(self, epoch: int) -> None:
        """Change the random segment positions (call once per epoch, like DistributedSampler.set_epoch)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict:
        r = self.records[i]
        n, seg = r["n_frames"], self.segment_frames
        rng = np.random.default_rng((self.seed, self.epoch, i))
        start = int(rng.integers(0, n - seg + 1)) if n > seg else 0
        item = self.reader.load(r["utt_id"], start, seg)
        item.update(speaker_id=torch.tensor(self._spk[r["speaker"]]), utt_id=r["utt_id"], start=start)
        return item


class SpeakerBalancedSampler(Sampler[int]):
    """Yields `num_samples` indices per epoch and rank: speaker uniformly at random, then one of its
    utterances uniformly. Ranks draw from disjoint parts of one seeded stream."""

    def __init__(self, speakers_of_items: Sequence[str], num_samples: int, seed: int = 0,
                 rank: int = 0, num_replicas: int = 1) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank must be in [0, {num_replicas}), got {rank}")
        self.by_spk: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(speakers_of_items):
            self.by_spk[s].append(i)
        self.spk = sorted(self.by_spk)
        self.num_samples, self.seed, self.rank, self.num_replicas, self.epoch = num_samples, seed, rank, \
            num_replicas, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng((self.seed, self.epoch))
        total = self.num_samples * self.num_replicas
        spk = rng.integers(0, len(self.spk), total)
        pick = rng.random(total)
        idx = [self.by_spk[self.spk[s]][int(p * len(self.by_spk[self.spk[s]]))] for s, p in zip(spk, pick, strict=True)]
        return iter(idx[self.rank::self.num_replicas])


class ParallelPairDataset(Dataset):
    """Cross-speaker pairs of the parallel corpus: item → {'a': features, 'b': features, speaker ids,
    sentence}, a and b the same sentence (whole utterances) spoken by two different voices. Pairs are every
    ordered (voice_a, voice_b) of each sentence, in a fixed order."""

    def __init__(self, cache: str | Path, features: Sequence[str] = ("mel", "f0"),
                 splits: Sequence[str] = ("train",), max_frames: int = 0) -> None:
        recs = read_index(Path(cache), splits)
        by_sent: dict[str, list[dict]] = defaultdict(list)
        for r in recs:
            if r.get("sentence"):
                by_sent[r["sentence"]].append(r)
        self.pairs = [(a, b) for s in sorted(by_sent) for a in by_sent[s] for b in by_sent[s]
                      if a["speaker"] != b["speaker"]]
        if not self.pairs:
            raise ValueError(f"no cross-speaker pairs of the same sentence in {cache} (splits {list(splits)})")
        self.reader = _CacheReader(Path(cache), features)
        self.speakers = sorted({r["speaker"] for r in recs})
        self._spk = {s: i for i, s in enumerate(self.speakers)}
        self.max_frames = max_frames

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> dict:
        a, b = self.pairs[i]
        la = self.max_frames or a["n_frames"]
        lb = self.max_frames or b["n_frames"]
        return {"a": self.reader.load(a["utt_id"], 0, la), "b": self.reader.load(b["utt_id"], 0, lb),
                "speaker_a": torch.tensor(self._spk[a["speaker"]]), "speaker_b": torch.tensor(self._spk[b["speaker"]]),
                "sentence": a["sentence"]}


def collate_pad(items: list[dict]) -> dict:
    """Stack a list of SegmentDataset items, zero-padding frame features on time; adds `lengths` (B,)."""
    out: dict = {}
    frame_keys = [k for k in items[0] if k in FRAME_FEATURES]
    lengths = torch.tensor([it[frame_keys[0]].shape[-1] for it in items]) if frame_keys else None
    for k in items[0]:
        vals = [it[k] for it in items]
        if k in FRAME_FEATURES:
            t = max(v.shape[-1] for v in vals)
            out[k] = torch.stack([torch.nn.functional.pad(v, (0, t - v.shape[-1])) for v in vals])
        elif isinstance(vals[0], torch.Tensor):
            out[k] = torch.stack(vals)
        else:
            out[k] = vals
    if lengths is not None:
        out["lengths"] = lengths
    return out
