"""`tmrvc-enroll --zero-shot --models DIR --out NAME.tmrvc_speaker audio…`: zero-shot enrolment without PyTorch.

Audio (any rate, 3–20 utterances or at least 10 s) → 24 kHz (tmrvc_core.dsp.resample) → log-mel and YIN F0
(tmrvc_core.dsp) → the folder's speaker_encoder.onnx on each utterance's first SPEAKER_MAX_SECONDS (ONNX Runtime) →
mean embedding (L2-normalised) and mean zero-shot lora_delta → F0 statistics → the speaker bank (enroll_bank.py,
when the models have one) → `.tmrvc_speaker` (v3 with a bank, v2 without). No fine-tuning:
this is what the plugin does inside the DAW (the C++ twin is tmrvc-engine's zero_shot_enroller.cpp; a parity test
holds the two together). This module must not import torch (a test checks it).
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
import soundfile as sf

from tmrvc_core import constants as K
from tmrvc_core.dsp import f0_track, log_mel, magnitude_phase, resample
from tmrvc_core.speaker_file import SpeakerFile, write_speaker_file
from tmrvc_train.enroll_bank import with_bank

MIN_UTTERANCES, MAX_UTTERANCES, MIN_TOTAL_SECONDS = K.ENROL_MIN_UTTERANCES, K.ENROL_MAX_UTTERANCES, \
    K.ENROL_MIN_TOTAL_SECONDS


@dataclass(frozen=True)
class ZeroShotConfig:
    models: Path
    out: Path
    audio: tuple[Path, ...]
    name: str = ""
    threads: int = 1
    bank: bool = True


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """A file (WAV/FLAC/AIFF… through libsndfile) as float64 mono, multichannel averaged."""
    x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    return x.mean(axis=1), int(sr)


def model_id(models: Path) -> str:
    meta_path = Path(models) / "metadata.json"
    if not meta_path.is_file():
        raise ValueError(f"--models: no metadata.json in {models} (expected an exported model folder)")
    return str(json.loads(meta_path.read_text())["model_id"])


def enrol_clips(models: Path, clips: Sequence[tuple[np.ndarray, int]], name: str, created_at: str = "",
                threads: int = 1, use_bank: bool = True) -> SpeakerFile:
    """Clips [(mono samples, rate)] → SpeakerFile (zero-shot), with a speaker bank when the models have one and
    ``use_bank``. Raises ValueError with what to fix."""
    import onnxruntime as ort

    mid = model_id(models)
    enc_path = Path(models) / "speaker_encoder.onnx"
    if not enc_path.is_file():
        raise ValueError(f"{models} has no speaker_encoder.onnx (export the folder with it)")
    audio = [np.asarray(x, np.float64) if sr == K.SAMPLE_RATE else resample(np.asarray(x, np.float64), sr,
                                                                               K.SAMPLE_RATE) for x, sr in clips]
    total = sum(len(x) for x in audio) / K.SAMPLE_RATE
    n = len(audio)
    if n > MAX_UTTERANCES or (n < MIN_UTTERANCES and total < MIN_TOTAL_SECONDS):
        raise ValueError(f"enrolment: expected {MIN_UTTERANCES}–{MAX_UTTERANCES} utterances or at least "
                         f"{MIN_TOTAL_SECONDS:.0f} s of audio, got {n} utterances, {total:.1f} s")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    session = ort.InferenceSession(str(enc_path), opts, providers=["CPUExecutionProvider"])
    max_frames = int(K.SPEAKER_MAX_SECONDS * K.SAMPLE_RATE / K.HOP_LENGTH)
    embs, loras, log_f0, analyses, frames = [], [], [], [], 0
    for x in audio:
        if len(x) < K.HOP_LENGTH:
            raise ValueError("enrolment: a clip is shorter than one hop (10 ms)")
        mag, _ = magnitude_phase(x)
        frames += mag.shape[1]
        mel = log_mel(mag[:, :max_frames]).astype(np.float32)[None]
        emb, lora = session.run(["spk_embed", "lora_delta"], {"mel_ref": mel})
        embs.append(emb[0].astype(np.float64))
        loras.append(lora[0].astype(np.float64))
        f0 = f0_track(x)
        log_f0.append(np.log(f0[f0 > 0]))
        analyses.append((mag, f0))
    voiced = np.concatenate(log_f0)
    if voiced.size == 0:
        raise ValueError("enrolment audio holds no voiced frames (no F0 found)")
    emb = np.mean(embs, axis=0)
    emb = emb / max(float(np.linalg.norm(emb)), 1e-12)
    meta = {"name": name, "created_at": created_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model_id": mid, "n_utterances": n, "total_seconds": float(frames * K.HOP_LENGTH / K.SAMPLE_RATE),
            "f0_log_mean": float(voiced.mean()), "f0_log_std": float(voiced.std()),
            "enrolment": {"mode": "zero-shot", "steps": 0}}
    speaker = SpeakerFile(emb.astype(np.float32), np.mean(loras, axis=0).astype(np.float32), meta)
    return with_bank(speaker, models, analyses, threads) if use_bank else speaker


def main(cfg: ZeroShotConfig) -> SpeakerFile:
    clips = [read_mono(Path(p)) for p in cfg.audio]
    speaker = enrol_clips(cfg.models, clips, cfg.name or Path(cfg.out).stem, threads=cfg.threads, use_bank=cfg.bank)
    Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
    write_speaker_file(cfg.out, speaker)
    m = speaker.metadata
    bank = f"speaker bank of {m['bank_frames']} frames" if "bank_frames" in m else "no speaker bank"
    print(f"[tmrvc-enroll] zero-shot: {m['n_utterances']} utterances, {m['total_seconds']:.1f} s, {bank}; "
          f"wrote {cfg.out}")
    return speaker


def parse_args(argv: Sequence[str] | None = None) -> ZeroShotConfig:
    p = argparse.ArgumentParser(prog="tmrvc-enroll --zero-shot", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--zero-shot", action="store_true", help="(this mode; accepted so the flag can stay in place)")
    p.add_argument("--models", type=Path, required=True, help="exported model folder with speaker_encoder.onnx")
    p.add_argument("--out", type=Path, required=True, help="NAME.tmrvc_speaker to write")
    p.add_argument("audio", type=Path, nargs="+")
    p.add_argument("--name", default="")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-bank", action="store_true", help="leave the speaker bank out (the converter's network "
                   "envelopes only, as before issue 18)")
    a = p.parse_args(argv)
    return ZeroShotConfig(a.models, a.out, tuple(a.audio), a.name, a.threads, not a.no_bank)


def cli(argv: Sequence[str] | None = None) -> int:
    try:
        main(parse_args(argv))
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"tmrvc-enroll: error: {exc}", file=sys.stderr)
        return 1
    return 0
