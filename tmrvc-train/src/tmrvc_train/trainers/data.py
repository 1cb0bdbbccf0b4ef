"""Training batches streamed from a `tmrvc-build-cache` folder (memory-mapped .npy files, audio crops read
from the preprocessed WAVs), one whole batch per step, drawn from a generator seeded by (seed, step, rank):
the batches are a pure function of the step, which makes `--resume` exact and DDP ranks disjoint.

Per batch (B utterance crops of T frames; frame t of a crop = cache frame t0 + t):
  mel (B, 80, T) log-mel as the engine computes it · f0 (B, 1, T) model input log(f0 + 1), 0 = unvoiced
  feats (B, 513, T) log(max(mag, feature_floor)) — the converter's output / vocoder's input space
  phones (B, T) int64 class ids (0 = silence; -1 = no labels) · voice_source (B, 8) · acoustic (B, 32)
  speaker (B,) int64 index into ``speakers`` · ref_mel (B, 80, R) another utterance of the same speaker
  wav (B, 240 T): the samples the iSTFT of the crop's frames reconstructs (x[240 (t0 − 1) + j])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch
from torch.utils.data import DataLoader, Dataset

from tmrvc_core import constants as K
from tmrvc_core.constants import FEATURE_FLOOR  # features = log(max(mag, FEATURE_FLOOR)), as the vocoder's floor
from tmrvc_train.trainers.runtime import step_seed

# RT60 (s), DRR (dB), tilt (dB/oct) of an unreverberant recording: shortest RT60, highest DRR, flat tilt.
DRY_ROOM = (K.RT60_RANGE_S[0], K.DRR_RANGE_DB[1], 0.0)


def dry_room_labels() -> np.ndarray:
    """(24,) room labels of a dry recording in the acoustic-parameter layout of tmrvc_data.acoustic (0–7 RT60,
    8–15 DRR, 16–23 tilt), the layout the augmentation labels and the acoustic estimator share."""
    from tmrvc_data.acoustic import pack_room

    n = K.N_IR_SUBBANDS
    return pack_room(*(np.full(n, v) for v in DRY_ROOM)).astype(np.float32)


@dataclass(frozen=True)
class DataSettings:
    cache: str
    split: str = "train"
    batch_size: int = 8
    segment_frames: int = 96
    ref_frames: int = 300
    with_audio: bool = True
    seed: int = 0
    augment_p: float = 0.0
    augment_from: int = 0


class CacheIndex:
    """The cache's index.jsonl filtered to one split (``"all"`` keeps everything); speakers sorted by name."""

    def __init__(self, cache: str | Path, split: str = "train") -> None:
        self.root = Path(cache)
        index = self.root / "index.jsonl"
        if not index.is_file():
            raise ValueError(f"feature cache: no index.jsonl in {self.root} (run tmrvc-build-cache)")
        rows = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
        self.records = [r for r in rows if split == "all" or r.get("split") == split]
        if not self.records:
            raise ValueError(f"feature cache {self.root}: no utterances in split {split!r}")
        self.speakers = sorted({r["speaker"] for r in self.records})
        self.by_speaker: dict[str, list[int]] = {}
        for i, r in enumerate(self.records):
            self.by_speaker.setdefault(r["speaker"], []).append(i)
        phones = self.root / "phones.json"
        self.n_phones = len(json.loads(phones.read_text())) if phones.is_file() else 0

    def load(self, kind: str, i: int) -> np.ndarray | None:
        p = self.root / kind / f"{self.records[i]['utt_id']}.npy"
        return np.load(p, mmap_mode="r") if p.is_file() else None


def features_from_mag(mag: np.ndarray | torch.Tensor) -> Any:
    """(513, T) linear magnitude → log(max(mag, FEATURE_FLOOR)), numpy or torch."""
    if isinstance(mag, torch.Tensor):
        return torch.log(mag.clamp(min=FEATURE_FLOOR))
    return np.log(np.maximum(np.asarray(mag, np.float32), FEATURE_FLOOR))


def f0_model_input(f0_hz: np.ndarray) -> np.ndarray:
    """(T,) F0 in Hz (0 = unvoiced) → log(f0 + 1), 0 where unvoiced (the content encoder's input)."""
    f0 = np.asarray(f0_hz, np.float32)
    return np.where(f0 > 0, np.log(f0 + 1.0), 0.0).astype(np.float32)


def _crop(a: np.ndarray, t0: int, n: int, fill: float) -> np.ndarray:
    """a (..., T) → (..., n) starting at t0, padded with ``fill`` past the end."""
    part = np.asarray(a[..., t0:t0 + n], np.float32)
    if part.shape[-1] < n:
        pad = [(0, 0)] * (part.ndim - 1) + [(0, n - part.shape[-1])]
        part = np.pad(part, pad, constant_values=fill)
    return part


