#!/usr/bin/env python3
"""In-plugin enrolment judged by the speaker judge on a held-out voice (issue 19's acceptance): 10 s of the target
voice are enrolled through the plugin's own enrol action (build/tmrvc-plugin/plugin-enrol-driver, the code path
of the editor's enrolment panel), through `tmrvc-enroll --zero-shot` and, for reference, through the PyTorch
`tmrvc-enroll --steps 0` (when the model folder names its students checkpoint); the source voice's held-out
sentences are converted with each speaker file by tmrvc-convert (q 0, auto pitch match), and resemblyzer
(tmrvc-eval's speaker judge) scores each output against the centroid of the target's own other sentences.
Acceptance: |plugin − tmrvc-enroll| ≤ 0.03.

    uv run python scripts/eval_plugin_enrolment.py --models demo-output-real/models \
        --corpus demo-output-real/work/corpus --pairs fest_ked:fest_slt esp_m2:esp_f1
Without --corpus the voices are synthesised now (tmrvc_data.synth; flite awb/rms are refused by name).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build"))
DRIVER = BUILD / "tmrvc-plugin" / "plugin-enrol-driver"
CONVERT = BUILD / "tmrvc-engine" / "tmrvc-convert"
ENROL_SECONDS = 10.0
TOLERANCE = 0.03


@dataclass
class Material:
    """Audio files of one pair: enrolment (≥ ENROL_SECONDS of the target), the target's other sentences (the
    judge's references) and the source's held-out sentences."""

    enrol: list[Path]
    refs: list[Path]
    sources: list[Path]


def first_seconds(files: list[Path], seconds: float) -> list[Path]:
    """The shortest prefix of files holding at least `seconds` of audio."""
    out, total = [], 0.0
    for f in files:
        out.append(f)
        total += sf.info(str(f)).duration
        if total >= seconds:
            return out
    raise ValueError(f"only {total:.1f} s of audio in {len(files)} files; need {seconds} s")


def synthesised(source: str, target: str, out: Path, n_refs: int = 2, n_sources: int = 2) -> Material:
    """Material synthesised now: the target speaks the first sentences until ENROL_SECONDS, then n_refs more;
    the source speaks the n_sources sentences after those."""
    from tmrvc_data.make_corpus import _synth
    from tmrvc_data.sentences import sentences_for
    from tmrvc_data.voices import voice_by_name

    def say(voice: str, idx: list[int], folder: str) -> list[Path]:
        spec = voice_by_name(voice)
        sents = sentences_for(spec.language)
        paths = []
        for i in idx:
            x, sr, _ = _synth(spec, sents[i])
            p = out / folder / f"{voice}_{i:03d}.wav"
            p.parent.mkdir(parents=True, exist_ok=True)
            sf.write(p, np.asarray(x, np.float32), sr, subtype="FLOAT")
            paths.append(p)
        return paths

    enrol: list[Path] = []
    while not enrol or sum(sf.info(str(p)).duration for p in enrol) < ENROL_SECONDS:
        enrol += say(target, [len(enrol)], "enrol")
    k = len(enrol)
    return Material(enrol, say(target, list(range(k, k + n_refs)), "refs"),
                    say(source, list(range(k + n_refs, k + n_refs + n_sources)), "sources"))


def from_corpus(corpus: Path, source: str, target: str, n_refs: int = 5) -> Material:
    """Material from a tmrvc-make-corpus folder: the target's training + validation sentences, the first 10 s for
    enrolment and up to n_refs of the others as the judge's references (tmrvc-eval's brackets also take
    training sentences), and the source's test sentences as sources."""
    splits = json.loads((corpus / "splits.json").read_text())
    utts = {(u["speaker"], u["sentence"]): corpus / u["path"] for u in
            (json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines() if line)}

    def files(voice: str, parts: tuple[str, ...]) -> list[Path]:
        return [utts[(voice, s)] for p in parts for s in splits["sentences"][p] if (voice, s) in utts]

    own = files(target, ("train", "val"))
    enrol = first_seconds(own, ENROL_SECONDS)
    refs = own[len(enrol):][:n_refs]
    if len(refs) < 2 or not files(source, ("test",)):
        raise ValueError(f"{corpus}: {target} has {len(refs)} sentences beyond its 10 s of enrolment (need 2) and "
                         f"{source} {len(files(source, ('test',)))} test sentences")
    return Material(enrol, refs, files(source, ("test",)))


