"""Speaker augmentation: the envelope warp moves formants by the factor, a sibling keeps the source's timing
and moves its pitch by the asked scale, and the corpus builder adds siblings of real training voices only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tmrvc_core.dsp.f0 import f0_track
from tmrvc_data.make_corpus import CorpusConfig
from tmrvc_data.make_corpus import main as make_corpus
from tmrvc_data.speaker_augment import SiblingParams, make_sibling, sibling_params, warp_envelope


def test_warp_moves_an_envelope_peak_by_the_factor() -> None:
    bins = np.arange(513)
    sp = np.exp(-0.5 * ((bins - 100) / 6.0) ** 2)[None] + 1e-6
    for warp in (0.85, 1.2):
        out = warp_envelope(sp, warp)
        assert int(np.argmax(out[0])) == pytest.approx(100 * warp, abs=1)
    with pytest.raises(ValueError, match="positive"):
        warp_envelope(sp, 0.0)


def test_sibling_params_are_deterministic_and_spread() -> None:
    a = [sibling_params("fest_kal", k, 1) for k in range(4)]
    assert a == [sibling_params("fest_kal", k, 1) for k in range(4)]
    warps = sorted(p.warp for p in a)
    assert warps[0] < 0.9 and warps[-1] > 1.1 and len(set(warps)) == 4


def test_sibling_keeps_timing_and_scales_pitch(tiny_corpus: Path) -> None:
    x, sr = sf.read(tiny_corpus / "wavs" / "fest_kal" / "fest_kal__s000.wav")
    y = make_sibling(x, sr, SiblingParams(warp=1.15, f0_scale=1.3, breath=1.0))
    assert len(y) == len(x) and np.all(np.isfinite(y)) and 0.3 < np.max(np.abs(y)) <= 0.95

    def median_f0(sig: np.ndarray) -> float:
        from scipy.signal import resample_poly
        f0 = f0_track(resample_poly(sig, 3, 2) if sr == 16000 else sig)
        return float(np.median(f0[f0 > 0]))

    assert median_f0(y) / median_f0(x) == pytest.approx(1.3, rel=0.08)


def test_corpus_siblings_only_for_real_training_voices(tmp_path: Path) -> None:
    cfg = CorpusConfig(out=str(tmp_path / "c"), voices=("fest_kal", "fest_ked", "esp_m1"), test_voices=("fest_ked",),
                       n_sentences=2, n_val_sentences=0, n_test_sentences=1, siblings_per_voice=2,
                       progress=False, workers=2)
    utts = make_corpus(cfg)
    speakers = {u.speaker for u in utts}
    assert speakers == {"fest_kal", "fest_ked", "esp_m1", "fest_kal_aug0", "fest_kal_aug1"}
    splits = json.loads((tmp_path / "c" / "splits.json").read_text())
    assert {"fest_kal_aug0", "fest_kal_aug1"} <= set(splits["voices"]["train"])
    src = json.loads((tmp_path / "c" / "phones" / "fest_kal" / "fest_kal__s000.json").read_text())
    sib = json.loads((tmp_path / "c" / "phones" / "fest_kal_aug0" / "fest_kal_aug0__s000.json").read_text())
    assert sib["phones"] == src["phones"] and sib["sibling_of"] == "fest_kal"
