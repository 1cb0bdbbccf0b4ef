"""Scoring of a converted set against its sources, the target voice's references and the parallel ground
truth. Pure functions over loaded audio; the CLI in cli.py adds files, plots and the report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tmrvc_core.constants import SAMPLE_RATE
from tmrvc_eval.audio import resample
from tmrvc_eval.metrics.f0 import compare_f0, dtw_aligned, f0_contour, find_lag, log_f0_mean, shift_contour
from tmrvc_eval.metrics.level import rms_ratio, tonal_artefact_db
from tmrvc_eval.metrics.mcd import mcd_db
from tmrvc_eval.metrics.speaker import SpeakerJudge, cosine, same_speaker_baseline, speaker_centroid
from tmrvc_eval.metrics.wer import RECOGNISER_RATE, Recogniser, wer, words
from tmrvc_eval.speech import cut, speech_intervals

EVAL_RATE = SAMPLE_RATE
LOUDNESS_TOLERANCE = 0.2


@dataclass
class Target:
    """The target voice as the judges see it: speaker centroid, mean log-F0, mean artefact index."""

    centroid: np.ndarray
    same_speaker: float | None
    log_f0_mean: float | None
    artefact_db: float


@dataclass
class UttScores:
    """Scores of one utterance (None where a metric does not apply)."""

    name: str
    lag_samples: int
    spk_sim_converted: float
    spk_sim_source: float
    mcd_db: float | None
    f0_corr: float
    f0_rmse_cents: float
    vuv_error: float
    rms_ratio: float
    artefact_db: float
    artefact_source_db: float
    hyp: str | None = None
    hyp_source: str | None = None
    extra: dict = field(default_factory=dict)


def describe_target(judge: SpeakerJudge, refs: list[np.ndarray]) -> Target:
    """refs: list of (n,) at EVAL_RATE → Target."""
    if not refs:
        raise ValueError("target reference folder holds no audio")
    embeds = [judge.embed(r, EVAL_RATE) for r in refs]
    f0s = np.concatenate([f0_contour(r, EVAL_RATE) for r in refs])
    art = float(np.mean([tonal_artefact_db(r, EVAL_RATE) for r in refs]))
    return Target(speaker_centroid(embeds), same_speaker_baseline(embeds), log_f0_mean(f0s), art)


def score_utterance(name: str, conv: np.ndarray, src: np.ndarray, gt: np.ndarray | None, target: Target,
                    judge: SpeakerJudge, max_lag_s: float, f0_align: str = "lag") -> UttScores:
    """Score one converted utterance. All signals (n,) at EVAL_RATE. f0_align: 'lag' (constant delay, for a
    frame-synchronous converter; F0 and RMS ratio on the delay-compensated window) or 'dtw' (outputs with
    their own timing; F0 along a DTW path, RMS ratio over whole utterances)."""
    if f0_align not in ("lag", "dtw"):
        raise ValueError(f"f0_align must be 'lag' or 'dtw', got {f0_align!r}")
    lag = find_lag(conv, src, EVAL_RATE, max_lag_s)
    aligned = conv[lag:lag + len(src)]
    f0_src = f0_contour(src, EVAL_RATE)
    mu_src = log_f0_mean(f0_src)
    shift = (target.log_f0_mean - mu_src) if (target.log_f0_mean is not None and mu_src is not None) else 0.0
    if f0_align == "dtw":
        fc, fs = dtw_aligned(f0_contour(conv, EVAL_RATE), f0_src, conv, src, EVAL_RATE)
    else:
        fc, fs = f0_contour(aligned, EVAL_RATE), f0_src
    f0s = compare_f0(fc, shift_contour(fs, shift))
    return UttScores(
        name=name, lag_samples=lag,
        spk_sim_converted=cosine(judge.embed(conv, EVAL_RATE), target.centroid),
        spk_sim_source=cosine(judge.embed(src, EVAL_RATE), target.centroid),
        mcd_db=mcd_db(conv, gt, EVAL_RATE) if gt is not None else None,
        f0_corr=f0s.correlation, f0_rmse_cents=f0s.rmse_cents, vuv_error=f0s.vuv_error,
        rms_ratio=rms_ratio(aligned if f0_align == "lag" else conv, src),
        artefact_db=tonal_artefact_db(conv, EVAL_RATE), artefact_source_db=tonal_artefact_db(src, EVAL_RATE))


def speech_only(conv: np.ndarray, src: np.ndarray, gt: np.ndarray | None,
                max_lag_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int, float]:
    """The speech of one utterance (for a frame-synchronous converter): the source's speech intervals
    (tmrvc_eval.speech) cut from the source and from the converted audio after removing its constant lag, and
    the ground truth's own speech intervals (it has its own timing). All (n,) at EVAL_RATE.
    Returns (converted speech, source speech, ground-truth speech or None, lag in samples, source speech seconds)."""
    lag = find_lag(conv, src, EVAL_RATE, max_lag_s)
    spans = speech_intervals(src, EVAL_RATE)
    conv_s, src_s = cut(conv[lag:], spans), cut(src, spans)
    gt_s = cut(gt, speech_intervals(gt, EVAL_RATE)) if gt is not None else None
    return conv_s, src_s, gt_s, lag, len(src_s) / EVAL_RATE


def add_transcripts(scores: list[UttScores], texts: dict[str, str], conv: dict[str, np.ndarray],
                    src: dict[str, np.ndarray]) -> Recogniser:
    """Decode converted and source audio for every utterance with a reference text (sets hyp, hyp_source)."""
    vocab = [w for t in texts.values() for w in words(t)]
    rec = Recogniser(vocab)
    for s in scores:
        if s.name in texts:
            s.hyp = rec.transcribe(resample(conv[s.name], EVAL_RATE, RECOGNISER_RATE))
            s.hyp_source = rec.transcribe(resample(src[s.name], EVAL_RATE, RECOGNISER_RATE))
    return rec


def _mean(values: list[float | None]) -> float | None:
    v = [x for x in values if x is not None and not math.isnan(x)]
    return float(np.mean(v)) if v else None


def summarise(scores: list[UttScores], target: Target, texts: dict[str, str]) -> dict[str, float | None]:
    """Aggregate per-utterance scores into the summary of metrics.json."""
    def col(key: str) -> list:
        return [getattr(s, key) for s in scores]

    ratios = np.array(col("rms_ratio"))
    out: dict[str, float | None] = {
        "speaker_similarity_converted_to_target": _mean(col("spk_sim_converted")),
        "speaker_similarity_source_to_target": _mean(col("spk_sim_source")),
        "speaker_similarity_same_speaker_baseline": target.same_speaker,
        "mcd_db": _mean(col("mcd_db")),
        "f0_correlation": _mean(col("f0_corr")),
        "f0_rmse_cents": _mean(col("f0_rmse_cents")),
        "vuv_error": _mean(col("vuv_error")),
        "loudness_rms_ratio_mean": float(np.mean(ratios)),
        "loudness_within_20pct_fraction": float(np.mean(np.abs(ratios - 1.0) <= LOUDNESS_TOLERANCE)),
        "artefact_index_converted_db": _mean(col("artefact_db")),
        "artefact_index_target_ref_db": target.artefact_db,
        "artefact_index_source_db": _mean(col("artefact_source_db")),
        "output_lag_ms_median": float(np.median(col("lag_samples"))) * 1000.0 / EVAL_RATE,
    }
    with_text = [s for s in scores if s.name in texts and s.hyp is not None]
    if with_text:
        out["wer_converted"] = wer([texts[s.name] for s in with_text], [s.hyp or "" for s in with_text])
        out["wer_source"] = wer([texts[s.name] for s in with_text], [s.hyp_source or "" for s in with_text])
    return out
