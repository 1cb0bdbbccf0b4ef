"""Whole-pipeline parity with a speaker bank: the C++ engine with a `.tmrvc_speaker` v3 vs the Python reference
(tmrvc_export.reference_pipeline, whose converter sessions carry the same bank.* initializers), SNR >= 60 dB as in
test_pipeline_parity.py, on the live converter and on the HQ converter (q = 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tmrvc_engine
from test_engine_speaker_bank import bank_speaker  # helpers of the neighbouring test modules
from test_pipeline_parity import snr_db, voiced_test_signal

from tmrvc_export.reference_pipeline import ReferenceModels, ReferenceSettings, reference_convert


@pytest.mark.parametrize("q", [0.0, 1.0])
def test_engine_with_bank_matches_python_reference(tiny_models: Path, tmp_path: Path, q: float) -> None:
    rate, block = 48000, 256
    speaker = bank_speaker(tiny_models, tmp_path / "bank.tmrvc_speaker")
    assert ReferenceModels(tiny_models, speaker).bank_applied
    assert not ReferenceModels(tiny_models, tiny_models / "demo.tmrvc_speaker").bank_applied
    x = voiced_test_signal(rate, 3.0)

    def engine(path: Path) -> np.ndarray:
        e = tmrvc_engine.StreamingEngine()
        e.set_vocoder_phase(True)
        e.load_models(str(tiny_models))
        e.load_speaker(str(path))
        e.set_quality(q)
        e.prepare(rate, block)
        e.set_non_realtime(True)
        return e.process(x, block)[block:]

    y = engine(speaker)
    ref = reference_convert(x, rate, tiny_models, speaker, ReferenceSettings(quality=q, vocoder_phase=True))[: y.size]
    snr = snr_db(ref, y)
    change = snr_db(engine(tiny_models / "demo.tmrvc_speaker"), y)
    print(f"bank pipeline parity q={q}: SNR {snr:.1f} dB; vs the speaker without its bank {change:.1f} dB")
    assert np.sqrt(np.mean(ref ** 2)) > 1e-3 and np.all(np.isfinite(y))
    assert snr >= 60.0
    assert change < 20.0, "the bank did not change the engine's output"
