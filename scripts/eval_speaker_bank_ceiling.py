#!/usr/bin/env python3
"""The offline ceiling of a speaker-bank converter (issue 18, step 3): for every source frame, the enrolled
target's k frames of nearest content (cosine over a bank of the target's enrolment frames), their WORLD
spectral envelopes averaged (log domain) and aperiodicities averaged, vocoded by WORLD at the source's F0 moved
into the target's range; scored by tmrvc-eval against the three brackets (identity, ground truth, another voice)
on held-out sentences of held-out voices.

Content features: `phones` (oracle: the synthesiser's phone labels with +-50 ms context, an upper bound of what
any content encoder could give) and `encoder` (the trained content encoder's phone posteriors, square-rooted so
the cosine is the Bhattacharyya coefficient; needs --students). A `world_copy` row resynthesises the ground
truth through the same WORLD analysis, the vocoder's own ceiling.

    uv run python scripts/eval_speaker_bank_ceiling.py --corpus data/real --pairs fest_ked:fest_slt \
        cs_machac:cs_dita esp_m2:esp_f1 --students runs/students.pt --out eval-bank
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from tmrvc_core import constants as K
from tmrvc_core.dsp import resample
from tmrvc_data.audio_io import read_mono
from tmrvc_eval.cli import EvalConfig
from tmrvc_eval.cli import main as run_eval
from tmrvc_eval.speaker_bank import knn_average

HOP_S = K.HOP_LENGTH / K.SAMPLE_RATE
CONTEXT_FRAMES = 5
GAP_KEYS = ("speaker_similarity_converted_to_target", "mcd_db")


def _pyworld():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyworld
    return pyworld


class Corpus:
    """A tmrvc-make-corpus folder: wavs, phone timings, splits, texts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.splits = json.loads((root / "splits.json").read_text())
        self.utts = {(u["speaker"], u["sentence"]): u for u in
                     (json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines() if line)}
        inv: set[str] = set()
        for u in self.utts.values():
            d = json.loads((root / u["extra"]["phones"]).read_text())
            inv.update(f"{d['phone_set']}:{p}" for p, _, _ in d["phones"])
        self.inventory = {p: i + 1 for i, p in enumerate(sorted(inv))}  # 0 = no phone

    def audio24(self, voice: str, sent: str) -> np.ndarray:
        x, sr = read_mono(self.root / self.utts[(voice, sent)]["path"])
        return resample(np.asarray(x, np.float64), sr, K.SAMPLE_RATE) if sr != K.SAMPLE_RATE else x

    def phone_ids(self, voice: str, sent: str, n_frames: int) -> np.ndarray:
        d = json.loads((self.root / self.utts[(voice, sent)]["extra"]["phones"]).read_text())
        ids = np.zeros(n_frames, np.int64)
        t = np.arange(n_frames) * HOP_S
        for p, a, b in d["phones"]:
            ids[(t >= a) & (t < b)] = self.inventory[f"{d['phone_set']}:{p}"]
        return ids

    def sentences(self, voice: str, part: str) -> list[str]:
        return [s for s in self.splits["sentences"][part] if (voice, s) in self.utts]


