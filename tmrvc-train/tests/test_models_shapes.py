"""Model sizes, state sizes, output ranges, checkpoints and argument checking."""

from __future__ import annotations

import pytest
import torch

from tmrvc_core import constants as K
from tmrvc_train.models import (
    IREstimator,
    IREstimatorConfig,
    SpeakerEncoder,
    SpeakerEncoderConfig,
    build_students,
    load_checkpoint,
    save_checkpoint,
)


@pytest.fixture(scope="module")
def default_students():
    return build_students("default", seed=0)


def _params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_state_frames_match_constants(default_students):
    s = default_students
    assert s.content_encoder.state_frames == K.CONTENT_ENCODER_STATE_FRAMES
    assert s.converter.state_frames == K.CONVERTER_STATE_FRAMES
    assert s.vocoder.state_frames == K.VOCODER_STATE_FRAMES
    assert s.ir_estimator.state_frames == K.IR_ESTIMATOR_STATE_FRAMES
    assert tuple(s.converter.init_state(1).shape) == (1, K.CONVERTER_CHANNELS, K.CONVERTER_STATE_FRAMES)
    assert tuple(s.content_encoder.init_state(2).shape) == (2, K.CONTENT_ENCODER_CHANNELS,
                                                           K.CONTENT_ENCODER_STATE_FRAMES)


def test_converter_lora_sizes_match_constants(default_students):
    cfg = default_students.converter.cfg
    assert (cfg.film_d_in, cfg.film_d_out) == (K.FILM_D_IN, K.FILM_D_OUT)
    assert cfg.lora_size == K.LORA_SIZE and cfg.lora_layer_size == K.LORA_LAYER_SIZE
    assert cfg.lora_scale == K.LORA_SCALE


@pytest.mark.parametrize("name,lo,hi", [
    ("content_encoder", 1.5e6, 2.6e6),
    ("converter", 3.4e6, 4.6e6),
    ("vocoder", 1.0e6, 2.5e6),
    ("ir_estimator", 0.3e6, 1.5e6),
])
def test_param_counts_default(default_students, name, lo, hi):
    n = _params(getattr(default_students, name))
    assert lo <= n <= hi, f"{name}: {n} params"


def test_speaker_encoder_size_and_outputs(default_students):
    m = default_students.speaker_encoder
    head = _params(m.lora_hidden) + _params(m.lora_out)
    assert _params(m) - head <= 4.0e6
    with torch.no_grad():
        emb, lora = m(torch.randn(1, K.N_MELS, 300) - 4)
    assert emb.shape == (1, K.D_SPEAKER) and lora.shape == (1, K.LORA_SIZE)
    assert abs(emb.norm().item() - 1.0) < 1e-5
    assert torch.isfinite(lora).all() and lora.abs().max().item() > 0


def test_speaker_encoder_any_length():
    m = SpeakerEncoder(SpeakerEncoderConfig.tiny()).eval()
    with torch.no_grad():
        for t in (1, 17, 250):
            emb, lora = m(torch.randn(2, K.N_MELS, t))
            assert emb.shape == (2, K.D_SPEAKER) and lora.shape == (2, m.cfg.lora_size)


def test_ir_estimator_ranges():
    m = IREstimator(IREstimatorConfig.tiny()).eval()
    with torch.no_grad():
        m.out_proj.bias.fill_(40.0)  # saturate high
        hi = m(torch.randn(1, K.N_MELS, 5))[:, :, -1]
        m.out_proj.bias.fill_(-40.0)
        lo = m(torch.randn(1, K.N_MELS, 5))[:, :, -1]
    # Layout written out from the contract: 0-7 RT60, 8-15 DRR, 16-23 tilt, then 8 voice-source params.
    assert torch.allclose(hi[0, 0:8], torch.full((8,), 3.0)) and torch.allclose(hi[0, 8:16], torch.full((8,), 30.0))
    assert torch.allclose(hi[0, 16:24], torch.full((8,), 6.0))
    assert torch.allclose(lo[0, 0:8], torch.full((8,), 0.05)) and torch.allclose(lo[0, 8:16], torch.full((8,), -10.0))
    assert torch.allclose(lo[0, 16:24], torch.full((8,), -6.0))
    expected_vs_hi = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 1.0, 1.0])
    expected_vs_lo = torch.tensor([0.0, 0.0, -1.0, -1.0, 0.0, 0.0, -1.0, 0.0])
    assert torch.allclose(hi[0, 24:], expected_vs_hi) and torch.allclose(lo[0, 24:], expected_vs_lo)


def test_checkpoint_round_trip(tmp_path):
    s = build_students("tiny", seed=3)
    path = tmp_path / "students.pt"
    save_checkpoint(path, s, {"stage": "unit-test"})
    loaded, training = load_checkpoint(path)
    assert training == {"stage": "unit-test"}
    mel = torch.randn(1, K.N_MELS, 9)
    with torch.no_grad():
        a = s.content_encoder(mel, torch.zeros(1, 1, 9))
        b = loaded.content_encoder(mel, torch.zeros(1, 1, 9))
    assert torch.equal(a, b)
    assert loaded.converter.cfg == s.converter.cfg


def test_checkpoint_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save({"format": "something-else"}, bad)
    with pytest.raises(ValueError, match="format"):
        load_checkpoint(bad)
    with pytest.raises(ValueError, match="no file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_caller_mistakes_raise_value_error():
    s = build_students("tiny", seed=0)
    with pytest.raises(ValueError, match="mel"):
        s.content_encoder(torch.zeros(1, 79, 4), torch.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="f0"):
        s.content_encoder(torch.zeros(1, K.N_MELS, 4), torch.zeros(1, 1, 3))
    with pytest.raises(ValueError, match="state"):
        s.vocoder.forward_streaming(torch.zeros(1, K.N_FREQ_BINS, 1), torch.zeros(1, 3, 2))
    with pytest.raises(ValueError, match="spk_embed"):
        s.converter(torch.zeros(1, K.D_CONTENT, 2), torch.zeros(1, 10), torch.zeros(1, K.N_ACOUSTIC_PARAMS))
    with pytest.raises(ValueError, match="size"):
        build_students("huge")
