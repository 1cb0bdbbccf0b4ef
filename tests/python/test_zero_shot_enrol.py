"""Zero-shot enrolment: the torch-free `tmrvc-enroll --zero-shot` (Python, ONNX Runtime) and the engine's C++
`enrol_zero_shot` (the plugin's code path) give the same speaker file from the same audio, at any input rate.

Uses the tiny real model folder of the `tiny_models` fixture (real ONNX files exported from random-weight
students) and synthetic voiced clips at 44.1 kHz and 16 kHz.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tmrvc_core.speaker_file import SpeakerFile, decode_speaker_file, read_speaker_file

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build"))
CONVERT = BUILD / "tmrvc-engine" / "tmrvc-convert"
CREATED = "2026-01-01T00:00:00Z"


def voiced_clip(seconds: float, rate: int, f0: float, seed: int) -> np.ndarray:
    """A vowel-like signal: harmonics of a gliding F0 through two formant-ish resonances, plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 * (1.0 + 0.08 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    x = sum(np.sin(k * phase) / k * (1.0 + 2.0 * np.exp(-((k * f0 - 700.0) / 300.0) ** 2)) for k in range(1, 30))
    x = x * (0.6 + 0.4 * np.sin(2 * np.pi * 2.3 * t) ** 2) + 0.01 * rng.standard_normal(t.size)
    return (0.25 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """10.5 s in three files: two WAV at 44.1 kHz, one FLAC at 16 kHz (the 'held-out voice')."""
    d = tmp_path_factory.mktemp("enrol_audio")
    spec = [("a.wav", 4.0, 44100, 180.0), ("b.wav", 3.5, 44100, 200.0), ("c.flac", 3.0, 16000, 190.0)]
    out = []
    for i, (name, sec, rate, f0) in enumerate(spec):
        sf.write(d / name, voiced_clip(sec, rate, f0, i), rate, subtype="FLOAT" if name.endswith(".wav") else "PCM_24")
        out.append(d / name)
    return out


def python_enrol(models: Path, clips: list[Path], out: Path, *extra: str) -> subprocess.CompletedProcess:
    """`tmrvc-enroll --zero-shot` in a fresh interpreter, which must never import torch."""
    code = ("import sys\nfrom tmrvc_train.enroll_cli import cli\nrc = cli(sys.argv[1:])\n"
            "assert 'torch' not in sys.modules, 'the zero-shot path imported torch'\nsys.exit(rc)\n")
    args = ["--zero-shot", "--models", str(models), "--out", str(out), "--name", "held_out", *extra,
            *map(str, clips)]
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def test_zero_shot_cli_needs_no_torch_and_writes_a_valid_file(tiny_models: Path, clips: list[Path],
                                                              tmp_path: Path) -> None:
    out = tmp_path / "py.tmrvc_speaker"
    r = python_enrol(tiny_models, clips, out)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tiny_models / "metadata.json").read_text())
    spk = read_speaker_file(out, expected_embed_size=192, expected_lora_size=meta["lora"]["size"],
                            expected_model_id=meta["model_id"])
    assert abs(float(np.linalg.norm(spk.spk_embed)) - 1.0) < 1e-5
    assert np.abs(spk.lora_delta).max() > 0.0
    assert spk.metadata["n_utterances"] == 3 and spk.metadata["enrolment"] == {"mode": "zero-shot", "steps": 0}
    assert abs(spk.metadata["total_seconds"] - 10.5) < 0.05
    assert 5.0 < spk.metadata["f0_log_mean"] < 5.5  # the clips glide around 180–200 Hz (log 5.2–5.3)


def test_zero_shot_cli_rejects_too_little_audio(tiny_models: Path, clips: list[Path], tmp_path: Path) -> None:
    r = python_enrol(tiny_models, clips[:2], tmp_path / "x.tmrvc_speaker")
    assert r.returncode == 1 and "utterances or at least 10 s" in r.stderr


