"""A tiny feature cache for the training tests, built in seconds without a synthesiser: 3 'speakers' of
harmonic vowel-like signals (own F0 and formants) × 3 'sentences' of 4 phone segments each, written as
24 kHz WAVs with phone timings, then run through the real `tmrvc-build-cache`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tmrvc_core import constants as K
from tmrvc_data.audio_io import write_wav
from tmrvc_data.cache import CacheConfig
from tmrvc_data.cache import main as build_cache
from tmrvc_data.manifest import Utterance, write_manifest

SPEAKERS = {"spk_a": (110.0, 1.0), "spk_b": (170.0, 1.15), "spk_c": (230.0, 1.3)}
VOWELS = {"a": (730, 1090), "i": (270, 2290), "u": (300, 870), "e": (530, 1840)}
SENTENCES = {"s0": "aiue", "s1": "uaei", "s2": "eiau"}


def _vowel(f0: float, formants: tuple[float, float], scale: float, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / K.SAMPLE_RATE
    f = f0 * (1 + 0.03 * np.sin(2 * np.pi * 4 * t))
    ph = 2 * np.pi * np.cumsum(f) / K.SAMPLE_RATE
    x = np.zeros(n)
    for k in range(1, int(6000 / f0)):
        amp = sum(1.0 / (1 + ((k * f0 - fm * scale) / 120.0) ** 2) for fm in formants) + 0.02
        x += amp * np.sin(k * ph) / k
    return 0.05 * x / np.abs(x).max() + 0.001 * rng.standard_normal(n)


def make_tiny_cache(root: Path) -> Path:
    """Write wavs/, phones/, manifest.jsonl under root and build root/cache; returns the cache folder."""
    rng = np.random.default_rng(0)
    utts = []
    seg = int(0.25 * K.SAMPLE_RATE)
    for spk, (f0, scale) in SPEAKERS.items():
        for sent, vowels in SENTENCES.items():
            parts = [_vowel(f0, VOWELS[v], scale, seg, rng) for v in vowels]
            x = np.concatenate([np.zeros(K.HOP_LENGTH * 4), *parts, np.zeros(K.HOP_LENGTH * 4)])
            uid = f"{spk}__{sent}"
            write_wav(root / "wavs" / f"{uid}.wav", x, K.SAMPLE_RATE)
            start = 4 * K.HOP_LENGTH / K.SAMPLE_RATE
            phones = [[v, start + i * 0.25, start + (i + 1) * 0.25] for i, v in enumerate(vowels)]
            (root / "phones").mkdir(parents=True, exist_ok=True)
            (root / "phones" / f"{uid}.json").write_text(json.dumps({"phone_set": "toy", "phones": phones}))
            utts.append(Utterance(utt_id=uid, path=f"wavs/{uid}.wav", speaker=spk, duration=len(x) / K.SAMPLE_RATE,
                                  split="train", sentence=sent, extra={"phones": f"phones/{uid}.json"}))
    write_manifest(root / "manifest.jsonl", utts)
    out = root / "cache"
    build_cache(CacheConfig(manifest=str(root / "manifest.jsonl"), out=str(out), workers=1, progress=False))
    return out


def stream_frames(model, x, state):
    """Run ``model.forward_streaming`` one frame at a time over x (B, C, T); returns the per-frame first outputs
    concatenated along time (B, C', T)."""
    import torch

    outs = []
    for t in range(x.shape[-1]):
        out, *_, state = model.forward_streaming(x[..., t:t + 1], state)
        outs.append(out)
    return torch.cat(outs, -1)