def world(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x at 24 kHz → WORLD f0 (T,), log envelope (T, 513), aperiodicity (T, 513) at 10 ms frames."""
    pw = _pyworld()
    xd = np.ascontiguousarray(x, np.float64)
    f0, t = pw.dio(xd, K.SAMPLE_RATE, frame_period=HOP_S * 1000)
    f0 = pw.stonemask(xd, f0, t, K.SAMPLE_RATE)
    sp = pw.cheaptrick(xd, f0, t, K.SAMPLE_RATE, fft_size=K.N_FFT)
    ap = pw.d4c(xd, f0, t, K.SAMPLE_RATE, fft_size=K.N_FFT)
    return f0, np.log(np.maximum(sp, 1e-20)), ap


def vocode(f0: np.ndarray, log_sp: np.ndarray, ap: np.ndarray) -> np.ndarray:
    pw = _pyworld()
    return pw.synthesize(np.ascontiguousarray(f0), np.ascontiguousarray(np.exp(log_sp)),
                         np.ascontiguousarray(np.clip(ap, 0, 1)), K.SAMPLE_RATE, frame_period=HOP_S * 1000)


class EncoderFeatures:
    """The trained content encoder's phone posteriors per 10 ms hop, aligned to WORLD frames."""

    def __init__(self, students: Path) -> None:
        import torch

        from tmrvc_train.models import load_checkpoint

        self.torch = torch
        self.enc = load_checkpoint(students)[0].content_encoder.eval()
        if not self.enc.cfg.posterior_classes:
            raise ValueError(f"{students}: the content encoder has free features; this script reads posteriors")

    def __call__(self, x: np.ndarray, n_frames: int) -> np.ndarray:
        from tmrvc_core.dsp import f0_track, log_mel, magnitude_phase
        from tmrvc_train.trainers.data import f0_model_input

        torch = self.torch
        mag, _ = magnitude_phase(x)
        mel = torch.from_numpy(log_mel(mag).astype(np.float32))[None]
        f0 = torch.from_numpy(f0_model_input(f0_track(x)))[None, None].float()
        with torch.inference_mode():
            logits = self.enc(mel, f0, phone_logits=True)[0].T.numpy()  # (Tc, C)
        post = np.exp(logits - logits.max(axis=1, keepdims=True))
        post = np.sqrt(post / post.sum(axis=1, keepdims=True))
        # causal frame t ends at sample 240 (t + 1): it describes WORLD frame t + 1 best
        out = np.zeros((n_frames, post.shape[1]))
        m = min(len(post), n_frames - 1)
        out[1:m + 1], out[0] = post[:m], post[0]
        out[m + 1:] = post[m - 1]
        return out


def oracle_features(ids: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot phone plus half-weighted one-hots CONTEXT_FRAMES before and after (T, 3 n_classes)."""
    eye = np.eye(n_classes + 1)
    prev = np.concatenate([np.zeros(CONTEXT_FRAMES, np.int64), ids[:-CONTEXT_FRAMES]])
    nxt = np.concatenate([ids[CONTEXT_FRAMES:], np.zeros(CONTEXT_FRAMES, np.int64)])
    return np.concatenate([eye[ids], 0.5 * eye[prev], 0.5 * eye[nxt]], axis=1)


def mean_log_f0(f0s: list[np.ndarray]) -> float:
    v = np.concatenate([f[f > 0] for f in f0s])
    return float(np.mean(np.log(v)))


def convert_pair(corpus: Corpus, src: str, tgt: str, features: dict, bank_seconds: list[float], k: int,
                 out: Path) -> dict[str, Path]:
    """Write one converted folder per (feature kind, bank size) plus world_copy. Returns {variant: folder}."""
    bank_sents = corpus.sentences(tgt, "train") + corpus.sentences(tgt, "val")
    bank = []  # (feats by kind, log_sp, ap, f0)
    for s in bank_sents:
        x = corpus.audio24(tgt, s)
        f0, lsp, ap = world(x)
        ids = corpus.phone_ids(tgt, s, len(f0))
        bank.append(({name: fn(x, ids) for name, fn in features.items()}, lsp, ap, f0))
    tgt_logf0 = mean_log_f0([b[3] for b in bank])
    test = [s for s in corpus.sentences(src, "test") if (tgt, s) in corpus.utts]
    src_world = {s: world(corpus.audio24(src, s)) for s in test}
    shift = tgt_logf0 - mean_log_f0([w[0] for w in src_world.values()])
    folders: dict[str, Path] = {}
    for name in features:
        for secs in bank_seconds:
            frames = int(secs / HOP_S) if secs > 0 else 10 ** 9
            keys, lsps, aps = [], [], []
            for feats, lsp, ap, _ in bank:
                keys.append(feats[name]), lsps.append(lsp), aps.append(ap)
            keys_a, lsp_a, ap_a = (np.concatenate(a)[:frames] for a in (keys, lsps, aps))
            variant = f"{name}_bank_{'all' if secs <= 0 else f'{secs:g}s'}"
            folder = out / variant
            for s in test:
                x = corpus.audio24(src, s)
                f0, _, _ = src_world[s]
                q = features[name](x, corpus.phone_ids(src, s, len(f0)))
                vals = knn_average(q, keys_a, np.concatenate([lsp_a, ap_a], axis=1), k)
                y = vocode(np.where(f0 > 0, f0 * np.exp(shift), 0.0), vals[:, :lsp_a.shape[1]],
                           vals[:, lsp_a.shape[1]:])
                _write(folder / f"{s}.wav", y, level_of=x)
            folders[variant] = folder
            print(f"[bank] {src} -> {tgt}: {variant} ({len(keys_a)} bank frames, {len(test)} sentences)", flush=True)
    for s in test:
        x = corpus.audio24(tgt, s)
        _write(out / "world_copy" / f"{s}.wav", vocode(*world(x)), level_of=x)
    folders["world_copy"] = out / "world_copy"
    return folders


def _write(path: Path, y: np.ndarray, level_of: np.ndarray | None = None) -> None:
    """Write at 24 kHz; with `level_of`, at that signal's RMS (what the engine's level match does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if level_of is not None:
        y = y * np.sqrt(np.mean(level_of ** 2) / max(np.mean(y ** 2), 1e-20))
    sf.write(path, np.clip(y, -1, 1).astype(np.float32), K.SAMPLE_RATE, subtype="FLOAT")


def brackets(corpus: Corpus, src: str, tgt: str, other: str, out: Path) -> tuple[dict[str, Path], EvalConfig]:
    """Source / ground truth / other voice / target references laid out by sentence name."""
    test = [s for s in corpus.sentences(src, "test") if (tgt, s) in corpus.utts and (other, s) in corpus.utts]
    texts = {}
    for s in test:
        for voice, folder in ((src, "source"), (tgt, "ground_truth"), (other, "other_voice")):
            _write(out / "data" / folder / f"{s}.wav", corpus.audio24(voice, s))
        texts[s] = corpus.utts[(src, s)]["text"]
    for s in corpus.sentences(tgt, "train")[:5]:
        _write(out / "data" / "target_ref" / f"{s}.wav", corpus.audio24(tgt, s))
    english = corpus.utts[(src, test[0])].get("language", "en") == "en"
    (out / "data" / "transcripts.json").write_text(json.dumps(texts))
    d = out / "data"
    cfg = EvalConfig(source=str(d / "source"), target_ref=str(d / "target_ref"), ground_truth=str(d / "ground_truth"),
                     transcripts=str(d / "transcripts.json"), f0_align="dtw", wer=english, progress=False)
    return {"identity": d / "source", "ground_truth": d / "ground_truth", "other_voice": d / "other_voice"}, cfg


def gap(results: dict, key: str, variant: str) -> float | None:
    a, b, v = (results[n].get(key) for n in ("identity", "ground_truth", variant))
    return None if None in (a, b, v) or abs(b - a) < 1e-9 else (v - a) / (b - a)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--pairs", nargs="+", required=True, help="source:target[:other] voice names")
    p.add_argument("--students", type=Path, help="students checkpoint for the `encoder` features")
    p.add_argument("--bank-seconds", type=float, nargs="+", default=[10.0, 30.0, 0.0], help="0 = all enrolment")
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--out", type=Path, default=Path("eval-bank"))
    a = p.parse_args(argv)
    corpus = Corpus(a.corpus)
    n_cls = len(corpus.inventory)
    features = {"phones": lambda x, ids: oracle_features(ids, n_cls)}
    if a.students:
        enc = EncoderFeatures(a.students)
        features["encoder"] = lambda x, ids: enc(x, len(ids))
    table = {}
    for pair in a.pairs:
        parts = pair.split(":")
        src, tgt = parts[0], parts[1]
        other = parts[2] if len(parts) > 2 else next(v for v in corpus.splits["voices"]["train"]
                                                     if (v, corpus.sentences(src, "test")[0]) in corpus.utts)
        out = a.out / f"{src}_to_{tgt}"
        base, cfg = brackets(corpus, src, tgt, other, out)
        systems = convert_pair(corpus, src, tgt, features, a.bank_seconds, a.k, out)
        results = {name: run_eval(replace(cfg, converted=str(d), out=str(out / "eval" / name)))["summary"]
                   for name, d in {**base, **systems}.items()}
        table[pair] = {"other": other, "results": results,
                       "gap": {v: {m: gap(results, m, v) for m in GAP_KEYS} for v in results}}
        (a.out / "ceiling.json").write_text(json.dumps(table, indent=1, default=float))
        _print(pair, results, table[pair]["gap"])
    return 0


def _print(pair: str, results: dict, gaps: dict) -> None:
    keys = ("speaker_similarity_converted_to_target", "mcd_db", "f0_correlation", "vuv_error",
            "loudness_rms_ratio_mean", "artefact_index_converted_db", "wer_converted")
    names = ("spk sim", "MCD", "F0 corr", "V/UV", "RMS", "HF dB", "WER")
    print(f"\n### {pair}\n| variant | " + " | ".join(names) + " | spk gap | MCD gap |")
    print("|---|" + "---|" * (len(keys) + 2))
    for v, r in results.items():
        cells = ["n/a" if r.get(k) is None else f"{r[k]:.3f}" for k in keys]
        g = ["n/a" if gaps[v][m] is None else f"{gaps[v][m]:+.2f}" for m in GAP_KEYS]
        print(f"| {v} | " + " | ".join(cells + g) + " |")


if __name__ == "__main__":
    sys.exit(main())
