#!/usr/bin/env python3
"""Are speaker-augmented siblings distinct speakers to the judge? For every real-recorded voice with siblings in
a tmrvc-make-corpus folder, resemblyzer embeddings of N utterances per voice, then mean cosine similarity of
utterance pairs (different sentences always) for: the same voice (the same-speaker level), sibling vs its
source, sibling vs sibling of the same source, and different real voices of the same language.

    uv run python scripts/eval_speaker_augment.py --corpus data/real --n 6 --out docs/speaker-augment.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from tmrvc_data.audio_io import read_mono
from tmrvc_eval.metrics.speaker import SpeakerJudge


def embeddings(corpus: Path, voice: str, sents: list[str], judge: SpeakerJudge) -> dict[str, np.ndarray]:
    out = {}
    for s in sents:
        p = corpus / "wavs" / voice / f"{voice}__{s}.wav"
        if p.is_file():
            x, sr = read_mono(p)
            out[s] = judge.embed(np.asarray(x, np.float64), sr)
    return out


def cross_similarity(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """Mean cosine over utterance pairs of different sentences (same voice: each unordered pair once)."""
    sims = [float(np.dot(ea, eb) / (np.linalg.norm(ea) * np.linalg.norm(eb)))
            for (sa, ea), (sb, eb) in itertools.product(a.items(), b.items()) if sa != sb]
    return float(np.mean(sims))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--n", type=int, default=6, help="utterances per voice")
    p.add_argument("--out", type=Path, help="write the table as JSON here")
    a = p.parse_args(argv)
    splits = json.loads((a.corpus / "splits.json").read_text())
    utts = [json.loads(line) for line in (a.corpus / "manifest.jsonl").read_text().splitlines() if line]
    lang = {u["speaker"]: u["language"] for u in utts}
    voices = sorted({u["speaker"] for u in utts})
    sources = sorted({v.rsplit("_aug", 1)[0] for v in voices if "_aug" in v})
    judge = SpeakerJudge()
    rows, all_emb = [], {}
    for src in sources:
        sents = sorted({u["sentence"] for u in utts if u["speaker"] == src and u["sentence"] in
                        splits["sentences"]["train"]})[: a.n]
        sibs = [v for v in voices if v.startswith(src + "_aug")]
        emb = {v: embeddings(a.corpus, v, sents, judge) for v in [src] + sibs}
        all_emb.update(emb)
        rows.append({"voice": src, "language": lang[src], "same_voice": cross_similarity(emb[src], emb[src]),
                     "same_sibling": float(np.mean([cross_similarity(emb[s], emb[s]) for s in sibs])),
                     "sibling_vs_source": float(np.mean([cross_similarity(emb[s], emb[src]) for s in sibs])),
                     "sibling_vs_sibling": float(np.mean([cross_similarity(emb[x], emb[y])
                                                          for x, y in itertools.combinations(sibs, 2)]))})
    by_lang: dict[str, list[str]] = {}
    for src in sources:
        by_lang.setdefault(lang[src], []).append(src)
    other = [cross_similarity(all_emb[x], all_emb[y]) for vs in by_lang.values() for x, y in
             itertools.combinations(vs, 2) if not {x, y} <= {"fest_kal", "fest_kal_hi", "flite_kal"}]
    print("| voice | lang | same voice | same sibling | sibling vs source | sibling vs sibling |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['voice']} | {r['language']} | {r['same_voice']:.3f} | {r['same_sibling']:.3f} | "
              f"{r['sibling_vs_source']:.3f} | {r['sibling_vs_sibling']:.3f} |")
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("same_voice", "same_sibling", "sibling_vs_source",
                                                             "sibling_vs_sibling")}
    print(f"| **mean** | | {mean['same_voice']:.3f} | {mean['same_sibling']:.3f} | {mean['sibling_vs_source']:.3f} | "
          f"{mean['sibling_vs_sibling']:.3f} |")
    print(f"different real voices of one language (other people): {np.mean(other):.3f} over {len(other)} pairs")
    if a.out:
        a.out.write_text(json.dumps({"rows": rows, "mean": mean, "different_real_voices": float(np.mean(other))},
                                    indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
