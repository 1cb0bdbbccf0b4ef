"""Copy-synthesis evaluation of the vocoder: ground-truth features in, waveform out, judged against the input.

For held-out utterances of a feature cache (split ``test`` by default) the script computes the engine's
analysis (``tmrvc_core.dsp.magnitude_phase``, float64), feeds features = log(max(|X|, feature_floor)) to the
PyTorch vocoder of a students checkpoint, synthesises with the engine's iSTFT + overlap-add
(``tmrvc_core.dsp.istft_ola``) and scores the result against the input (output sample j ↔ input j − 240)
with tmrvc_eval's metrics: MCD (DTW, dB), F0 correlation, RMS ratio and the HF tonal artefact index (the
input's own index is printed beside it as the reference).

Each vocoder is scored twice: with its own phase (``--vocoder-phase`` in the engine) and with the phase the
engine reconstructs from its magnitude (``tmrvc_core.dsp.phase``, the engine's default; rows marked
"engine phase"). Oracle rows bound what a vocoder can reach through this synthesis rule: ``oracle_phase`` (true
magnitude and phase: perfect reconstruction), ``engine_phase`` (true magnitude, the engine's reconstructed
phase), ``random_phase`` and ``zero_phase`` (true magnitude, no phase model).

    uv run python scripts/eval_copy_synthesis.py --students runs/demo/students.pt --cache data/demo/cache
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from tmrvc_core import constants as K
from tmrvc_core.dsp import istft_ola, magnitude_phase, resample
from tmrvc_core.dsp.phase import reconstruct_phase
from tmrvc_eval.metrics.f0 import compare_f0, f0_contour
from tmrvc_eval.metrics.level import rms_ratio, tonal_artefact_db
from tmrvc_eval.metrics.mcd import mcd_db
from tmrvc_train.trainers.data import features_from_mag

ORACLES = ("oracle_phase", "engine_phase", "random_phase", "zero_phase")
ENGINE_PHASE = " (engine phase)"


def held_out(cache: Path, split: str, n: int) -> list[dict]:
    """The first ``n`` records of ``split`` in the cache's index.jsonl, spread over its speakers."""
    rows = [json.loads(line) for line in (cache / "index.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if split == "all" or r.get("split") == split]
    if not rows:
        raise ValueError(f"{cache}: no utterances in split {split!r}")
    by_spk: dict[str, list[dict]] = {}
    for r in rows:
        by_spk.setdefault(r["speaker"], []).append(r)
    picked: list[dict] = []
    while len(picked) < min(n, len(rows)):
        for utts in by_spk.values():
            if utts and len(picked) < n:
                picked.append(utts.pop(0))
    return picked


def read_24k(path: str) -> np.ndarray:
    """Mono float64 at the model rate; (n,)."""
    x, sr = sf.read(path, dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    return resample(x, int(sr), K.SAMPLE_RATE) if sr != K.SAMPLE_RATE else x


@torch.no_grad()
def vocode(vocoder: torch.nn.Module, feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """feats (513, T) → (mag (513, T), phase (513, T)) from the PyTorch vocoder, whole sequence."""
    mag, phase = vocoder(torch.from_numpy(feats.astype(np.float32))[None])
    return mag[0].double().numpy(), phase[0].double().numpy()


def synthesise(variant: str, x: np.ndarray, vocoder: torch.nn.Module | None, rng: np.random.Generator
               ) -> np.ndarray:
    """x (n,) → the 24 kHz output stream (240 T,) of one variant (a vocoder or an oracle)."""
    mag, phase = magnitude_phase(x)
    if variant == "oracle_phase":
        return istft_ola(mag, phase)
    if variant == "engine_phase":
        return istft_ola(mag, reconstruct_phase(mag))
    if variant == "random_phase":
        return istft_ola(mag, rng.uniform(-np.pi, np.pi, mag.shape))
    if variant == "zero_phase":
        return istft_ola(mag, np.zeros_like(mag))
    assert vocoder is not None
    v_mag, v_phase = vocode(vocoder, features_from_mag(mag))
    return istft_ola(v_mag, reconstruct_phase(v_mag) if variant.endswith(ENGINE_PHASE) else v_phase)


def score(y: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """Output stream y (240 T,) against its input x (n,): aligned (y[j] ↔ x[j − 240]) metrics."""
    hop = K.HOP_LENGTH
    out = y[hop:]
    ref = x[:len(out)]
    sr = K.SAMPLE_RATE
    f0 = compare_f0(f0_contour(out, sr), f0_contour(ref, sr))
    return {"mcd_db": mcd_db(out, ref, sr), "f0_corr": f0.correlation, "vuv_error": f0.vuv_error,
            "rms_ratio": rms_ratio(out, ref), "hf_artefact_db": tonal_artefact_db(out, sr),
            "hf_artefact_ref_db": tonal_artefact_db(ref, sr)}


def evaluate(variant: str, utts: list[dict], vocoder: torch.nn.Module | None) -> dict[str, float]:
    """Mean of each metric over the utterances (NaN F0 correlations skipped)."""
    rng = np.random.default_rng(0)
    rows = [score(synthesise(variant, x, vocoder, rng), x) for x in (read_24k(u["path"]) for u in utts)]
    return {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}


def load_vocoder(path: Path) -> torch.nn.Module:
    from tmrvc_train.models import load_checkpoint

    students, _ = load_checkpoint(path)
    return students.vocoder.eval()


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=Path, action="append", default=[],
                   help="students checkpoint(s) whose vocoder is scored (repeatable)")
    p.add_argument("--cache", type=Path, required=True, help="feature cache folder (index.jsonl)")
    p.add_argument("--split", default="test")
    p.add_argument("--n", type=int, default=8, help="number of held-out utterances")
    p.add_argument("--oracles", action="store_true", help="also score the oracle rows")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    utts = held_out(a.cache, a.split, a.n)
    variants: list[tuple[str, torch.nn.Module | None]] = [(o, None) for o in ORACLES] if a.oracles else []
    for path in a.students:
        voc = load_vocoder(path)
        variants += [(str(path), voc), (str(path) + ENGINE_PHASE, voc)]
    if not variants:
        raise ValueError("nothing to score: pass --students and/or --oracles")
    results = {}
    print(f"{len(utts)} utterances of split {a.split!r}")
    print(f"{'variant':<48} {'MCD dB':>7} {'F0 corr':>8} {'V/UV':>6} {'RMS':>6} {'HF dB':>6} {'HF ref':>6} {'s':>5}")
    for name, voc in variants:
        t0 = time.perf_counter()
        r = evaluate(name, utts, voc)
        results[name] = r
        print(f"{name[-48:]:<48} {r['mcd_db']:7.2f} {r['f0_corr']:8.3f} {r['vuv_error']:6.3f} "
              f"{r['rms_ratio']:6.3f} {r['hf_artefact_db']:6.2f} {r['hf_artefact_ref_db']:6.2f} "
              f"{time.perf_counter() - t0:5.1f}", flush=True)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
