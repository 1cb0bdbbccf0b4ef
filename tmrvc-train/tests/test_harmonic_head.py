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
from tmrvc_train.models.harmonic import HarmonicComb, envelope_basis, envelope_knots, harmonic_plus_noise
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
    n = conv.out_proj.out_features // 2  # values per envelope (knots, or bins)
    with torch.no_grad():
        conv.out_proj.weight.zero_()
        conv.out_proj.bias[:n] = 0.0
        conv.out_proj.bias[n:] = -6.0
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
    old_conv = {k: v for k, v in config_to_dict(ConverterConfig.tiny()).items()
                if k not in ("harmonic_head", "envelope_spacing_hz")}
    old_enc = {k: v for k, v in config_to_dict(ContentEncoderConfig.tiny()).items() if k != "f0_passthrough"}
    assert config_from_dict("converter", old_conv).harmonic_head is False
    assert config_from_dict("converter", old_conv).envelope_spacing_hz == 0.0  # per-bin envelopes, as trained
    knotless = {k: v for k, v in config_to_dict(ConverterConfig.tiny()).items() if k != "envelope_spacing_hz"}
    assert config_from_dict("converter", knotless).envelope_spacing_hz == 0.0
    assert config_from_dict("content_encoder", old_enc).f0_passthrough is False
    s = build_students("tiny")
    plain_encoder = ContentEncoder(dataclasses.replace(s.content_encoder.cfg, f0_passthrough=False))
    with pytest.raises(ValueError, match="f0_passthrough"):
        StudentModels(plain_encoder, s.ir_estimator, s.speaker_encoder, s.converter, s.vocoder)


def _least_squares_residual(basis: np.ndarray, target: np.ndarray, sel: np.ndarray) -> float:
    """Fraction of target's energy (over the bins in sel) that no combination of the basis rows reaches."""
    coef, *_ = np.linalg.lstsq(basis[:, sel].T, target[sel], rcond=None)
    residual = target[sel] - basis[:, sel].T @ coef
    return float(np.sum(residual ** 2) / np.sum(target[sel] ** 2))


def test_envelope_knots_hold_formants_but_not_a_voice_s_harmonic_ripple() -> None:
    cfg = ConverterConfig()
    knots = envelope_knots(cfg.envelope_spacing_hz, cfg.envelope_spacing_ratio)
    assert knots[0] == 0.0 and knots[-1] >= K.SAMPLE_RATE / 2
    assert np.all(np.diff(knots) >= cfg.envelope_spacing_hz - 1e-9) and cfg.envelope_spacing_hz >= 150.0
    basis = envelope_basis(knots).numpy()
    assert basis.shape == (len(knots), K.N_FREQ_BINS)
    np.testing.assert_allclose(basis.sum(axis=0), 1.0, atol=1e-6)  # an interpolation: constants pass unchanged
    freqs = np.arange(K.N_FREQ_BINS) * K.SAMPLE_RATE / K.N_FFT
    low = (freqs > 50) & (freqs < 1500)
    for f0 in (90.0, 120.0, 140.0):  # the harmonic ripple of a low or mid voice: filtered out
        ripple = np.cos(2 * np.pi * freqs / f0)
        assert _least_squares_residual(basis, ripple, low) > 0.8, f0
    # A vowel-like envelope (formants 300 Hz wide and wider) passes almost whole.
    formants = sum(a * np.exp(-0.5 * ((freqs - fc) / bw) ** 2)
                   for a, fc, bw in ((3.0, 700, 150), (2.0, 1200, 180), (1.5, 2600, 300), (1.0, 3500, 400)))
    assert _least_squares_residual(basis, formants - formants.mean(), freqs < 5000) < 0.05


def test_knotted_converter_cannot_draw_another_pitch_s_harmonics() -> None:
    """The output layer is set to the best fit it can make of a 100 Hz harmonic ripple (the source voice's,
    as it leaks through content); with knots it fails and only the comb at the commanded 190 Hz shows, while a
    per-bin head draws the ripple (the control)."""
    freqs = np.arange(K.N_FREQ_BINS) * K.SAMPLE_RATE / K.N_FFT
    sel = (freqs > 60) & (freqs < 1500)
    ripple = 2.0 * np.cos(2 * np.pi * freqs / 100.0)

    def ripple_at(feats: np.ndarray, f0: float) -> float:
        e = feats[sel] - np.convolve(feats, np.ones(9) / 9, "same")[sel]
        c = np.cos(2 * np.pi * freqs[sel] / f0)
        return float(np.dot(e, c) / (np.linalg.norm(e) * np.linalg.norm(c)))

    def features(spacing_hz: float) -> np.ndarray:
        conv = Converter(dataclasses.replace(ConverterConfig.tiny(), envelope_spacing_hz=spacing_hz)).eval()
        n = conv.out_proj.out_features // 2
        if spacing_hz > 0:
            basis = envelope_basis(envelope_knots(spacing_hz, conv.cfg.envelope_spacing_ratio)).numpy()
            assert n == basis.shape[0]
            h, *_ = np.linalg.lstsq(basis.T.astype(np.float64), ripple, rcond=None)
        else:
            h = ripple
        with torch.no_grad():
            conv.out_proj.weight.zero_()
            conv.out_proj.bias[:n] = torch.from_numpy(h.astype(np.float32))
            conv.out_proj.bias[n:] = -6.0
            content = torch.randn(1, K.D_CONTENT, 3)
            content[:, -1] = float(np.log(190.0 + 1.0))
            feats = conv(content, torch.randn(1, K.D_SPEAKER), torch.randn(1, K.N_ACOUSTIC_PARAMS))[0, :, -1]
        return feats.numpy().astype(np.float64)

    torch.manual_seed(0)
    knotted, per_bin = features(150.0), features(0.0)
    print(f"100 Hz ripple: knotted {ripple_at(knotted, 100.0):.3f}, per-bin {ripple_at(per_bin, 100.0):.3f}; "
          f"190 Hz comb (knotted) {ripple_at(knotted, 190.0):.3f}")
    assert abs(ripple_at(knotted, 100.0)) < 0.1 and ripple_at(knotted, 190.0) > 0.8
    assert ripple_at(per_bin, 100.0) > 0.2
