"""`tmrvc-eval`: score converted audio against sources, target references and (optionally) the parallel
ground truth; writes metrics.json, report.md and PNG plots into `out`.

Files in `converted`, `source` and `ground_truth` pair up by file name (stem); `target_ref` holds a few
utterances of the target voice (any names, any rate). Reference texts for the word error rate come from
`transcripts` (JSON {name: text}) or `<source>/<name>.txt`; without any, WER is omitted with a note.

`speech_only`: every judge scores only the source's speech intervals (tmrvc_eval.speech), cut from the source and
from the lag-compensated converted audio (the ground truth is cut by its own), so two outputs that differ only in
the pauses (e.g. the engine's gate on / off) score the same; needs f0_align 'lag'."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Sequence

from tqdm import tqdm

from tmrvc_data.config import config_to_dict, run_cli
from tmrvc_eval.audio import audio_files, load
from tmrvc_eval.evaluate import (EVAL_RATE, add_transcripts, describe_target, score_utterance, speech_only,
                                 summarise)
from tmrvc_eval.metrics.codebook import perplexities_from_file
from tmrvc_eval.metrics.f0 import f0_contour, log_f0_mean
from tmrvc_eval.metrics.speaker import SpeakerJudge
from tmrvc_eval.report import plot_bars, plot_f0, plot_mels, write_markdown


@dataclass(frozen=True)
class EvalConfig:
    """Settings of `tmrvc-eval`."""

    converted: str = ""
    source: str = ""
    target_ref: str = ""
    ground_truth: str = ""
    out: str = "eval-out"
    transcripts: str = ""
    codes: str = ""
    max_lag_s: float = 0.5
    f0_align: str = "lag"
    n_plots: int = 1
    speech_only: bool = False
    wer: bool = True
    progress: bool = True


def _pairs(cfg: EvalConfig) -> tuple[dict[str, Path], dict[str, Path], dict[str, Path] | None]:
    conv, src = audio_files(Path(cfg.converted)), audio_files(Path(cfg.source))
    if not conv:
        raise ValueError(f"no audio files in converted folder {cfg.converted}")
    gt = audio_files(Path(cfg.ground_truth)) if cfg.ground_truth else None
    for label, other in (("source", src), ("ground_truth", gt)):
        missing = sorted(set(conv) - set(other)) if other is not None else []
        if missing:
            raise ValueError(f"converted files without a {label} file of the same name: {missing}")
    return conv, src, gt


def _texts(cfg: EvalConfig, names: list[str]) -> dict[str, str]:
    if cfg.transcripts:
        p = Path(cfg.transcripts)
        if not p.is_file():
            raise ValueError(f"transcripts file not found: {p}")
        data = json.loads(p.read_text())
        return {n: data[n] for n in names if n in data}
    out = {}
    for n in names:
        t = Path(cfg.source) / f"{n}.txt"
        if t.is_file():
            out[n] = t.read_text().strip()
    return out


def main(cfg: EvalConfig) -> dict:
    """Run the harness; returns the metrics.json content."""
    for key in ("converted", "source", "target_ref"):
        if not getattr(cfg, key):
            raise ValueError(f"setting '{key}' is required")
    conv_p, src_p, gt_p = _pairs(cfg)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    judge = SpeakerJudge()
    target = describe_target(judge, [load(p, EVAL_RATE)[0] for p in audio_files(Path(cfg.target_ref)).values()])
    names = sorted(conv_p)
    conv = {n: load(conv_p[n], EVAL_RATE)[0] for n in names}
    src = {n: load(src_p[n], EVAL_RATE)[0] for n in names}
    gt = {n: load(gt_p[n], EVAL_RATE)[0] for n in names} if gt_p else {}
    notes: list[str] = []
    lags = _speech_only(cfg, names, conv, src, gt, notes) if cfg.speech_only else {}
    scores = [score_utterance(n, conv[n], src[n], gt.get(n), target, judge, 0.0 if lags else cfg.max_lag_s,
                              cfg.f0_align) for n in tqdm(names, desc="judge", disable=not cfg.progress)]
    for s in scores:
        s.lag_samples = lags.get(s.name, s.lag_samples)
    texts = _texts(cfg, names) if cfg.wer else {}
    if texts:
        rec = add_transcripts(scores, texts, conv, src)
        if rec.oov:
            notes.append(f"words outside the recogniser's dictionary, left out of its grammar: {rec.oov}")
    else:
        notes.append("intelligibility omitted: no reference transcripts (transcripts JSON or <source>/<name>.txt)")
    if not gt:
        notes.append("MCD omitted: no parallel ground truth given")
    if judge.untrimmed:
        notes.append(f"speaker judge: {judge.untrimmed} utterance(s) held no frame its VAD calls speech and were "
                     "embedded untrimmed")
    summary = summarise(scores, target, texts)
    if cfg.codes:
        for q, v in perplexities_from_file(Path(cfg.codes)).items():
            summary[f"codebook_perplexity_{q}"] = v
    images = _plots(out, cfg, names, conv, src, gt, target, summary)
    per_utt = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(s).items()}
               for s in scores]
    result = {"n_utterances": len(names), "config": config_to_dict(cfg), "summary": summary, "notes": notes,
              "per_utterance": per_utt}
    (out / "metrics.json").write_text(json.dumps(result, indent=1))
    write_markdown(out / "report.md", summary, notes, per_utt, images)
    print(f"[tmrvc-eval] {len(names)} utterances -> {out / 'metrics.json'}")
    for k, v in summary.items():
        print(f"  {k}: {'n/a' if v is None else round(v, 4)}")
    return result


def _speech_only(cfg: EvalConfig, names: list[str], conv: dict, src: dict, gt: dict, notes: list[str]) -> dict:
    """Replaces conv/src/gt by their speech (evaluate.speech_only) in place; returns {name: lag in samples}."""
    if cfg.f0_align != "lag":
        raise ValueError("speech_only needs f0_align 'lag' (the source's speech intervals are cut from the "
                         f"converted audio at a constant lag), got {cfg.f0_align!r}")
    lags, total, speech = {}, 0.0, 0.0
    for n in names:
        total += len(src[n]) / EVAL_RATE
        conv[n], src[n], g, lags[n], seconds = speech_only(conv[n], src[n], gt.get(n), cfg.max_lag_s)
        speech += seconds
        if g is not None:
            gt[n] = g
    notes.append(f"scored on the source's speech intervals only: {speech:.1f} s of {total:.1f} s")
    return lags


def _plots(out: Path, cfg: EvalConfig, names, conv, src, gt, target, summary) -> list[str]:  # type: ignore[no-untyped-def]
    images = []
    for n in names[: max(0, cfg.n_plots)]:
        panels = {"source": src[n], "converted": conv[n]} | ({"ground truth": gt[n]} if n in gt else {})
        plot_mels(out / f"mel_{n}.png", panels, EVAL_RATE)
        mu_src = log_f0_mean(f0_contour(src[n], EVAL_RATE))
        shift = target.log_f0_mean - mu_src if (target.log_f0_mean is not None and mu_src is not None) else 0.0
        plot_f0(out / f"f0_{n}.png", conv[n], src[n], EVAL_RATE, shift)
        images += [f"mel_{n}.png", f"f0_{n}.png"]
    plot_bars(out / "metrics.png", summary)
    return images + ["metrics.png"]


def cli(argv: Sequence[str] | None = None) -> None:
    run_cli(EvalConfig, main, argv, __doc__ or "")
