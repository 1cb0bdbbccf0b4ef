"""`tmrvc-eval-baselines`: the three brackets of every metric on held-out sentences of the synthetic corpus —
(a) identity (source as output), (b) parallel ground truth (the target voice itself), (c) another held-out
voice — and, if `converted` is given, a real system with its "gap closed" = (system − identity) /
(ground truth − identity). Writes `brackets.json` and `brackets.md` beside one harness run per bracket."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from collections.abc import Sequence

from tmrvc_data.config import run_cli
from tmrvc_eval.cli import EvalConfig
from tmrvc_eval.cli import main as run_eval


@dataclass(frozen=True)
class BaselineConfig:
    """Settings of `tmrvc-eval-baselines`. Voices default to the corpus's held-out test voices (first three
    in name order: source, target, other); sentences to its test sentences. `corpus` is a tmrvc-make-corpus
    folder (splits.json); `manifest` (default <corpus>/manifest.jsonl) may point at its preprocessed copy."""

    corpus: str = "data/synthetic"
    manifest: str = ""
    source_voice: str = ""
    target_voice: str = ""
    other_voice: str = ""
    n_refs: int = 5
    f0_align: str = "dtw"
    converted: str = ""
    out: str = "eval-baselines"
    progress: bool = True


def _link(dst: Path, src: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    dst.symlink_to(src.resolve())


def prepare(cfg: BaselineConfig) -> tuple[dict[str, Path], Path, Path, Path]:
    """Lay out folders named by sentence. Returns ({bracket: converted dir}, source, ground truth, refs)."""
    corpus = Path(cfg.corpus)
    splits_file = corpus / "splits.json"
    if not splits_file.is_file():
        raise ValueError(f"{splits_file} not found: `corpus` must be a tmrvc-make-corpus output folder")
    splits = json.loads(splits_file.read_text())
    test_voices = splits["voices"]["test"]
    src_v = cfg.source_voice or test_voices[0]
    tgt_v = cfg.target_voice or test_voices[1 % len(test_voices)]
    oth_v = cfg.other_voice or test_voices[2 % len(test_voices)]
    if len({src_v, tgt_v, oth_v}) < 3:
        raise ValueError(f"need three different voices, got source={src_v} target={tgt_v} other={oth_v}")
    out = Path(cfg.out)
    manifest = Path(cfg.manifest) if cfg.manifest else corpus / "manifest.jsonl"
    if not manifest.is_file():
        raise ValueError(f"manifest not found: {manifest}")
    texts = {}
    for u in (json.loads(line) for line in manifest.read_text().splitlines() if line):
        if u["text"]:
            texts[(u["speaker"], u["sentence"])] = (manifest.parent / u["path"], u["text"])
    sents = splits["sentences"]["test"]
    for s in sents:
        for voice, folder in ((src_v, "source"), (tgt_v, "ground_truth"), (oth_v, "other_voice")):
            if (voice, s) not in texts:
                raise ValueError(f"corpus lacks voice {voice} sentence {s}")
            _link(out / "data" / folder / f"{s}.wav", texts[(voice, s)][0])
    for s in splits["sentences"]["train"][: cfg.n_refs]:
        _link(out / "data" / "target_ref" / f"{s}.wav", texts[(tgt_v, s)][0])
    (out / "data" / "transcripts.json").write_text(json.dumps({s: texts[(src_v, s)][1] for s in sents}))
    d = out / "data"
    brackets = {"identity": d / "source", "ground_truth": d / "ground_truth", "other_voice": d / "other_voice"}
    if cfg.converted:
        brackets["system"] = Path(cfg.converted)
    return brackets, d / "source", d / "ground_truth", d / "target_ref"


def main(cfg: BaselineConfig) -> dict:
    """Run the harness once per bracket and tabulate the summaries."""
    brackets, src, gt, refs = prepare(cfg)
    base = EvalConfig(source=str(src), target_ref=str(refs), ground_truth=str(gt), progress=cfg.progress,
                      f0_align=cfg.f0_align,
                      transcripts=str(Path(cfg.out) / "data" / "transcripts.json"))
    results = {name: run_eval(replace(base, converted=str(d), out=str(Path(cfg.out) / name)))["summary"]
               for name, d in brackets.items()}
    if "system" in results:
        results["gap_closed"] = _gap(results)
    (Path(cfg.out) / "brackets.json").write_text(json.dumps(results, indent=1))
    keys = list(results["identity"])
    lines = ["| metric | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
    for k in keys:
        cells = [("n/a" if r.get(k) is None else f"{r[k]:.4g}") for r in results.values()]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    (Path(cfg.out) / "brackets.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return results


def _gap(results: dict) -> dict:
    out = {}
    for k, sys_v in results["system"].items():
        a, b = results["identity"].get(k), results["ground_truth"].get(k)
        out[k] = (sys_v - a) / (b - a) if None not in (sys_v, a, b) and abs(b - a) > 1e-9 else None
    return out


def cli(argv: Sequence[str] | None = None) -> None:
    run_cli(BaselineConfig, main, argv, __doc__ or "")
