"""Issue 19's gate acceptance, "speech unchanged (tmrvc-eval scores within 0.01)", on the tiny models through the
C++ engine: utterances of two sentences with a pause holding a real breath between them (tmrvc_eval.gate_speech)
converted with the gate off and at −40 dBFS, then scored by tmrvc-eval with all its judges (speaker similarity,
MCD against the target voice's parallel sentences, F0, V/UV, level, artefact index, WER) on the source's speech
intervals only (`speech_only`); MCD also over whole utterances. Tolerances: tmrvc_eval.gate_speech.TOLERANCE (0.01 on
0–1 scales, 1 % of scores in dB or cents, one word of WER).

What holds (asserted): scored on speech, the pauses no longer move the scores (MCD moves 1.1 dB over whole
utterances, 0.1 dB on speech), and speaker similarity, MCD, V/UV, artefact index and WER stay within tolerance.
What does not (measured, printed, not asserted; issue 19 stays open on it): F0 correlation and level move by 0.013–0.022. Two causes, measured: the gate's
200 ms hold (GATE_HOLD_S) closes it inside phrases on unvoiced stretches longer than that ("fox jumps": /ks/, a
closure and /dʒ/, 230 ms without voicing), and it opens only at a phrase's first voiced hop, so an unvoiced start
("She", "Five") is silenced (no lookahead: the gate adds no latency). The tiny random models' F0 correlation is
about 0.3 and moves with every frame taken out, so it is the first score to leave 0.01."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from test_gate_formant import GATE_DB, RATE, energy_db, engine_out, espeak
from tmrvc_eval.cli import EvalConfig
from tmrvc_eval.cli import main as run_eval
from tmrvc_eval.gate_speech import (compare, format_table, outside, paused_utterance, real_breath,
                                    speech_touched)
from tmrvc_eval.metrics.wer import words

SOURCE, TARGET = "esp_m1", "esp_f2"
UTTERANCES = {
    "u1": ("The quick brown fox jumps over the lazy dog.", "Five wizards boxed a jolly quick jump."),
    "u2": ("She sells sea shells by the sea shore.", "Then she takes a breath and sings again."),
}
REFS = ("A large fawn jumped quickly over white zinc boxes.", "We promptly judged antique ivory buckles.")
N_WORDS = sum(len(words(f"{a} {b}")) for a, b in UTTERANCES.values())


def write_gate_eval_dirs(models: Path, d: Path, convert) -> Path:  # type: ignore[no-untyped-def]
    """source/, ground_truth/, target_ref/, conv_off/, conv_on/ and transcripts.json under d. convert(models, x,
    gate) → (y, latency); the outputs are written aligned with the input (the reported latency removed)."""
    for sub in ("source", "ground_truth", "target_ref", "conv_off", "conv_on"):
        (d / sub).mkdir()
    breath = real_breath(RATE)
    texts = {}
    for name, (a, b) in UTTERANCES.items():
        x = paused_utterance(espeak(a, SOURCE), espeak(b, SOURCE), RATE, breath)
        gt = paused_utterance(espeak(a, TARGET), espeak(b, TARGET), RATE, None)
        sf.write(d / "source" / f"{name}.wav", x, RATE, subtype="FLOAT")
        sf.write(d / "ground_truth" / f"{name}.wav", gt, RATE, subtype="FLOAT")
        for sub, gate in (("conv_off", None), ("conv_on", GATE_DB)):
            y, lat = convert(models, x, gate)
            sf.write(d / sub / f"{name}.wav", np.concatenate([y[lat:], np.zeros(lat, np.float32)]), RATE,
                     subtype="FLOAT")
        texts[name] = f"{a} {b}"
    for i, text in enumerate(REFS):
        sf.write(d / "target_ref" / f"r{i}.wav", espeak(text, TARGET), RATE, subtype="FLOAT")
    (d / "transcripts.json").write_text(json.dumps(texts))
    return d


def speech_scores(d: Path) -> dict[str, tuple[float, float, float]]:
    """tmrvc-eval on speech only, gate off and on → compare(...). The outputs are aligned (max_lag_s 0)."""
    def run(conv: str) -> dict:
        return run_eval(EvalConfig(converted=str(d / conv), source=str(d / "source"),
                                   target_ref=str(d / "target_ref"), ground_truth=str(d / "ground_truth"),
                                   transcripts=str(d / "transcripts.json"), out=str(d / f"eval_{conv}"), n_plots=0,
                                   speech_only=True, max_lag_s=0.0, progress=False))["summary"]
    table = compare(run("conv_off"), run("conv_on"))
    expected = {"speaker_similarity_converted_to_target", "mcd_db", "f0_correlation", "f0_rmse_cents", "vuv_error",
                "loudness_rms_ratio_mean", "artefact_index_converted_db", "wer_converted"}
    assert expected <= set(table), f"metrics missing from the comparison: {expected - set(table)}"
    return table


def whole_mcd(d: Path) -> tuple[float, float, float]:
    """tmrvc-eval's MCD over whole utterances (pauses included), gate off and on: (off, on, on − off)."""
    from tmrvc_eval.audio import load
    from tmrvc_eval.evaluate import EVAL_RATE
    from tmrvc_eval.metrics.mcd import mcd_db

    def mean(conv: str) -> float:
        return float(np.mean([mcd_db(load(d / conv / f"{n}.wav", EVAL_RATE)[0],
                                     load(d / "ground_truth" / f"{n}.wav", EVAL_RATE)[0], EVAL_RATE)
                              for n in UTTERANCES]))
    off, on = mean("conv_off"), mean("conv_on")
    return off, on, on - off