def test_cpp_and_python_zero_shot_agree(tiny_models: Path, clips: list[Path], tmp_path: Path) -> None:
    import tmrvc_engine
    from tmrvc_train.enroll_zero_shot import enrol_clips, read_mono

    audio = [read_mono(p) for p in clips]
    meta = json.loads((tiny_models / "metadata.json").read_text())
    assert meta["models"]["converter"].get("bank"), "the tiny models should have a speaker bank"
    py = enrol_clips(tiny_models, audio, "held_out", created_at=CREATED)
    cpp_file = tmp_path / "cpp.tmrvc_speaker"
    t0 = time.perf_counter()
    cpp = tmrvc_engine.enrol_zero_shot(str(tiny_models), [(x.astype(np.float32), sr) for x, sr in audio],
                                       "held_out", CREATED, str(cpp_file))
    print(f"C++ zero-shot enrolment with the bank, {py.metadata['total_seconds']:.1f} s of audio: "
          f"{time.perf_counter() - t0:.2f} s")
    assert cpp_file.read_bytes() == cpp["file_bytes"]
    # The C++ file passes the Python reader (checksum, sizes, metadata) and the engine's own reader.
    back = decode_speaker_file(cpp["file_bytes"], 192, meta["lora"]["size"], meta["model_id"])
    assert tmrvc_engine.read_speaker_file(str(cpp_file))["name"] == "held_out"
    assert cpp["file_bytes"][4] == 3 and back.has_bank and py.has_bank  # version 3: both built the bank
    assert_banks_agree(back, py, meta["models"]["converter"]["bank"]["knots_hz"])
    # ORT Python vs C++ on the same model (contract: 1e-5); the inputs differ only by float32 vs float64 DSP.
    np.testing.assert_allclose(back.spk_embed, py.spk_embed, atol=1e-4)
    np.testing.assert_allclose(back.lora_delta, py.lora_delta, atol=1e-4 * max(1.0, np.abs(py.lora_delta).max()))
    assert float(back.spk_embed @ py.spk_embed) > 0.9999
    assert set(back.metadata) == set(py.metadata)
    for key, value in py.metadata.items():
        if isinstance(value, float):
            assert abs(back.metadata[key] - value) < 1e-3, key
        else:
            assert back.metadata[key] == value, key


def assert_banks_agree(cpp: SpeakerFile, py: SpeakerFile, knots_hz: list[float]) -> None:
    """Same frames kept; keys and values equal up to what float32 vs float64 DSP moves.

    From the same 24 kHz samples the two builders agree to rounding (measured: keys 5e-8, values 6e-6 nepers).
    From other rates the resamplers differ (C++ float32, Python float64) by ~1e-7 of full scale, and the C++ F0
    is a float32. Two effects follow. (1) Where a clip has nothing, above 8 kHz in a 16 kHz clip, only the
    resampler's stop-band residue is left, whose log magnitudes and log-mels move by ~1e-3 nepers with that
    rounding (measured on a 16 kHz clip alone: values 99th percentile 2e-3 above 8 kHz, under 5e-5 below 7 kHz;
    keys, which read those log-mels, 9e-5). (2) A harmonic centre that falls on a half bin is rounded (np.rint) to
    one bin or the next depending on the last bits of F0: seen once in 1050 frames, F0 157.03125 Hz = 6.7 bins,
    whose 5th harmonic sits at 33.5 bins; that frame's H at 10 kHz (noise there) moved by 0.39 nepers. So: values
    below 7 kHz within 1e-4 nepers and all values within 1e-3 at the 99th percentile; at most 1 % of frames off
    by more than 0.01 nepers anywhere, none by a neper (no frame mismatched or shifted); keys within 5e-4."""
    assert cpp.bank_keys.shape == py.bank_keys.shape and cpp.bank_values.shape == py.bank_values.shape
    assert cpp.metadata["bank_frames"] == py.metadata["bank_frames"] == py.bank_keys.shape[0]
    key_err = np.abs(cpp.bank_keys - py.bank_keys)
    value_err = np.abs(cpp.bank_values - py.bank_values)
    low = np.tile(np.asarray(knots_hz) < 7000.0, 2)  # H knots then N knots
    p99, p99_low = np.percentile(value_err, 99), np.percentile(value_err[:, low], 99)
    off = float(np.mean(value_err.max(axis=1) > 0.01))
    print(f"bank of {py.bank_keys.shape[0]} frames: keys max diff {key_err.max():.2e}; values 99th percentile "
          f"{p99:.2e} nepers ({p99_low:.2e} below 7 kHz), max {value_err.max():.2e}, {100 * off:.2f} % of frames "
          f"off by > 0.01")
    assert key_err.max() < 5e-4
    assert p99_low < 1e-4
    assert p99 < 1e-3
    assert off <= 0.01
    assert value_err.max() < 1.0


