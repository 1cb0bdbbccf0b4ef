"""`tmrvc-enroll --models DIR --out NAME.tmrvc_speaker audio…`: few-shot enrolment of a target voice.

3–20 utterances (or at least 10 s) → speaker-encoder embedding (mean, L2-normalised) and zero-shot LoRA delta →
LoRA on the converter's FiLM projections fine-tuned for ``steps`` steps on those utterances (reconstruction,
everything else frozen) → F0 statistics → optional voice-source preset → `.tmrvc_speaker` v2 tied to the
folder's converter (``model_id``). DIR is an exported model folder; its students checkpoint is taken from
metadata.json (``training.checkpoint``) unless ``--checkpoint`` names one.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tmrvc_core import constants as K
from tmrvc_core.dsp import f0_track, log_mel, magnitude_phase, resample
from tmrvc_core.speaker_file import SpeakerFile, write_speaker_file
from tmrvc_data.audio_io import read_mono
from tmrvc_data.voice_source import voice_source_targets
from tmrvc_train.enroll_bank import with_bank
from tmrvc_train.distill.timbre_warp import content_input
from tmrvc_train.losses import FeaturesToMel
from tmrvc_train.models import ConverterLoRA, StudentModels, load_checkpoint, unpack_lora_delta
from tmrvc_train.trainers.data import f0_model_input, features_from_mag
from tmrvc_train.trainers.runtime import step_seed

MIN_UTTERANCES, MAX_UTTERANCES, MIN_TOTAL_SECONDS = K.ENROL_MIN_UTTERANCES, K.ENROL_MAX_UTTERANCES, \
    K.ENROL_MIN_TOTAL_SECONDS


@dataclass(frozen=True)
class EnrollConfig:
    models: Path
    out: Path
    audio: tuple[Path, ...]
    checkpoint: Path | None = None
    name: str = ""
    steps: int = 300
    lr: float = 3e-3
    segment_frames: int = 96
    batch_size: int = 4
    reg_weight: float = 1e-3
    content_warp: float = 0.0  # as tmrvc-distill's: warp what the content encoder hears (distill/timbre_warp.py)
    voice_source_preset: bool = False
    seed: int = 0
    threads: int = 0
    bank: bool = True  # write the speaker bank (docs/speaker-bank.md) when the models have one


@dataclass
class Utt:
    """One enrolment utterance: mel (80, T), f0_in (1, T), feats (513, T), f0_hz (T,), mag (513, T)."""

    mel: torch.Tensor
    f0_in: torch.Tensor
    feats: torch.Tensor
    f0_hz: np.ndarray
    mag: np.ndarray


def load_utterances(paths: Sequence[Path]) -> list[Utt]:
    """Read, resample to 24 kHz and analyse the enrolment audio; checks the 3–20 utterances / ≥ 10 s rule."""
    utts, total = [], 0.0
    for p in paths:
        x, sr = read_mono(Path(p))
        x24 = np.asarray(x, np.float64)
        if sr != K.SAMPLE_RATE:
            x24 = resample(x24, sr, K.SAMPLE_RATE)
        total += len(x24) / K.SAMPLE_RATE
        mag, _ = magnitude_phase(x24)
        f0 = f0_track(x24)
        utts.append(Utt(torch.from_numpy(log_mel(mag).astype(np.float32)), torch.from_numpy(f0_model_input(f0))[None],
                        torch.from_numpy(features_from_mag(mag)), f0, mag))
    n = len(utts)
    if n > MAX_UTTERANCES or (n < MIN_UTTERANCES and total < MIN_TOTAL_SECONDS):
        raise ValueError(f"enrolment: expected {MIN_UTTERANCES}–{MAX_UTTERANCES} utterances or at least "
                         f"{MIN_TOTAL_SECONDS:.0f} s of audio, got {n} utterances, {total:.1f} s")
    return utts


def resolve_checkpoint(cfg: EnrollConfig) -> tuple[Path, str]:
    """→ (students checkpoint, model_id of the folder's converter)."""
    meta_path = Path(cfg.models) / "metadata.json"
    if not meta_path.is_file():
        raise ValueError(f"--models: no metadata.json in {cfg.models} (expected an exported model folder)")
    meta = json.loads(meta_path.read_text())
    ckpt = cfg.checkpoint or meta.get("training", {}).get("checkpoint")
    if not ckpt:
        raise ValueError(f"{meta_path} names no students checkpoint (training.checkpoint); pass --checkpoint")
    return Path(ckpt), str(meta["model_id"])


def check_film_matches(students: StudentModels, model_dir: Path) -> None:
    """The checkpoint's LoRA'd FiLM weights must equal the folder's converter_film.bin (same converter)."""
    meta = json.loads((model_dir / "metadata.json").read_text())
    base = np.fromfile(model_dir / meta["film_weights"]["file"], dtype="<f4")
    for layer in meta["film_weights"]["layers"]:
        idx = int(layer["name"].split(".")[1])
        w = students.converter.film[idx].weight.detach().numpy().reshape(-1)
        off = int(layer["offset_bytes"]) // 4
        if base[off:off + w.size].shape != w.shape or not np.array_equal(base[off:off + w.size], w):
            raise ValueError(f"checkpoint converter does not match the model folder {model_dir} ({layer['name']})")


@torch.no_grad()
def speaker_embedding(students: StudentModels, utts: list[Utt]) -> tuple[torch.Tensor, torch.Tensor]:
    """→ (spk_embed (192,) L2-normalised mean, zero-shot lora_delta (R,) mean) over utterances (≤ 15 s each)."""
    max_frames = int(K.SPEAKER_MAX_SECONDS * K.SAMPLE_RATE / K.HOP_LENGTH)
    embs, loras = zip(*(students.speaker_encoder(u.mel[None, :, :max_frames]) for u in utts))
    return F.normalize(torch.cat(embs).mean(0), dim=0), torch.cat(loras).mean(0)


def lora_from_delta(students: StudentModels, delta: torch.Tensor) -> ConverterLoRA:
    lora = ConverterLoRA(students.converter.cfg)
    with torch.no_grad():
        for i, (a, b) in enumerate(unpack_lora_delta(students.converter.cfg, delta)):
            lora.a[i].copy_(a)
            lora.b[i].copy_(b)
    return lora


def _batch(utts: list[Utt], rng: np.random.Generator, cfg: EnrollConfig) -> tuple[torch.Tensor, ...]:
    mel, f0, feats = [], [], []
    for _ in range(cfg.batch_size):
        u = utts[int(rng.integers(0, len(utts)))]
        seg = min(cfg.segment_frames, u.mel.shape[1])
        t0 = int(rng.integers(0, u.mel.shape[1] - seg + 1))
        mel.append(u.mel[:, t0:t0 + seg]), f0.append(u.f0_in[:, t0:t0 + seg]), feats.append(u.feats[:, t0:t0 + seg])
    n = min(m.shape[1] for m in mel)
    return tuple(torch.stack([t[:, :n] for t in group]) for group in (mel, f0, feats))


def finetune_lora(students: StudentModels, utts: list[Utt], emb: torch.Tensor, lora: ConverterLoRA,
                  cfg: EnrollConfig) -> tuple[torch.Tensor, list[float]]:
    """LoRA-only reconstruction fine-tuning → (lora_delta (R,), loss curve)."""
    to_mel, init = FeaturesToMel(), lora.delta().detach().clone()
    opt = torch.optim.Adam(lora.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(step_seed(cfg.seed, 0, 0, "enroll"))
    curve = []
    for _ in range(cfg.steps):
        mel, f0, feats = _batch(utts, rng, cfg)
        with torch.no_grad():
            gen = torch.Generator().manual_seed(int(rng.integers(0, 2 ** 31))) if cfg.content_warp > 0.0 else None
            content = students.content_encoder(content_input(mel, cfg.content_warp, gen), f0)
            acoustic = students.ir_estimator(mel).mean(dim=2)
        delta = lora.delta()
        pred = students.converter(content, emb.expand(mel.shape[0], -1), acoustic, lora_delta=delta)
        loss = F.l1_loss(pred, feats) + F.l1_loss(to_mel(pred), to_mel(feats))
        loss = loss + cfg.reg_weight * (delta - init).pow(2).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        curve.append(float(loss.detach()))
    return lora.delta().detach(), curve


def main(cfg: EnrollConfig) -> SpeakerFile:
    if cfg.steps < 0 or cfg.batch_size < 1:
        raise ValueError(f"enrolment: expected steps >= 0 and batch_size >= 1, got {cfg.steps}, {cfg.batch_size}")
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    ckpt, model_id = resolve_checkpoint(cfg)
    students, _ = load_checkpoint(ckpt)
    check_film_matches(students, Path(cfg.models))
    for _, m in students.items():
        m.requires_grad_(False)
    utts = load_utterances(cfg.audio)
    emb, zero_shot = speaker_embedding(students, utts)
    torch.manual_seed(cfg.seed)
    delta, curve = finetune_lora(students, utts, emb[None], lora_from_delta(students, zero_shot), cfg)
    voiced = np.concatenate([np.log(u.f0_hz[u.f0_hz > 0]) for u in utts])
    if voiced.size == 0:
        raise ValueError("enrolment audio holds no voiced frames (no F0 found)")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = {"name": cfg.name or Path(cfg.out).stem, "created_at": now, "model_id": model_id, "n_utterances": len(utts),
            "total_seconds": float(sum(u.mel.shape[1] for u in utts) * K.HOP_LENGTH / K.SAMPLE_RATE),
            "f0_log_mean": float(voiced.mean()), "f0_log_std": float(voiced.std()),
            "enrolment": {"steps": cfg.steps, "loss_first": curve[0] if curve else None,
                          "loss_last": curve[-1] if curve else None}}
    if cfg.voice_source_preset:
        vs = np.mean([voice_source_targets(u.mag, u.f0_hz) for u in utts], axis=0)
        meta["voice_source_preset"] = [float(v) for v in vs]
    speaker = SpeakerFile(emb.numpy().astype(np.float32), delta.numpy().astype(np.float32), meta)
    if cfg.bank:
        speaker = with_bank(speaker, Path(cfg.models), [(u.mag, u.f0_hz) for u in utts], max(cfg.threads, 1))
    Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
    write_speaker_file(cfg.out, speaker)
    trend = f"LoRA loss {curve[0]:.3f} -> {curve[-1]:.3f}" if curve else "zero-shot LoRA (no fine-tuning)"
    print(f"[tmrvc-enroll] {len(utts)} utterances, {meta['total_seconds']:.1f} s; {trend}; wrote {cfg.out}")
    return speaker


def parse_args(argv: Sequence[str] | None = None) -> EnrollConfig:
    p = argparse.ArgumentParser(prog="tmrvc-enroll", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", type=Path, required=True, help="exported model folder")
    p.add_argument("--out", type=Path, required=True, help="NAME.tmrvc_speaker to write")
    p.add_argument("audio", type=Path, nargs="+")
    d = EnrollConfig(Path(), Path(), ())
    p.add_argument("--checkpoint", type=Path, default=None)
    p.add_argument("--name", default="")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--content-warp", type=float, default=d.content_warp,
                   help="warp what the content encoder hears by up to ±this (0 = off), so the LoRA learns the timbre")
    p.add_argument("--voice-source-preset", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--no-bank", action="store_true", help="leave the speaker bank out (network envelopes only)")
    a = p.parse_args(argv)
    return EnrollConfig(a.models, a.out, tuple(a.audio), a.checkpoint, a.name, a.steps, a.lr,
                        content_warp=a.content_warp, voice_source_preset=a.voice_source_preset, seed=a.seed,
                        threads=a.threads, bank=not a.no_bank)


def cli(argv: Sequence[str] | None = None) -> int:
    try:
        main(parse_args(argv))
    except ValueError as exc:
        print(f"tmrvc-enroll: error: {exc}", file=sys.stderr)
        return 1
    return 0
