"""Feature cache: features equal tmrvc_core's, phoneme ids, pluggable teachers from local folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tmrvc_core.constants import HOP_LENGTH, N_MELS, N_VOICE_SOURCE_PARAMS
from tmrvc_core.dsp.f0 import f0_track
from tmrvc_core.dsp.mel import log_mel
from tmrvc_core.dsp.stft import magnitude_phase
from tmrvc_data.audio_io import read_mono
from tmrvc_data.cache import CacheConfig
from tmrvc_data.cache import main as build_cache
from tmrvc_data.teachers import (EcapaSpeakerTeacher, HFContentTeacher, PhonemeTeacher,
                                 TorchScriptSpeakerTeacher, align_frames)


def test_cache_matches_core_dsp(tiny_pre: Path, tiny_cache: Path) -> None:
    recs = [json.loads(line) for line in (tiny_cache / "index.jsonl").read_text().splitlines()]
    assert len(recs) == 9 and json.loads((tiny_cache / "cache.json").read_text())["bytes"] > 0
    r = recs[0]
    x, _ = read_mono(Path(r["path"]))
    mag, _ = magnitude_phase(x)
    assert r["n_frames"] == len(x) // HOP_LENGTH == mag.shape[1]
    np.testing.assert_allclose(np.load(tiny_cache / "mel" / f"{r['utt_id']}.npy"), log_mel(mag), rtol=1e-5,
                               atol=1e-4)
    np.testing.assert_allclose(np.load(tiny_cache / "mag" / f"{r['utt_id']}.npy"), mag, rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(np.load(tiny_cache / "f0" / f"{r['utt_id']}.npy"), f0_track(x), rtol=1e-6)
    assert np.load(tiny_cache / "mel" / f"{r['utt_id']}.npy").shape == (N_MELS, r["n_frames"])
    vs = np.load(tiny_cache / "voice_source" / f"{r['utt_id']}.npy")
    assert vs.shape == (N_VOICE_SOURCE_PARAMS,) and np.all(np.isfinite(vs))


def test_phoneme_ids_follow_timings(tiny_cache: Path) -> None:
    inv = json.loads((tiny_cache / "phones.json").read_text())
    assert inv[0] == "<sil>" and any(p.startswith("espeak:") for p in inv)
    assert any(p.startswith("festival:") for p in inv)
    t = PhonemeTeacher(["<sil>", "espeak:a", "espeak:b"])
    ids = t.ids([["a", 0.0, 0.05], ["b", 0.05, 0.1]], "espeak", 12)
    assert ids.tolist() == [1] * 5 + [2] * 5 + [0, 0]
    with pytest.raises(ValueError, match="not in the inventory"):
        t.ids([["zz", 0.0, 0.1]], "espeak", 10)
    for rec in (tiny_cache / "index.jsonl").read_text().splitlines():
        uid = json.loads(rec)["utt_id"]
        ids = np.load(tiny_cache / "phones" / f"{uid}.npy")
        assert ids.dtype == np.int16 and len(np.unique(ids)) > 5


def test_align_frames() -> None:
    feats = np.arange(5, dtype=float)[None]  # 20 ms frames
    assert align_frames(feats, 0.02, 10).tolist() == [[0, 0, 1, 1, 2, 2, 3, 3, 4, 4]]


def _tiny_hubert(folder: Path) -> None:
    from transformers import HubertConfig, HubertModel

    torch.manual_seed(0)
    cfg = HubertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                       conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    HubertModel(cfg).save_pretrained(folder)


class _TinySpk(torch.nn.Module):
    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = torch.stack([mel.mean(dim=2), mel.std(dim=2)], dim=2).flatten(1)[:, :12]
        return e, torch.zeros(1, 3)


def test_teachers_from_local_folders(tiny_pre: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"tried .*nowhere.*config\.json"):
        HFContentTeacher(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match=r"tried .*nowhere.*hyperparams\.yaml"):
        EcapaSpeakerTeacher(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match=r"tried .*spk\.pt"):
        TorchScriptSpeakerTeacher(str(tmp_path / "spk.pt"))
    _tiny_hubert(tmp_path / "hubert")
    torch.jit.script(_TinySpk()).save(str(tmp_path / "spk.pt"))
    out = tmp_path / "cache"
    two = tmp_path / "two.jsonl"
    lines = (tiny_pre / "manifest.jsonl").read_text().splitlines()
    two.write_text("\n".join(lines[:2]).replace(
        '"path": "wavs/', f'"path": "{tiny_pre}/wavs/') + "\n")
    cfg = CacheConfig(manifest=str(two), out=str(out), phonemes="off", content_teacher="hf", workers=1,
                      content_checkpoint=str(tmp_path / "hubert"), speaker_teacher="torchscript",
                      speaker_checkpoint=str(tmp_path / "spk.pt"), progress=False)
    recs = build_cache(cfg)
    r = recs[0]
    content = np.load(out / "content" / f"{r['utt_id']}.npy")
    assert content.shape == (32, r["n_frames"]) and np.std(content) > 0
    assert not (out / "phones").exists()
    spk = np.load(out / "spk" / f"{r['utt_id']}.npy")
    assert spk.shape == (12,) and np.linalg.norm(spk) == pytest.approx(1.0, abs=1e-5)
    means = np.load(out / "speakers.npz")
    assert set(means.files) == {x["speaker"] for x in recs}
    stamp = (out / "content" / f"{r['utt_id']}.npy").stat().st_mtime_ns
    build_cache(cfg)
    assert (out / "content" / f"{r['utt_id']}.npy").stat().st_mtime_ns == stamp
