#!/usr/bin/env python3
"""Does the content encoder name phones on voices it never heard? Frame phone accuracy (argmax of its phone
posteriors against the synthesiser's labels) per voice of a feature cache, over all labelled frames and over
speech frames only (silence id 0 left out), grouped by split and voice group (issue 18, step 4).

    uv run python scripts/eval_phone_accuracy.py --students runs/students.pt --cache data/real-cache \
        [--split test] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from tmrvc_data.voices import voice_by_name, voice_group
from tmrvc_train.models import load_checkpoint
from tmrvc_train.trainers.data import CacheIndex, f0_model_input


def voice_accuracy(enc: torch.nn.Module, index: CacheIndex, rows: list[int]) -> tuple[float, float, int]:
    """→ (accuracy over labelled frames, accuracy over speech frames, speech frames)."""
    hit = n = hit_sp = n_sp = 0
    for i in rows:
        mel, f0, ph = index.load("mel", i), index.load("f0", i), index.load("phones", i)
        if ph is None:
            continue
        with torch.inference_mode():
            logits = enc(torch.from_numpy(np.asarray(mel, np.float32))[None],
                         torch.from_numpy(f0_model_input(np.asarray(f0)))[None, None].float(), phone_logits=True)
        pred = logits[0].argmax(0).numpy()[: len(ph)]
        ph = np.asarray(ph, np.int64)[: len(pred)]
        ok = pred == ph
        hit, n = hit + int(ok.sum()), n + len(ph)
        speech = ph > 0
        hit_sp, n_sp = hit_sp + int(ok[speech].sum()), n_sp + int(speech.sum())
    return hit / max(n, 1), hit_sp / max(n_sp, 1), n_sp


def base_voice(name: str) -> str:
    return name.rsplit("_aug", 1)[0]


def accuracy_rows(students: Path, cache: Path, splits: list[str], max_utts: int = 12,
                  printer=None) -> list[dict]:  # type: ignore[no-untyped-def]
    """One row per (split, voice) of the cache: accuracy over labelled frames and over speech frames; splits the
    cache does not have are left out."""
    enc = load_checkpoint(students)[0].content_encoder.eval()
    if not enc.cfg.posterior_classes:
        raise ValueError(f"{students}: the content encoder has free features, not phone posteriors")
    present = {r.get("split") for r in CacheIndex(cache, "all").records}
    out = []
    for split in [s for s in splits if s in present]:  # the quick demo's corpus has no validation voice
        index = CacheIndex(cache, split)
        by_voice: dict[str, list[int]] = {}
        for i, r in enumerate(index.records):
            by_voice.setdefault(r["speaker"], []).append(i)
        for voice, rows in sorted(by_voice.items()):
            acc, acc_sp, n_sp = voice_accuracy(enc, index, rows[:max_utts])
            group = voice_group(voice_by_name(base_voice(voice))) + ("+aug" if "_aug" in voice else "")
            out.append({"split": split, "voice": voice, "group": group, "accuracy": acc,
                        "accuracy_speech": acc_sp, "speech_frames": n_sp})
            if printer:
                printer(out[-1])
    return out


def table_line(row: dict) -> str:
    return (f"| {row['split']} | {row['voice']} | {row['group']} | {row['accuracy']:.3f} | "
            f"{row['accuracy_speech']:.3f} | {row['speech_frames']} |")


TABLE_HEAD = ["| split | voice | group | accuracy (all frames) | accuracy (speech frames) | speech frames |",
              "|---|---|---|---|---|---|"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=Path, required=True)
    p.add_argument("--cache", type=Path, required=True)
    p.add_argument("--splits", nargs="+", default=["test", "val", "train"])
    p.add_argument("--max-utts", type=int, default=12, help="per voice")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    print("\n".join(TABLE_HEAD))
    try:
        out = accuracy_rows(a.students, a.cache, a.splits, a.max_utts,
                            printer=lambda row: print(table_line(row), flush=True))
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