def assert_gate_acted(d: Path) -> None:
    """The gate closed the pause with the breath: nothing would be tested otherwise."""
    off, _ = sf.read(d / "conv_off" / "u1.wav", dtype="float32")
    on, _ = sf.read(d / "conv_on" / "u1.wav", dtype="float32")
    lo, hi = int(0.05 * RATE), int(0.35 * RATE)  # the leading silence (0.4 s)
    print(f"leading silence: gate off {energy_db(off[lo:hi]):.1f} dB, on {energy_db(on[lo:hi]):.1f} dB")
    assert energy_db(on[lo:hi]) < energy_db(off[lo:hi]) - 30.0


ALWAYS_WITHIN = ("speaker_similarity_converted_to_target", "mcd_db", "vuv_error", "artefact_index_converted_db",
                 "wer_converted")


@pytest.fixture(scope="module")
def gate_tables(tiny_models: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = write_gate_eval_dirs(tiny_models, tmp_path_factory.mktemp("gate_eval"),
                             lambda m, x, g: engine_out(m, x, gate=g))
    assert_gate_acted(d)
    for name in UTTERANCES:
        x, off, on = (sf.read(d / sub / f"{name}.wav", dtype="float32")[0] for sub in ("source", "conv_off", "conv_on"))
        frac, onset = speech_touched(x, off, on, RATE)
        print(f"{name}: the gate changed {frac:.3f} of the speech samples, {onset:.3f} in phrases' first 200 ms")
    tables = {"whole": {"mcd_db": whole_mcd(d)}, "speech": speech_scores(d)}
    print("\n" + format_table(tables))
    return tables


def test_speech_only_scoring_leaves_the_pauses_out(gate_tables: dict) -> None:
    whole, speech = gate_tables["whole"], gate_tables["speech"]
    assert abs(whole["mcd_db"][2]) > 0.5, "the gate did not move the whole-utterance MCD: nothing tested"
    assert abs(speech["mcd_db"][2]) < abs(whole["mcd_db"][2]) / 5
    moved = {k: v for k, v in outside(speech, N_WORDS).items() if k in ALWAYS_WITHIN}
    assert not moved, f"on speech the gate moved (change, tolerance): {moved}"
