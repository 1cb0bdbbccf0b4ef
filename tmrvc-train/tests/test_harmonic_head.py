"""The converter's harmonic-plus-noise head and the content encoder's F0 passthrough."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from tmrvc_core import constants as K
from tmrvc_core.dsp import magnitude_phase
from tmrvc_train.models import (
    ContentEncoder,
    ContentEncoderConfig,
    Converter,
    ConverterConfig,
    ConverterHQ,
    build_students,
)
from tmrvc_train.models.config import config_from_dict, config_to_dict
from tmrvc_train.models.converter_hq import stream_hq
from tmrvc_train.models.harmonic import HarmonicComb, harmonic_plus_noise
from tmrvc_train.models.students import StudentModels


def _f0_input(f0_hz: float) -> torch.Tensor:
    return torch.tensor([[float(np.log(f0_hz + 1.0))]])


@pytest.mark.parametrize("f0_hz", [95.0, 150.0, 233.0])
def test_comb_follows_the_stft_of_a_harmonic_tone(f0_hz: float) -> None:
    # Equal-amplitude harmonics through the real analysis STFT, normalised to their peak: below 3 kHz the
    # comb must trace the measured spectrum (main lobes, valleys) bin by bin.
    t = np.arange(K.SAMPLE_RATE // 2) / K.SAMPLE_RATE
    x = sum(np.cos(2 * np.pi * h * f0_hz * t) for h in range(1, int(5000 / f0_hz)))
    mag, _ = magnitude_phase(x)
    measured = mag[:, 20] / mag[:, 20].max()
    comb = HarmonicComb()(_f0_input(f0_hz))[0, :, 0].numpy()
    bins = slice(int(f0_hz / 2 * K.N_FFT / K.SAMPLE_RATE), int(3000 * K.N_FFT / K.SAMPLE_RATE))
    err = np.abs(comb[bins] - measured[bins])
    assert err.max() < 0.045, f"max |comb − measured| {err.max():.3f} at bin {bins.start + err.argmax()}"


def test_comb_is_silent_for_unvoiced_frames_and_finite_for_any_input() -> None:
    comb = HarmonicComb()
    assert comb(torch.zeros(1, 3)).abs().max() == 0
    wild = comb(torch.tensor([[-50.0, 0.01, 1e4, float("inf")]]))
    assert torch.isfinite(wild).all()
    assert wild[0, :, :2].abs().max() == 0  # negative and tiny (< f0_min / 2) inputs read as unvoiced


def test_harmonic_plus_noise_is_the_log_of_the_sum() -> None:
    g = torch.Generator().manual_seed(0)
    h, n = torch.randn(2, 513, 7, generator=g) * 20, torch.randn(2, 513, 7, generator=g) * 20
    comb = torch.rand(2, 513, 7, generator=g)
    want = torch.log(torch.exp(h.double()) * (comb.double() + 1e-3) + torch.exp(n.double()))
    got = harmonic_plus_noise(h, n, comb)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-4)


def test_content_encoder_passes_the_f0_input_through_its_last_channel() -> None:
    torch.manual_seed(0)
    enc = ContentEncoder(ContentEncoderConfig.tiny()).eval()
    mel, f0 = torch.randn(2, K.N_MELS, 12), torch.rand(2, 1, 12) * 6
    content = enc(mel, f0)
    assert content.shape == (2, K.D_CONTENT, 12)
    assert torch.equal(content[:, -1], f0[:, 0])
    streamed, _ = enc.forward_streaming(mel[..., :5], f0[..., :5], enc.init_state(2))
    assert torch.equal(streamed[:, -1], f0[:, 0, :5])


def _peaked_converter(cls: type = Converter) -> Converter:
    """Output layer fixed to H = 0, N = −6 everywhere, so the features are log(comb + 1e-3 + e^−6)."""
    conv = cls(ConverterConfig.tiny()).eval()
    with torch.no_grad():
        conv.out_proj.weight.zero_()
        conv.out_proj.bias[:K.N_FREQ_BINS] = 0.0
        conv.out_proj.bias[K.N_FREQ_BINS:] = -6.0
    return conv


def _peak_bins(feats: torch.Tensor, below_hz: float = 1500.0) -> list[int]:
    f = feats[: int(below_hz * K.N_FFT / K.SAMPLE_RATE)].numpy()
    return [k for k in range(1, len(f) - 1) if f[k] > f[k - 1] and f[k] >= f[k + 1] and f[k] > -1.0]


@pytest.mark.parametrize("f0_hz", [120.0, 200.0])
def test_converter_harmonics_sit_at_the_content_f0_and_follow_a_pitch_shift(f0_hz: float) -> None:
    torch.manual_seed(0)
    conv = _peaked_converter()
    spk, ac = torch.randn(1, K.D_SPEAKER), torch.randn(1, K.N_ACOUSTIC_PARAMS)
    bin_hz = K.SAMPLE_RATE / K.N_FFT
    for semitones in (0.0, 5.0):
        pitch = f0_hz * 2 ** (semitones / 12)
        content = torch.randn(1, K.D_CONTENT, 4)
        content[:, -1] = float(np.log(pitch + 1.0))
        with torch.no_grad():
            feats = conv(content, spk, ac)[0, :, -1]
        peaks = _peak_bins(feats)
        assert len(peaks) == int(1500 / pitch), peaks
        for h, k in enumerate(peaks, 1):
            assert abs(k - h * pitch / bin_hz) <= 0.5 + 1e-6, (h, k, pitch)
    content[:, -1] = 0.0  # unvoiced: only the noise envelope is left
    with torch.no_grad():
        flat = conv(content, spk, ac)[0, :, -1]
    torch.testing.assert_close(flat, torch.full_like(flat, float(np.log(1e-3 + np.exp(-6.0)))))


def test_hq_converter_reads_the_f0_of_its_own_frame_in_the_window() -> None:
    torch.manual_seed(0)
    hq = ConverterHQ.from_converter(_peaked_converter())
    content = torch.randn(1, K.D_CONTENT, 9)
    content[:, -1] = torch.log(torch.linspace(100, 300, 9) + 1.0)
    spk, ac = torch.randn(1, K.D_SPEAKER), torch.randn(1, K.N_ACOUSTIC_PARAMS)
    with torch.no_grad():
        whole = hq(content, spk, ac, lookahead=4)
        streamed = stream_hq(hq, content, spk, ac, lookahead=4)
        live = Converter.forward(hq, content, spk, ac)
    torch.testing.assert_close(streamed, whole, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(whole, live, rtol=1e-5, atol=1e-5)  # pw = 0: the live converter's harmonics


def test_old_checkpoints_keep_their_plain_heads_and_mismatched_sets_are_refused() -> None:
    old_conv = {k: v for k, v in config_to_dict(ConverterConfig.tiny()).items() if k != "harmonic_head"}
    old_enc = {k: v for k, v in config_to_dict(ContentEncoderConfig.tiny()).items() if k != "f0_passthrough"}
    assert config_from_dict("converter", old_conv).harmonic_head is False
    assert config_from_dict("content_encoder", old_enc).f0_passthrough is False
    s = build_students("tiny")
    plain_encoder = ContentEncoder(dataclasses.replace(s.content_encoder.cfg, f0_passthrough=False))
    with pytest.raises(ValueError, match="f0_passthrough"):
        StudentModels(plain_encoder, s.ir_estimator, s.speaker_encoder, s.converter, s.vocoder)
