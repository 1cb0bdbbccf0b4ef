"""demo-output/report.md from the stage results: quality with three baselines, speed, latency, parity."""

from __future__ import annotations

import json
import math
from pathlib import Path

from demo_stages import Context

# Headline metrics (key in tmrvc-eval's summary, label, better direction).
HEADLINE = [("speaker_similarity_converted_to_target", "speaker similarity → target", "higher"),
            ("mcd_db", "mel-cepstral distortion vs ground truth (dB)", "lower"),
            ("f0_correlation", "F0 correlation", "higher"),
            ("f0_rmse_cents", "F0 RMSE (cents)", "lower"),
            ("vuv_error", "V/UV error", "lower"),
            ("loudness_rms_ratio_mean", "output/input RMS ratio", "1.0"),
            ("artefact_index_converted_db", "HF tonal artefact index (dB)", "lower"),
            ("wer_converted", "word error rate (pocketsphinx)", "lower")]
COLUMNS = ("identity", "other_voice", "ground_truth", "fp32", "fp32_no_bank", "int8", "plugin", "fp32_q1",
           "fp32_vocoder_phase", "python")


def metric_means(metrics: dict) -> dict:
    """tmrvc-eval's metrics.json → {metric: mean}; tolerant of where the harness puts its means."""
    for key in ("summary", "means", "mean"):
        if isinstance(metrics.get(key), dict):
            return metrics[key]
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float))}


def _fmt(v) -> str:
    if isinstance(v, dict):
        v = v.get("mean", next(iter(v.values()), float("nan")))
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


GAP_METRICS = ("speaker_similarity_converted_to_target", "mcd_db")


def gap_closed(sums: dict, column: str, key: str) -> float | None:
    """Issue 4's (converted − identity) / (ground truth − identity); MCD's ground-truth end is 0 dB."""
    conv, ident = sums[column].get(key), sums["identity"].get(key)
    gt = 0.0 if key == "mcd_db" else sums["ground_truth"].get(key)
    if all(isinstance(v, (int, float)) for v in (conv, ident, gt)) and gt != ident:
        return (conv - ident) / (gt - ident)
    return None


