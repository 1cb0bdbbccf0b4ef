#!/usr/bin/env python3
"""Before/after of the speaker bank per voice group, through the C++ engine (issue 18's acceptance setting):
for each source:target[:other] pair of held-out voices of a corpus, the target is enrolled zero-shot from its
training and validation sentences (with and without its speaker bank), the source's held-out sentences are
converted by tmrvc-convert (FP32, q = 0, auto pitch match; optionally INT8 too), and tmrvc-eval scores both
against the three brackets (identity, ground truth, another voice).

    uv run python scripts/eval_bank_pairs.py --models demo-output-real/models --corpus data/real \
        --pairs fest_ked:fest_slt:fest_kal esp_m2:esp_f1:esp_m1 --out eval-bank-pairs [--int8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_speaker_bank_ceiling import GAP_KEYS, Corpus, _print, brackets, gap  # noqa: E402
from tmrvc_core.speaker_file import without_bank, write_speaker_file  # noqa: E402
from tmrvc_eval.cli import main as run_eval  # noqa: E402
from tmrvc_train.enroll_zero_shot import enrol_clips  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 256


def convert_tool() -> Path:
    path = Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build")) / "tmrvc-engine" / "tmrvc-convert"
    if not path.exists():
        raise SystemExit(f"{path} not found: build the engine first (make build)")
    return path


def enrol(corpus: Corpus, models: Path, target: str, out: Path) -> dict[str, Path]:
    """Zero-shot enrolment from the target's training + validation sentences → {with bank, without}."""
    sents = corpus.sentences(target, "train") + corpus.sentences(target, "val")
    clips = [(corpus.audio24(target, s), 24000) for s in sents][:20]
    speaker = enrol_clips(models, clips, target)
    files = {"bank": out / f"{target}.tmrvc_speaker", "no_bank": out / f"{target}_no_bank.tmrvc_speaker"}
    out.mkdir(parents=True, exist_ok=True)
    write_speaker_file(files["bank"], speaker)
    write_speaker_file(files["no_bank"], without_bank(speaker))
    print(f"[pairs] enrolled {target}: {len(clips)} clips, bank of {speaker.metadata.get('bank_frames', 0)} frames",
          flush=True)
    return files


def convert(models: Path, speaker: Path, sources: Path, dest: Path, int8: bool) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for src in sorted(sources.glob("*.wav")):
        cmd = [str(convert_tool()), "--models", str(models), "--speaker", str(speaker), "--block", str(BLOCK),
               "--q", "0", "--auto-pitch", str(src), str(dest / src.name)]
        if int8:
            cmd.insert(1, "--int8")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"tmrvc-convert failed on {src}: {r.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--pairs", nargs="+", required=True, help="source:target[:other] voice names")
    p.add_argument("--int8", action="store_true", help="convert with the INT8 models too")
    p.add_argument("--out", type=Path, default=Path("eval-bank-pairs"))
    a = p.parse_args(argv)
    corpus = Corpus(a.corpus)
    table = {}
    for pair in a.pairs:
        parts = pair.split(":")
        src, tgt = parts[0], parts[1]
        other = parts[2] if len(parts) > 2 else corpus.splits["voices"]["train"][0]
        out = a.out / f"{src}_to_{tgt}"
        base, cfg = brackets(corpus, src, tgt, other, out)
        speakers = enrol(corpus, a.models, tgt, out / "speakers")
        systems = {}
        for name, speaker in speakers.items():
            systems[f"fp32_{name}"] = out / f"fp32_{name}"
            convert(a.models, speaker, base["identity"], systems[f"fp32_{name}"], False)
        if a.int8:
            systems["int8_bank"] = out / "int8_bank"
            convert(a.models, speakers["bank"], base["identity"], systems["int8_bank"], True)
        results = {name: run_eval(replace(cfg, converted=str(d), out=str(out / "eval" / name)))["summary"]
                   for name, d in {**base, **systems}.items()}
        table[pair] = {"other": other, "results": results,
                       "gap": {v: {m: gap(results, m, v) for m in GAP_KEYS} for v in results}}
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "pairs.json").write_text(json.dumps(table, indent=1, default=float))
        _print(pair, results, table[pair]["gap"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
