#!/usr/bin/env python3
"""Gate on vs gate off on trained models (issue 19: "speech unchanged, tmrvc-eval scores within 0.01"): pairs of the
source voice's held-out sentences joined by a pause holding real breaths (tmrvc_eval.gate_speech), at 48 kHz,
converted by tmrvc-convert (q 0, auto pitch match) with the gate off and at --gate dBFS, the reported latency
removed; tmrvc-eval scores both over whole utterances (WER left out: the recogniser is the slowest judge) and on
the source's speech intervals (`speech_only`),
against the target's parallel sentences (MCD) and its training sentences (speaker judge). Prints every score,
the differences and which are outside their tolerance, and the output energy in the non-speech stretches.

    uv run python scripts/eval_gate_speech.py --models demo-output-real/models \
        --speaker demo-output-real/target.tmrvc_speaker --corpus demo-output-real/work/corpus \
        --source fest_ked --target fest_slt
Without --corpus both voices are synthesised now (tmrvc_data.synth).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from tmrvc_eval.audio import load, resample
from tmrvc_eval.cli import EvalConfig
from tmrvc_eval.cli import main as run_eval
from tmrvc_eval.gate_speech import compare, format_table, outside, paused_utterance, real_breath, speech_touched
from tmrvc_eval.metrics.wer import words

ROOT = Path(__file__).resolve().parent.parent
CONVERT = Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build")) / "tmrvc-engine" / "tmrvc-convert"
RATE = 48000
EDGE_S, GAP_S = 0.4, 0.2  # paused_utterance's defaults
AFTER_SPEECH_S = 0.3  # the gate's hold (0.2 s) + release (0.05 s) after speech, and a hop


@dataclass
class Utterance:
    name: str
    source: np.ndarray  # (n,) at RATE
    truth: np.ndarray   # the target voice, same sentences
    text: str
    non_speech: list[tuple[int, int]]  # sample spans of the source that hold no speech, past the gate's hold


def corpus_files(corpus: Path) -> tuple[dict, dict]:
    splits = json.loads((corpus / "splits.json").read_text())
    utts = {(u["speaker"], u["sentence"]): u for u in
            (json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines() if line)}
    return splits, utts


def synthesised(source: str, target: str, n_pairs: int, tmp: Path) -> tuple[Path, dict, dict]:
    """A corpus-like view of sentences synthesised now: refs are sentences 0–4, tests the 2 n_pairs after them."""
    from tmrvc_data.make_corpus import _synth
    from tmrvc_data.sentences import sentences_for
    from tmrvc_data.voices import voice_by_name

    splits = {"sentences": {"train": [f"s{i:03d}" for i in range(5)],
                            "test": [f"s{i:03d}" for i in range(5, 5 + 2 * n_pairs)]}}
    utts = {}
    for voice in (source, target):
        spec = voice_by_name(voice)
        sents = sentences_for(spec.language)
        for i in range(5 + 2 * n_pairs):
            if voice == source and i < 5:
                continue
            x, sr, _ = _synth(spec, sents[i])
            path = tmp / f"{voice}_{i:03d}.wav"
            sf.write(path, np.asarray(x, np.float32), sr, subtype="FLOAT")
            utts[(voice, f"s{i:03d}")] = {"path": str(path), "text": sents[i]}
    return tmp, splits, utts


def build(corpus: Path, splits: dict, utts: dict, source: str, target: str,
          n_pairs: int) -> tuple[list[Utterance], list[np.ndarray]]:
    """Paused utterances from the source's test sentences (and the target's same sentences), and the target's
    training sentences as the judge's references."""
    def audio(voice: str, sent: str) -> np.ndarray:
        return load(corpus / utts[(voice, sent)]["path"], RATE)[0].astype(np.float32)

    test = [s for s in splits["sentences"]["test"] if (source, s) in utts and (target, s) in utts]
    if len(test) < 2:
        raise ValueError(f"{source} and {target} share {len(test)} test sentences in {corpus}; need 2")
    breath = real_breath(RATE)
    out = []
    for i in range(min(n_pairs, len(test) // 2)):
        a, b = test[2 * i], test[2 * i + 1]
        first = audio(source, a)
        x = paused_utterance(first, audio(source, b), RATE, breath, EDGE_S, GAP_S)
        gt = paused_utterance(audio(target, a), audio(target, b), RATE, None, EDGE_S, GAP_S)
        edge, pause_end = int(EDGE_S * RATE), int(EDGE_S * RATE) + first.size + breath.size + 2 * int(GAP_S * RATE)
        spans = [(int(0.05 * RATE), edge - int(0.05 * RATE)),
                 (edge + first.size + int(AFTER_SPEECH_S * RATE), pause_end - int(0.05 * RATE))]
        out.append(Utterance(f"{a}+{b}", x, gt, f"{utts[(source, a)]['text']} {utts[(source, b)]['text']}",
                             [s for s in spans if s[1] - s[0] > int(0.05 * RATE)]))
    refs = [audio(target, s) for s in splits["sentences"]["train"] if (target, s) in utts][:5]
    return out, refs


def convert(models: Path, speaker: Path, x: np.ndarray, gate: float | None, tmp: Path) -> np.ndarray:
    """tmrvc-convert at RATE → the output aligned with the input (reported latency removed), same length."""
    src, dst = tmp / "in.wav", tmp / "out.wav"
    sf.write(src, x, RATE, subtype="FLOAT")
    cmd = [str(CONVERT), "--models", str(models), "--speaker", str(speaker), "--block", "256", "--q", "0",
           "--auto-pitch", str(src), str(dst)]
    if gate is not None:
        cmd[1:1] = ["--gate", f"{gate:g}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"tmrvc-convert failed: {r.stderr.strip()}")
    lat = int(r.stdout.split("latency:")[1].split()[0])
    y, _ = sf.read(dst, dtype="float32")
    return np.concatenate([y[lat:], np.zeros(lat, np.float32)])


def energy_db(y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(y.astype(np.float64) ** 2) + 1e-30))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--speaker", type=Path, required=True)
    p.add_argument("--corpus", type=Path, help="a tmrvc-make-corpus folder with both voices (else synthesised now)")
    p.add_argument("--source", default="fest_ked")
    p.add_argument("--target", default="fest_slt")
    p.add_argument("--pairs", type=int, default=2, help="paused utterances (two test sentences each)")
    p.add_argument("--gate", type=float, default=-40.0)
    p.add_argument("--out", type=Path, help="keep audio and tmrvc-eval reports here")
    a = p.parse_args(argv)
    if not CONVERT.is_file():
        raise SystemExit(f"{CONVERT} missing: build the engine (make build)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus, splits, files = ((a.corpus, *corpus_files(a.corpus)) if a.corpus
                                 else synthesised(a.source, a.target, a.pairs, Path(tmp)))
        utts, refs = build(corpus, splits, files, a.source, a.target, a.pairs)
        d = a.out or Path(tmp)
        for sub in ("source", "ground_truth", "target_ref", "conv_off", "conv_on"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        energies, touched = [], []
        for u in utts:
            off = convert(a.models, a.speaker, u.source, None, Path(tmp))
            on = convert(a.models, a.speaker, u.source, a.gate, Path(tmp))
            for sub, y in (("source", u.source), ("ground_truth", u.truth), ("conv_off", off), ("conv_on", on)):
                sf.write(d / sub / f"{u.name}.wav", y, RATE, subtype="FLOAT")
            energies += [(u.name, s, energy_db(off[s[0]:s[1]]), energy_db(on[s[0]:s[1]])) for s in u.non_speech]
            touched.append((u.name, *speech_touched(u.source, off, on, RATE)))
        for i, r in enumerate(refs):
            sf.write(d / "target_ref" / f"r{i}.wav", r, RATE, subtype="FLOAT")
        (d / "transcripts.json").write_text(json.dumps({u.name: u.text for u in utts}))
        english = all(t.isascii() for t in (u.text for u in utts))

        def run(conv: str, speech_only: bool) -> dict:
            return run_eval(EvalConfig(converted=str(d / conv), source=str(d / "source"),
                                       target_ref=str(d / "target_ref"), ground_truth=str(d / "ground_truth"),
                                       transcripts=str(d / "transcripts.json"),
                                       out=str(d / f"eval_{conv}_{'speech' if speech_only else 'whole'}"),
                                       n_plots=0, speech_only=speech_only, max_lag_s=0.0,
                                       wer=english and speech_only, progress=False))["summary"]
        tables = {view: compare(run("conv_off", only), run("conv_on", only))
                  for view, only in (("whole", False), ("speech", True))}
    n_words = sum(len(words(u.text)) for u in utts)
    print(f"\n[gate] {a.source} -> {a.target}, {len(utts)} paused utterances, gate {a.gate:g} dBFS")
    print("non-speech stretches (output energy, dB): utterance, span s, gate off, gate on")
    for name, (s0, s1), e_off, e_on in energies:
        print(f"  {name:<24} {s0 / RATE:5.2f}-{s1 / RATE:5.2f}  {e_off:7.1f}  {e_on:7.1f}")
    print("source speech the gate changed (fraction of speech samples; of it in a phrase's first 200 ms):")
    for name, frac, onset in touched:
        print(f"  {name:<24} {frac:.3f}  {onset:.3f}")
    print(format_table(tables))
    moved = outside(tables["speech"], n_words)
    print("on speech, outside tolerance (change, tolerance): " + (json.dumps(moved) if moved else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
