"""Whole-pipeline parity: the C++ engine (pybind11 module) vs the Python streaming reference built from tmrvc_core
and onnxruntime, on 5 s of audio, at several host rates and block sizes (contract: SNR >= 60 dB).

The SNR contract is checked on the vocoder's own phase, where every step is plain arithmetic. The default
reconstructed phase (tmrvc_core.dsp.phase) picks spectral peaks: a float-level input difference (the 44.1 kHz
resampler's, ~1e-7) can flip one near-tie and give a harmonic a constant phase offset for good, which SNR
punishes although the spectrum is the same. That path is checked on its magnitude spectrogram instead, and its
C++ part bit for bit in test_phase_reconstruction.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import tmrvc_engine
from tmrvc_core.dsp.timing import latency_samples
from tmrvc_core.speaker_file import SpeakerFile, read_speaker_file, write_speaker_file
from tmrvc_export.reference_pipeline import ReferenceSettings, reference_convert

SECONDS = 5.0


def voiced_test_signal(rate: int, seconds: float = SECONDS, seed: int = 0) -> np.ndarray:
    """A gliding harmonic voice with a little noise and pauses: exercises F0, mel and every model."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    f0 = 130.0 + 40.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 16))
    envelope = (np.sin(2 * np.pi * 0.5 * t) > -0.6).astype(float)
    return (0.1 * x * envelope + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    err = np.sum((reference.astype(np.float64) - test) ** 2)
    return float(10 * np.log10(np.sum(reference.astype(np.float64) ** 2) / max(err, 1e-30)))


def engine_convert(models, rate: int, block: int, x: np.ndarray, q: float = 0.0,
                   stats: dict | None = None, vocoder_phase: bool = True) -> tuple[np.ndarray, int]:
    engine = tmrvc_engine.StreamingEngine()
    engine.set_vocoder_phase(vocoder_phase)
    engine.load_models(str(models))
    engine.load_speaker(str(models / "demo.tmrvc_speaker"))
    engine.set_quality(q)
    engine.prepare(rate, block)
    engine.set_non_realtime(True)
    y = engine.process(x, block)
    if stats is not None:
        stats.update(engine.stats())
    return y, engine.latency_samples()


@pytest.mark.parametrize("rate,block", [(48000, 64), (48000, 256), (48000, 511), (44100, 64), (44100, 256),
                                        (44100, 511)])
def test_engine_matches_python_reference(tiny_models, rate: int, block: int) -> None:
    x = voiced_test_signal(rate)
    y, latency = engine_convert(tiny_models, rate, block, x)
    # The engine adds one host block of buffering for its inference thread; the reference has none.
    extra = latency - latency_samples(rate)
    assert extra == block
    ref = reference_convert(x, rate, tiny_models, tiny_models / "demo.tmrvc_speaker",
                            ReferenceSettings(vocoder_phase=True))
    aligned = y[extra:]
    snr = snr_db(ref[: aligned.size], aligned)
    print(f"pipeline parity {rate} Hz block {block}: SNR {snr:.1f} dB, max abs "
          f"{np.max(np.abs(ref[:aligned.size] - aligned)):.2e}, rms {np.sqrt(np.mean(ref ** 2)):.3f}")
    assert np.all(np.isfinite(y))
    assert np.sqrt(np.mean(ref ** 2)) > 1e-3, "the reference output is silent: nothing was compared"
    assert snr >= 60.0


@pytest.mark.parametrize("q,hq", [(0.5, False), (1.0, False), (1.0, True)])
def test_lookahead_matches_python_reference(tiny_models, tmp_path, q: float, hq: bool) -> None:
    """q > 0: lookahead round(6 q) hops, a longer F0 window, and the HQ converter when the folder has one."""
    folder = tiny_models
    if not hq:  # the same models without converter_hq.onnx: the live converter with a delayed, centred F0
        folder = tmp_path / "live"
        shutil.copytree(tiny_models, folder)
        (folder / "converter_hq.onnx").unlink()
    elif not (folder / "converter_hq.onnx").is_file():
        pytest.fail("the tiny model folder has no converter_hq.onnx (tmrvc-export --random-init writes one)")
    rate, block = 48000, 256
    x = voiced_test_signal(rate, 3.0)
    stats: dict = {}
    y, latency = engine_convert(folder, rate, block, x, q, stats)
    assert stats["hq_converter"] == hq and stats["lookahead_hops"] == round(6 * q)
    hops = round(6 * q)
    assert latency == latency_samples(rate) + block + hops * rate // 100
    ref = reference_convert(x, rate, folder, folder / "demo.tmrvc_speaker",
                            ReferenceSettings(quality=q, vocoder_phase=True))
    aligned = y[block:]
    snr = snr_db(ref[: aligned.size], aligned)
    print(f"pipeline parity q={q} hq={hq}: SNR {snr:.1f} dB")
    assert np.sqrt(np.mean(ref ** 2)) > 1e-3 and np.all(np.isfinite(y))
    assert snr >= 60.0


def speaker_with_preset(models, tmp_path, f0_log_mean: float) -> Path:
    """demo.tmrvc_speaker with a voice-source preset and the given mean log-F0 (same embedding, LoRA, model_id)."""
    spk = read_speaker_file(models / "demo.tmrvc_speaker")
    meta = dict(spk.metadata, f0_log_mean=f0_log_mean,
                voice_source_preset=[0.9, 0.1, -0.8, 0.7, 0.09, 0.01, 0.6, 0.95])
    path = tmp_path / "preset.tmrvc_speaker"
    write_speaker_file(path, SpeakerFile(spk.spk_embed, spk.lora_delta, meta))
    return path


@pytest.mark.parametrize("pitch,auto,preset", [(-3.0, False, 0.0), (0.0, True, 0.0), (2.0, True, 0.7),
                                               (0.0, False, 1.0)])
def test_pitch_and_preset_controls_match_python_reference(tiny_models, tmp_path, pitch, auto, preset) -> None:
    """Pitch shift, auto pitch match (input mean log-F0 → the speaker's, here an octave below the input) and the
    voice-preset blend act exactly as the reference defines them, and each changes the output."""
    rate, block = 48000, 256
    x = voiced_test_signal(rate, 3.0)
    speaker = speaker_with_preset(tiny_models, tmp_path, f0_log_mean=float(np.log(65.0)))

    def engine(pitch_, auto_, preset_):
        e = tmrvc_engine.StreamingEngine()
        e.load_models(str(tiny_models))
        e.load_speaker(str(speaker))
        e.set_vocoder_phase(True)
        e.set_pitch_shift(pitch_)
        e.set_auto_pitch_match(auto_)
        e.set_voice_preset_amount(preset_)
        e.prepare(rate, block)
        e.set_non_realtime(True)
        return e.process(x, block)[block:]

    y = engine(pitch, auto, preset)
    ref = reference_convert(x, rate, tiny_models, speaker, ReferenceSettings(
        vocoder_phase=True, pitch_semitones=pitch, auto_pitch=auto, preset_amount=preset))[: y.size]
    snr = snr_db(ref, y)
    plain = engine(0.0, False, 0.0)
    change = snr_db(plain, y)
    print(f"pitch {pitch} auto {auto} preset {preset}: parity SNR {snr:.1f} dB, vs no control {change:.1f} dB")
    assert snr >= 60.0
    assert change < 40.0, "the control did not change the output"


@pytest.mark.parametrize("rate", [48000, 44100])
def test_reconstructed_phase_path_matches_on_the_spectrum(tiny_models, rate: int) -> None:
    block = 256
    x = voiced_test_signal(rate, 3.0)
    y, _ = engine_convert(tiny_models, rate, block, x, vocoder_phase=False)
    ref = reference_convert(x, rate, tiny_models, tiny_models / "demo.tmrvc_speaker", ReferenceSettings())
    aligned = y[block:]
    a, b = ref[: aligned.size].astype(np.float64), aligned.astype(np.float64)
    win = np.hanning(1024)
    spec = [np.abs(np.fft.rfft(np.lib.stride_tricks.sliding_window_view(v, 1024)[::256] * win, axis=1))
            for v in (a, b)]
    distance = np.linalg.norm(spec[0] - spec[1]) / np.linalg.norm(spec[0])
    per_frame = np.linalg.norm(spec[0] - spec[1], axis=1) / np.maximum(np.linalg.norm(spec[0], axis=1), 1e-9)
    vocoder_phase, _ = engine_convert(tiny_models, rate, block, x, vocoder_phase=True)
    print(f"reconstructed-phase path {rate} Hz: spectral distance {distance:.2e}, SNR {snr_db(a, b):.1f} dB")
    assert np.sqrt(np.mean(a ** 2)) > 1e-3 and np.all(np.isfinite(y))
    # Frames agree to ~1e-5; a peak-ownership decision can still flip on a near-tie between the engine's
    # float32 magnitudes and the reference's float64 ones, which moves a handful of frames (seen: 5 of 558
    # above 1e-3 with the knotted converter envelopes; with the YIN fallback one flip at 2.83 s moved 4 loud
    # frames by 0.10-0.14 each, a whole-file distance of 1.1e-2, while the vocoder-phase path there matches at
    # >= 60 dB SNR, so the models' inputs agree).
    assert np.median(per_frame) < 1e-4 and np.mean(per_frame > 1e-3) < 0.02
    assert distance < 2e-2
    assert not np.allclose(vocoder_phase, y, atol=1e-3), "set_vocoder_phase changed nothing"


@pytest.mark.parametrize("q", [0.0, 1.0])
def test_identity_mode_matches_python_reference(q: float) -> None:
    rate, block = 48000, 256
    x = voiced_test_signal(rate, 2.0)
    engine = tmrvc_engine.StreamingEngine()
    engine.set_identity_mode(True)
    engine.set_quality(q)
    engine.prepare(rate, block)
    engine.set_non_realtime(True)
    y = engine.process(x, block)
    ref = reference_convert(x, rate, settings=ReferenceSettings(identity=True, quality=q))
    aligned = y[block:]
    assert snr_db(ref[: aligned.size], aligned) >= 60.0


@pytest.mark.parametrize("q,hq", [(1.0, True), (1.0, False)])
def test_content_encoder_gets_the_training_f0_in_the_hq_lane(tiny_models, tmp_path, monkeypatch, q: float,
                                                             hq: bool) -> None:
    """The HQ lane encodes the newest frame, so its F0 must be the cache's (f0_track, the training window) frame
    for frame; the live lane at q > 0 uses the longer window centred on the delayed frame, which differs. The C++
    engine follows the reference (the parity tests above)."""
    from tmrvc_core import constants as C
    from tmrvc_core.dsp import f0_to_model_input, resample
    from tmrvc_core.dsp.f0 import f0_track
    from tmrvc_export import reference_pipeline as rp

    folder = tiny_models
    if not hq:
        folder = tmp_path / "live"
        shutil.copytree(tiny_models, folder)
        (folder / "converter_hq.onnx").unlink()
    fed = []
    run = rp.ReferenceModels.run

    def spy(self, name, inputs):
        if name == "content_encoder":
            fed.append(float(inputs["f0"][0, 0, 0]))
        return run(self, name, inputs)

    monkeypatch.setattr(rp.ReferenceModels, "run", spy)
    rate = 48000
    x = voiced_test_signal(rate, 2.0)
    reference_convert(x, rate, folder, folder / "demo.tmrvc_speaker", ReferenceSettings(quality=q))
    x24 = resample(x.astype(np.float64), rate, C.SAMPLE_RATE)
    training = f0_to_model_input(f0_track(x24[: len(fed) * C.HOP_LENGTH]), 0.0).astype(np.float32)
    voiced = training > 0
    assert voiced.mean() > 0.5, "the test signal should be mostly voiced"
    matches = np.isclose(np.array(fed), training, atol=1e-6)
    print(f"hq={hq}: {matches.mean():.3f} of the frames get the training F0")
    if hq:
        assert matches.all()
    else:
        assert matches.mean() < 0.5