def test_cpp_and_python_banks_thin_and_drop_silence_alike(tiny_models: Path) -> None:
    """33 s at 24 kHz with digital silence inside: more frames with sound than bank_frames, so both builders drop
    the silent frames and thin the rest evenly; from the same samples they keep the same frames (rounding apart)."""
    import tmrvc_engine
    from tmrvc_core import constants as K
    from tmrvc_core.dsp import magnitude_phase
    from tmrvc_train.enroll_zero_shot import enrol_clips

    audio = [voiced_clip(11.0, K.SAMPLE_RATE, f0, 10 + i).astype(np.float64) for i, f0 in enumerate((150., 210., 120.))]
    audio[1][48000:72000] = 0.0  # 1 s of digital silence: ~97 frames without sound
    clips = [(x, K.SAMPLE_RATE) for x in audio]
    py = enrol_clips(tiny_models, clips, "long", created_at=CREATED)
    t0 = time.perf_counter()
    cpp = tmrvc_engine.enrol_zero_shot(str(tiny_models), [(x.astype(np.float32), r) for x, r in clips], "long", CREATED)
    print(f"C++ zero-shot enrolment with the bank, 33 s of audio: {time.perf_counter() - t0:.2f} s")
    meta = json.loads((tiny_models / "metadata.json").read_text())
    back = decode_speaker_file(cpp["file_bytes"], 192, meta["lora"]["size"], meta["model_id"])
    assert back.bank_keys.shape[0] == py.bank_keys.shape[0] == K.BANK_FRAMES == cpp["bank_frames"]
    # Thinned from 3300 - ~97 frames: the kept frames of the two builders are the same frames.
    np.testing.assert_allclose(back.bank_keys, py.bank_keys, atol=1e-6, rtol=0)
    np.testing.assert_allclose(back.bank_values, py.bank_values, atol=1e-4, rtol=0)
    # The case is the one meant: frames were dropped (else the C++ picks would fall elsewhere) and then thinned.
    heard = sum(int((magnitude_phase(x)[0].max(axis=0) > 10 * K.FEATURE_FLOOR).sum()) for x in audio)
    assert K.BANK_FRAMES < heard < 3300 - 90


def test_cpp_bank_values_equal_python_on_the_same_frames(tiny_models: Path) -> None:
    """frame_envelopes.cpp against tmrvc_core.dsp.envelopes on identical float64 frames: only rounding apart."""
    import tmrvc_engine

    from tmrvc_core import constants as K
    from tmrvc_core.dsp import f0_track, magnitude_phase
    from tmrvc_core.dsp.envelopes import bank_values

    knots = json.loads((tiny_models / "metadata.json").read_text())["models"]["converter"]["bank"]["knots_hz"]
    x = np.concatenate([voiced_clip(1.0, 24000, f0, i) for i, f0 in enumerate((85.0, 140.0, 260.0))]).astype(float)
    x[6000:9000] = 0.01 * np.random.default_rng(5).standard_normal(3000)  # unvoiced frames too
    mag, _ = magnitude_phase(x)
    f0 = f0_track(x)[: mag.shape[1]]
    assert (f0 > 0).sum() > 100 and (f0 == 0).sum() > 5
    log_mag = np.log(np.maximum(mag, K.FEATURE_FLOOR))
    want = bank_values(log_mag, f0, np.asarray(knots))
    got = tmrvc_engine.bank_values(log_mag, f0, knots)
    assert got.shape == want.shape == (mag.shape[1], 2 * len(knots))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_cpp_zero_shot_errors_say_what_to_fix(tiny_models: Path, tmp_path: Path) -> None:
    import tmrvc_engine

    short = [(np.zeros(24000, np.float32), 24000)]
    with pytest.raises(RuntimeError, match="utterances or at least 10 s"):
        tmrvc_engine.enrol_zero_shot(str(tiny_models), short, "x")
    with pytest.raises(RuntimeError, match="model folder"):
        tmrvc_engine.enrol_zero_shot(str(tmp_path), short * 3, "x")
    silent = [(np.zeros(48000 * 4, np.float32), 48000)] * 3
    with pytest.raises(RuntimeError, match="no voiced frames"):
        tmrvc_engine.enrol_zero_shot(str(tiny_models), silent, "x")


def test_both_speaker_files_convert_alike(tiny_models: Path, clips: list[Path], tmp_path: Path) -> None:
    """The converted audio with the C++ file equals the one with the Python file (same voice in the engine)."""
    import tmrvc_engine
    from tmrvc_train.enroll_zero_shot import read_mono

    assert CONVERT.is_file(), f"{CONVERT} missing: build the engine (cmake --build build)"
    py_file, cpp_file = tmp_path / "py.tmrvc_speaker", tmp_path / "cpp.tmrvc_speaker"
    # Both enrollers build the speaker bank, and the engine applies it.
    assert python_enrol(tiny_models, clips, py_file).returncode == 0
    audio = [read_mono(p) for p in clips]
    tmrvc_engine.enrol_zero_shot(str(tiny_models), [(x.astype(np.float32), sr) for x, sr in audio], "held_out",
                                 out=str(cpp_file))
    src = tmp_path / "src.wav"
    sf.write(src, voiced_clip(2.0, 24000, 120.0, 9), 24000, subtype="FLOAT")
    outs = []
    for spk in (py_file, cpp_file):
        out = tmp_path / f"out_{spk.stem}.wav"
        r = subprocess.run([str(CONVERT), "--models", str(tiny_models), "--speaker", str(spk), str(src), str(out)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        outs.append(sf.read(out, dtype="float64")[0])
    a, b = outs
    assert np.sqrt(np.mean(a ** 2)) > 1e-4  # the conversion produced audio
    snr = 10 * np.log10(np.sum(a ** 2) / max(np.sum((a - b) ** 2), 1e-30))
    assert snr > 40.0, f"outputs with the two speaker files differ: SNR {snr:.1f} dB"