def read_audio_crop(path: str, t0: int, n_frames: int) -> np.ndarray:
    """Samples [240 (t0 − 1), 240 (t0 − 1 + n_frames)) of a 24 kHz file, zeros outside it."""
    start = K.HOP_LENGTH * (t0 - 1)
    n = K.HOP_LENGTH * n_frames
    lo = max(start, 0)
    x, sr = sf.read(path, start=lo, stop=start + n, dtype="float32", always_2d=True)
    if sr != K.SAMPLE_RATE:
        raise ValueError(f"{path}: expected {K.SAMPLE_RATE} Hz, got {sr}")
    out = np.zeros(n, np.float32)
    x = x.mean(axis=1)
    out[lo - start:lo - start + len(x)] = x[: n - (lo - start)]
    return out


AUG_CONTEXT_HOPS = 3  # frames before the crop whose samples the first analysis window needs


def augmented_crop(path: str, t0: int, n_frames: int, voice_source: np.ndarray,
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Room / EQ / noise / gain augmentation (tmrvc_data.augment) of the crop's audio, features recomputed
    with tmrvc_core.dsp: mel (80, T), feats (513, T), wav (240 T), acoustic (32,) labels."""
    from tmrvc_core.dsp import log_mel, magnitude_phase
    from tmrvc_data.augment import AugmentConfig, augment

    ctx = AUG_CONTEXT_HOPS
    x = read_audio_crop(path, t0 - ctx + 1, n_frames + ctx)
    y, labels, _ = augment(x.astype(np.float64), rng, AugmentConfig(), voice_source=voice_source)
    mag, _ = magnitude_phase(y)
    mag = mag[:, ctx:ctx + n_frames]
    hop = K.HOP_LENGTH
    return {"mel": log_mel(mag).astype(np.float32), "feats": features_from_mag(mag),
            "wav": y[hop * (ctx - 1): hop * (ctx - 1 + n_frames)].astype(np.float32),
            "acoustic": labels.astype(np.float32)}


class StepBatches(Dataset):
    """Dataset whose item ``step`` is the whole batch of that step (use with ``batch_size=None``)."""

    def __init__(self, index: CacheIndex, cfg: DataSettings, rank: int = 0) -> None:
        self.index, self.cfg, self.rank = index, cfg, rank

    def __len__(self) -> int:
        return 2**62

    def _one(self, i: int, rng: np.random.Generator, aug_p: float) -> dict[str, np.ndarray]:
        idx, cfg, r = self.index, self.cfg, self.index.records[i]
        n, seg = int(r["n_frames"]), cfg.segment_frames
        t0 = int(rng.integers(0, max(n - seg, 0) + 1))
        log_floor = float(np.log(K.LOG_FLOOR))
        vs = idx.load("voice_source", i)
        vs = np.zeros(K.N_VOICE_SOURCE_PARAMS, np.float32) if vs is None else np.asarray(vs, np.float32)
        phones = idx.load("phones", i)
        item = {
            "mel": _crop(idx.load("mel", i), t0, seg, log_floor),
            "f0": _crop(f0_model_input(idx.load("f0", i)), t0, seg, 0.0)[None],
            "feats": _crop(features_from_mag(idx.load("mag", i)), t0, seg, float(np.log(FEATURE_FLOOR))),
            "phones": (_crop(phones, t0, seg, 0.0) if phones is not None else np.full(seg, -1.0)).astype(np.int64),
            "voice_source": vs, "acoustic": np.concatenate([dry_room_labels(), vs]).astype(np.float32),
            "speaker": np.int64(idx.speakers.index(r["speaker"])),
        }
        mates = idx.by_speaker[r["speaker"]]
        j = int(mates[int(rng.integers(0, len(mates)))]) if len(mates) > 1 else i
        ref = idx.load("mel", j)
        r0 = int(rng.integers(0, max(ref.shape[1] - cfg.ref_frames, 0) + 1))
        item["ref_mel"] = _crop(ref, r0, min(cfg.ref_frames, ref.shape[1]), log_floor)
        if aug_p > 0 and rng.random() < aug_p:
            item.update(augmented_crop(r["path"], t0, seg, vs, rng))
            if not cfg.with_audio:
                item.pop("wav")
        elif cfg.with_audio:
            item["wav"] = read_audio_crop(r["path"], t0, seg)
        return item

    def __getitem__(self, step: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng(step_seed(self.cfg.seed, int(step), self.rank, "data"))
        picks = rng.integers(0, len(self.index.records), size=self.cfg.batch_size)
        aug_p = self.cfg.augment_p if step >= self.cfg.augment_from else 0.0
        items = [self._one(int(i), rng, aug_p) for i in picks]
        ref_len = min(it["ref_mel"].shape[-1] for it in items)
        batch = {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0] if k != "ref_mel"}
        batch["ref_mel"] = torch.from_numpy(np.stack([it["ref_mel"][:, :ref_len] for it in items]))
        return batch


def make_loader(index: CacheIndex, cfg: DataSettings, start_step: int, steps: int, rank: int = 0,
                workers: int = 0) -> DataLoader:
    """Batches for steps start_step … steps − 1, loaded by ``workers`` processes (0 = in this process)."""
    return DataLoader(StepBatches(index, cfg, rank), batch_size=None, sampler=range(start_step, steps),
                      num_workers=workers, persistent_workers=False)


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}
