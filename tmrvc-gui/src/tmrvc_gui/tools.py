"""Command-line helpers the pages run as child processes (crash isolation, cancel): `tmrvc-gui-convert` (files
through the C++ engine) and `tmrvc-gui-similarity` (speaker-judge similarity of references to their centroid)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def convert_cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tmrvc-gui-convert", description=__doc__)
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--speaker", type=Path, required=True)
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--q", type=float, default=0.0)
    p.add_argument("--pitch", type=float, default=0.0)
    p.add_argument("--formant", type=float, default=None)
    p.add_argument("--gate", type=float, default=None)
    p.add_argument("--int8", action="store_true")
    p.add_argument("--name-by-sentence", action="store_true", help="write VOICE__SENT.wav as SENT.wav (tmrvc-eval)")
    p.add_argument("audio", type=Path, nargs="+")
    a = p.parse_args(argv)
    from tmrvc_gui.engine import convert_file

    extra = {k: v for k, v in (("formant", a.formant), ("gate", a.gate)) if v is not None}
    rows = []
    for i, src in enumerate(a.audio):
        try:
            stem = src.stem.split("__")[-1] if a.name_by_sentence else src.stem
            info = convert_file(src, a.out_dir / f"{stem}.wav", a.models, a.speaker, a.q, a.pitch, extra, a.int8)
        except (ValueError, RuntimeError, OSError) as exc:
            print(f"error: {src.name}: {exc}", file=sys.stderr)
            return 1
        rows.append({"file": src.name, **info})
        print(f"converted {i + 1}/{len(a.audio)} {src.name}: RTF {info['rtf']:.3f}", flush=True)
    (a.out_dir / "convert.json").write_text(json.dumps(rows, indent=1))
    return 0


def similarity_cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tmrvc-gui-similarity")
    p.add_argument("--out", type=Path, required=True, help="JSON {file: cosine to the others' centroid}")
    p.add_argument("audio", type=Path, nargs="+")
    a = p.parse_args(argv)
    import numpy as np

    from tmrvc_eval.audio import load
    from tmrvc_eval.metrics.speaker import SpeakerJudge

    judge = SpeakerJudge()
    emb = []
    for i, f in enumerate(a.audio):
        x, sr = load(f, 16000)
        emb.append(judge.embed(x, sr))
        print(f"embedded {i + 1}/{len(a.audio)}", flush=True)
    e = np.stack(emb)
    out = {}
    for i, f in enumerate(a.audio):
        rest = np.delete(e, i, axis=0).mean(axis=0) if len(e) > 1 else e[i]
        out[str(f)] = float(e[i] @ rest / max(np.linalg.norm(rest), 1e-9))
    a.out.write_text(json.dumps(out, indent=1))
    return 0