def plugin_enrol(models: Path, files: list[Path], out_dir: Path) -> Path:
    """The plugin's enrol action through plugin-enrol-driver → the speaker file it saved."""
    if not DRIVER.is_file():
        raise ValueError(f"{DRIVER} missing: build the plugin (make build)")
    r = subprocess.run([str(DRIVER), str(models), str(out_dir), "held out", *map(str, files)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise ValueError(f"plugin-enrol-driver failed: {r.stderr.strip()} {r.stdout.strip()}")
    fields = dict(re.findall(r"(\w+)=(\S+)", r.stdout))
    if int(fields.get("blocks", "0")) <= 0:
        raise ValueError(f"plugin-enrol-driver processed no audio block while enrolling: {r.stdout.strip()}")
    return Path(fields["speaker"])


def cli_enrol(models: Path, files: list[Path], out: Path, zero_shot: bool = True,
              checkpoint: Path | None = None) -> Path:
    """`tmrvc-enroll [--zero-shot | --steps 0 [--checkpoint C]]` in a fresh interpreter → out."""
    mode = ["--zero-shot"] if zero_shot else ["--steps", "0"]
    if checkpoint is not None and not zero_shot:
        mode += ["--checkpoint", str(checkpoint)]
    r = subprocess.run([sys.executable, "-m", "tmrvc_train.enroll_cli", *mode, "--models", str(models),
                        "--out", str(out), "--name", "held_out", *map(str, files)],
                       capture_output=True, text=True, timeout=1200)
    if r.returncode != 0:
        raise ValueError(f"tmrvc-enroll {' '.join(mode)} failed: {(r.stderr or r.stdout).strip()[-400:]}")
    return out


def convert(models: Path, speaker: Path, sources: list[Path], out_dir: Path) -> list[Path]:
    """tmrvc-convert (q 0, auto pitch match, blocks of 256) of every source → the converted files."""
    if not CONVERT.is_file():
        raise ValueError(f"{CONVERT} missing: build the engine (make build)")
    out_dir.mkdir(parents=True, exist_ok=True)
    outs = []
    for src in sources:
        dst = out_dir / src.name
        r = subprocess.run([str(CONVERT), "--models", str(models), "--speaker", str(speaker), "--block", "256",
                            "--q", "0", "--auto-pitch", str(src), str(dst)], capture_output=True, text=True)
        if r.returncode != 0:
            raise ValueError(f"tmrvc-convert failed on {src}: {r.stderr.strip()}")
        outs.append(dst)
    return outs


def judge_similarity(judge, refs: list[Path], outputs: list[Path]) -> float:  # type: ignore[no-untyped-def]
    """Mean cosine of each output's judge embedding to the centroid of the references' (tmrvc-eval's metric)."""
    from tmrvc_eval.audio import load
    from tmrvc_eval.evaluate import EVAL_RATE
    from tmrvc_eval.metrics.speaker import cosine, speaker_centroid

    centroid = speaker_centroid([judge.embed(load(p, EVAL_RATE)[0], EVAL_RATE) for p in refs])
    return float(np.mean([cosine(judge.embed(load(p, EVAL_RATE)[0], EVAL_RATE), centroid) for p in outputs]))


def run_pair(models: Path, material: Material, work: Path, torch_path: bool = True,
             checkpoint: Path | None = None) -> dict:
    """Enrol through every path, convert, judge → {'similarity': {path: value}, 'difference', ...}."""
    from tmrvc_core.speaker_file import read_speaker_file
    from tmrvc_eval.metrics.speaker import SpeakerJudge

    speakers = {"plugin": plugin_enrol(models, material.enrol, work / "plugin"),
                "tmrvc_enroll_zero_shot": cli_enrol(models, material.enrol, work / "zero_shot.tmrvc_speaker")}
    notes = []
    if torch_path:
        try:
            speakers["tmrvc_enroll_pytorch_0_steps"] = cli_enrol(
                models, material.enrol, work / "pytorch.tmrvc_speaker", zero_shot=False, checkpoint=checkpoint)
        except ValueError as exc:
            notes.append(f"PyTorch path skipped: {exc}")
    judge = SpeakerJudge()
    sims = {name: judge_similarity(judge, material.refs, convert(models, f, material.sources, work / name))
            for name, f in speakers.items()}
    sims["source_unconverted"] = judge_similarity(judge, material.refs, material.sources)
    a, b = read_speaker_file(speakers["plugin"]), read_speaker_file(speakers["tmrvc_enroll_zero_shot"])
    return {"enrol_seconds": float(sum(sf.info(str(p)).duration for p in material.enrol)),
            "n_enrol_files": len(material.enrol), "n_refs": len(material.refs), "n_sources": len(material.sources),
            "similarity": sims, "difference": sims["plugin"] - sims["tmrvc_enroll_zero_shot"],
            "embedding_cosine_plugin_vs_cli": float(a.spk_embed @ b.spk_embed), "notes": notes}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--corpus", type=Path, help="a tmrvc-make-corpus folder (else the voices are synthesised now)")
    p.add_argument("--pairs", nargs="+", default=["fest_ked:fest_slt"], help="source:target voice names")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch tmrvc-enroll reference")
    p.add_argument("--checkpoint", type=Path, help="students checkpoint for the PyTorch path (default: the one the "
                                                   "model folder's metadata names)")
    p.add_argument("--out", type=Path, help="keep the work folder here (default: a temporary folder)")
    a = p.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = a.out or Path(tmp)
        for pair in a.pairs:
            source, target = pair.split(":")[:2]
            work = root / f"{source}_to_{target}"
            work.mkdir(parents=True, exist_ok=True)
            material = (from_corpus(a.corpus, source, target) if a.corpus
                        else synthesised(source, target, work / "audio"))
            res = run_pair(a.models, material, work, torch_path=not a.no_torch, checkpoint=a.checkpoint)
            results[pair] = res
            print(f"[enrol] {pair}: {res['enrol_seconds']:.1f} s in {res['n_enrol_files']} files, judge refs "
                  f"{res['n_refs']}, sources {res['n_sources']}")
            for name, v in res["similarity"].items():
                print(f"  judge similarity to {target}: {name:<30} {v:.4f}")
            ok = "within" if abs(res["difference"]) <= TOLERANCE else "OUTSIDE"
            print(f"  plugin - tmrvc-enroll --zero-shot: {res['difference']:+.4f} ({ok} {TOLERANCE}); "
                  f"embedding cosine {res['embedding_cosine_plugin_vs_cli']:.6f}")
            for n in res["notes"]:
                print(f"  note: {n}")
        if a.out:
            (a.out / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