def quality_table(results: dict) -> list[str]:
    ev = results.get("eval", {})
    cols = [c for c in COLUMNS if c in ev]
    if not cols:
        return ["(no evaluation results)"]
    sums = {c: metric_means(ev[c]) for c in cols}
    lines = ["| metric | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for key, label, _better in HEADLINE:
        if any(key in sums[c] for c in cols):
            lines.append(f"| {label} | " + " | ".join(_fmt(sums[c].get(key)) for c in cols) + " |")
    for c in ("fp32", "fp32_no_bank", "int8", "fp32_q1", "fp32_vocoder_phase"):
        if c in sums and "identity" in sums and "ground_truth" in sums:
            gaps = [f"{key} {gap:.2f}" for key in GAP_METRICS if (gap := gap_closed(sums, c, key)) is not None]
            lines.append(f"\nGap closed ({c}): " + ", ".join(gaps))
    if "fp32" in sums and "python" in sums:
        deltas = [f"{label} {abs(sums['fp32'][key] - sums['python'][key]):.4f}" for key, label, _ in HEADLINE
                  if isinstance(sums["fp32"].get(key), (int, float)) and isinstance(sums["python"].get(key), (int, float))]
        lines.append("\nC++ engine (fp32) vs the Python streaming reference (python), |difference| per metric "
                     "(issue 4 asks ≤ 0.01): " + "; ".join(deltas))
    lines.append("\nColumns: fp32/int8 = tmrvc-convert (C++ engine) at q = 0, with the enrolled speaker's bank "
                 "(docs/speaker-bank.md); fp32_no_bank = the same speaker without its bank (the converter's own "
                 "envelopes, as before issue 18); plugin = the VST3 in pedalboard; "
                 "fp32_q1 = tmrvc-convert at q = 1 (6 hops lookahead, HQ converter); fp32_vocoder_phase = synthesis with "
                 "the vocoder's own phase instead of the reconstructed one (the default); python = the Python "
                 "streaming reference (tmrvc_core + ONNX Runtime in Python) on the same FP32 models.")
    return lines


def speed_section(results: dict) -> list[str]:
    bench = results.get("bench", {}).get("table", "").strip()
    conv = results.get("convert", {})
    lines = ["```", bench or "(no benchmark)", "```"]
    for p in ("fp32", "int8", "fp32_q1"):
        if p in conv and "rtf_median" in conv[p]:
            lines.append(f"- tmrvc-convert {p.upper()}: real-time factor {conv[p]['rtf_median']:.3f} (median over "
                         f"{conv[p]['files']} files, block 256, 48 kHz, q = {conv[p].get('q', 0.0):g})")
    return lines


def latency_section(results: dict) -> list[str]:
    rows = results.get("latency", {}).get("rows", [])
    lines = ["| host rate | block | q | reported (samples) | reported (ms) | measured (samples) |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['rate']} | {r['block']} | {r.get('q', 0.0):g} | {r['reported']} | {r['reported_ms']:.2f} | "
              f"{r['measured']} |" for r in rows]
    return lines


def parity_lines(parity: dict) -> list[str]:
    runs = parity.get("runs") or [{"q": 0.0, "snr_db": parity.get("snr_db", float("nan")),
                                    "max_abs": parity.get("max_abs", float("nan"))}]
    return [f"- whole pipeline on {parity.get('audio_seconds', 0):.1f} s of `{parity.get('file')}` at {parity.get('rate')} Hz, "
            f"q = {run['q']:g}{' (HQ converter)' if run.get('hq_converter') else ''}, "
            f"{'vocoder' if run.get('vocoder_phase') else 'reconstructed'} phase: SNR {run['snr_db']:.1f} dB "
            f"(contract ≥ 60), max abs {run['max_abs']:.2e}" for run in runs]


def figures(ctx: Context) -> list[str]:
    """spectrogram.png for the first held-out utterance; the report links it and the per-variant plots."""
    from demo_figures import spectrogram_figure  # noqa: PLC0415

    es = ctx.results.get("eval_set", {})
    pairs = es.get("pairs") or []
    if not pairs or not es.get("dir"):
        return ["(no figures)"]
    name = f"{pairs[0]}.wav"
    ev = Path(es["dir"])
    files = {"source": ev / "source" / name, "ground_truth": ev / "ground_truth" / name}
    for variant in ("fp32", "fp32_vocoder_phase", "fp32_q1"):
        files[variant] = ctx.out / "converted" / variant / name
    spec = spectrogram_figure(files, ctx.out / "spectrogram.png")
    lines = [f"![spectrograms]({spec.name})" if spec else "(no spectrogram)", ""]
    for variant in ("fp32", "ground_truth"):
        if (ctx.out / "eval" / variant / "metrics.png").is_file():
            lines.append(f"![{variant} metrics](eval/{variant}/metrics.png)")
    return lines


def phones_section(results: dict) -> list[str]:
    """The content encoder's frame phone accuracy per voice (argmax of its posteriors against the synthesiser's
    labels, speech frames), held-out voices first."""
    ph = results.get("phones", {})
    if not ph.get("rows"):
        return [ph.get("note", "(not measured)")]
    lines = ["| split | voice | group | accuracy (speech frames) | accuracy (all frames) | speech frames |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['split']} | {r['voice']} | {r['group']} | {r['accuracy_speech']:.3f} | {r['accuracy']:.3f} | "
              f"{r['speech_frames']} |" for r in ph["rows"]]
    return lines


def training_section(results: dict) -> list[str]:
    t = results.get("train", {})
    lines = [f"- {k}: {v:.0f} s" for k, v in t.get("stage_seconds", {}).items()]
    corpus = results.get("corpus", {}).get("info", {})
    if corpus:
        lines.insert(0, f"- corpus: {json.dumps(corpus)[:300]}")
    return lines


def write_report(ctx: Context) -> Path:
    r = ctx.results
    stage_times = {k: v.get("seconds", 0.0) for k, v in r.items() if isinstance(v, dict) and "seconds" in v}
    parity = r.get("parity", {})
    plugin = r.get("plugin", {})
    es = r.get("eval_set", {})
    lines = ["# TMRVC demo report", "",
             f"Mode: {'QUICK (tiny sizes: numbers are not meaningful)' if ctx.quick else 'full demo recipe'}. "
             f"Target (held-out voice): `{es.get('target')}`; sources: {es.get('sources')}; "
             f"{len(es.get('pairs', []))} held-out utterances at 48 kHz.", "",
             "## Quality (tmrvc-eval; identity = source unchanged, other_voice = a different held-out voice, "
             "ground_truth = the target voice itself)", "", *quality_table(r), "",
             "Plots per variant: `eval/<variant>/` (mel spectrograms, F0 contours, metric bars).", "",
             "## Figures", "", *figures(ctx), "",
             "## Speed (this machine, 1 intra-op thread)", "", *speed_section(r), "",
             "## Latency (analysis–resynthesis self-test: reported vs measured by cross-correlation)", "",
             *latency_section(r), "",
             "## Python ↔ C++ parity", "",
             *parity_lines(parity),
             f"- VST3 plugin in pedalboard vs tmrvc-convert: max abs {plugin.get('max_abs_vs_tmrvc_convert', '–')}"
             f" (bundle `{plugin.get('bundle')}`)", "",
             "## Content encoder: frame phone accuracy (held-out voices and sentences; training voices for scale)", "",
             *phones_section(r), "",
             "## Training", "", *training_section(r), "",
             "## Stage wall times (s)", "", *[f"- {k}: {v:.0f}" for k, v in stage_times.items()], ""]
    path = ctx.out / "report.md"
    path.write_text("\n".join(lines))
    (ctx.out / "results.json").write_text(json.dumps(r, indent=2, default=str))
    from demo_figures import report_image  # noqa: PLC0415

    report_image(path, ctx.out / "report.png")
    return path
