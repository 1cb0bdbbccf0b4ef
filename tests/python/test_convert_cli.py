"""`tmrvc-convert` (C++ CLI) end to end: identity mode reconstructs the input delayed by the printed latency,
conversion keeps rate and length, and every bad input gives one error line and a non-zero exit (never a crash).

Uses the tiny contract-conforming model folder of tests/fixtures/tiny_model_folder.py (real ONNX files).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build"))
CONVERT = BUILD / "tmrvc-engine" / "tmrvc-convert"


@pytest.fixture(scope="module")
def models(tiny_models: Path) -> Path:
    assert CONVERT.is_file(), f"{CONVERT} missing: build the engine (cmake --build build)"
    return tiny_models


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONVERT), *map(str, args)], capture_output=True, text=True, timeout=120)


def write_wav(path: Path, x: np.ndarray, rate: int) -> Path:
    wavfile.write(path, rate, x.astype(np.float32))
    return path


def speech_like(rate: int, seconds: float, seed: int = 0) -> np.ndarray:
    """A harmonic tone with vibrato, band-limited below 5 kHz (the engine runs at 24 kHz inside): (n,) float32."""
    t = np.arange(int(rate * seconds)) / rate
    f0 = 140 + 20 * np.sin(2 * np.pi * 3 * t) + 10 * seed
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase + k * seed) / k for k in range(1, 30))
    return (0.1 * x).astype(np.float32)


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    """libsndfile aligns the data chunk with a 'PAD ' chunk, which scipy reports as a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wavfile.WavFileWarning)
        return wavfile.read(path)


def latency_of(stdout: str) -> int:
    m = re.search(r"latency: (\d+) samples \(([\d.]+) ms", stdout)
    assert m, stdout
    return int(m.group(1))


def assert_one_line_error(p: subprocess.CompletedProcess, pattern: str) -> None:
    assert p.returncode > 0, (p.returncode, p.stderr)  # a clean non-zero exit, not a signal
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tmrvc-convert: error:"), p.stderr
    assert re.search(pattern, lines[0]), lines[0]


@pytest.mark.parametrize("rate,block", [(48000, 256), (44100, 37), (24000, 512)])
def test_identity_reconstructs_input_delayed_by_reported_latency(tmp_path: Path, rate: int, block: int) -> None:
    x = speech_like(rate, 1.0)
    p = run("--identity", "--block", block, write_wav(tmp_path / "in.wav", x, rate), tmp_path / "out.wav")
    assert p.returncode == 0, p.stderr
    assert "real-time factor:" in p.stdout
    lat = latency_of(p.stdout)
    out_rate, y = read_wav(tmp_path / "out.wav")
    assert out_rate == rate and y.dtype == np.float32 and y.shape == x.shape
    ref, got = x[: x.size - lat], y[lat:]
    snr = 10 * np.log10(np.sum(ref**2) / np.sum((got - ref) ** 2))
    assert snr > 30, f"identity SNR {snr:.1f} dB at latency {lat}"


def test_stereo_is_mixed_to_mono(tmp_path: Path) -> None:
    x = speech_like(48000, 0.5)
    stereo = np.stack([x, 0.5 * x], axis=1)
    p_st = run("--identity", write_wav(tmp_path / "st.wav", stereo, 48000), tmp_path / "st_out.wav")
    p_mono = run("--identity", write_wav(tmp_path / "mono.wav", 0.75 * x, 48000), tmp_path / "mono_out.wav")
    assert p_st.returncode == 0 and p_mono.returncode == 0, p_st.stderr + p_mono.stderr
    _, y_st = read_wav(tmp_path / "st_out.wav")
    _, y_mono = read_wav(tmp_path / "mono_out.wav")
    assert y_st.ndim == 1
    np.testing.assert_allclose(y_st, y_mono, atol=1e-6)


def test_conversion_keeps_rate_and_length_and_is_deterministic(tmp_path: Path, models: Path) -> None:
    x = speech_like(48000, 1.0, seed=1)
    src = write_wav(tmp_path / "in.wav", x, 48000)
    args = ("--models", models, "--speaker", models / "demo.tmrvc_speaker", "--pitch", "2")
    p1 = run(*args, "--block", 128, src, tmp_path / "a.wav")
    p2 = run(*args, "--block", 441, src, tmp_path / "b.wav")
    assert p1.returncode == 0 and p2.returncode == 0, p1.stderr + p2.stderr
    assert "converting" in p1.stdout
    rate, a = read_wav(tmp_path / "a.wav")
    _, b = read_wav(tmp_path / "b.wav")
    assert rate == 48000 and a.shape == x.shape and np.isfinite(a).all()
    lat_a, lat_b = latency_of(p1.stdout), latency_of(p2.stdout)
    assert np.abs(a[lat_a:]).max() > 1e-4  # the models produced something
    n = x.size - max(lat_a, lat_b)
    np.testing.assert_allclose(a[lat_a:lat_a + n], b[lat_b:lat_b + n], atol=1e-5)  # block-size invariant


def test_auto_pitch_flag_moves_the_pitch_as_the_reference_defines(tmp_path: Path, models: Path) -> None:
    """--auto-pitch shifts the input's running mean pitch onto the speaker's (here an octave under the input):
    the output follows the Python reference's auto pitch match, and differs from the unshifted conversion."""
    from test_pipeline_parity import speaker_with_preset
    from tmrvc_export.reference_pipeline import ReferenceSettings, reference_convert

    speaker = speaker_with_preset(models, tmp_path, f0_log_mean=float(np.log(70.0)))  # preset amount stays 0
    rate, block = 48000, 256
    x = speech_like(rate, 2.0)
    src = write_wav(tmp_path / "in.wav", x, rate)
    common = ("--models", models, "--speaker", speaker, "--vocoder-phase", "--block", block)
    p_auto = run(*common, "--auto-pitch", src, tmp_path / "auto.wav")
    p_plain = run(*common, src, tmp_path / "plain.wav")
    assert p_auto.returncode == 0 and p_plain.returncode == 0, p_auto.stderr + p_plain.stderr
    _, auto = read_wav(tmp_path / "auto.wav")
    _, plain = read_wav(tmp_path / "plain.wav")
    ref = reference_convert(x, rate, models, speaker, ReferenceSettings(vocoder_phase=True, auto_pitch=True))
    got = auto[block:].astype(np.float64)  # tmrvc-convert holds one block of buffering
    ref = ref[: got.size].astype(np.float64)
    parity = 10 * np.log10(np.sum(ref ** 2) / np.sum((got - ref) ** 2))
    change = 10 * np.log10(np.sum(plain ** 2) / np.sum((auto - plain) ** 2))
    assert parity >= 60.0, f"--auto-pitch vs the reference: {parity:.1f} dB"
    assert change < 30.0, f"--auto-pitch changed the output by only {change:.1f} dB SNR"


def test_gate_and_formant_flags_match_the_reference(tmp_path: Path, models: Path) -> None:
    """--gate and --formant act as the Python reference defines them (issue 19)."""
    from tmrvc_export.reference_pipeline import ReferenceSettings, reference_convert

    rate, block = 48000, 256
    x = speech_like(rate, 2.0)
    src = write_wav(tmp_path / "in.wav", x, rate)
    p = run("--models", models, "--speaker", models / "demo.tmrvc_speaker", "--vocoder-phase", "--block", block,
            "--gate", "-35", "--formant", "2.5", src, tmp_path / "out.wav")
    assert p.returncode == 0, p.stderr
    _, y = read_wav(tmp_path / "out.wav")
    ref = reference_convert(x, rate, models, models / "demo.tmrvc_speaker",
                            ReferenceSettings(vocoder_phase=True, gate_db=-35.0, formant_semitones=2.5))
    got = y[block:].astype(np.float64)
    ref = ref[: got.size].astype(np.float64)
    assert np.sum(ref ** 2) > 0
    parity = 10 * np.log10(np.sum(ref ** 2) / max(np.sum((got - ref) ** 2), 1e-30))
    assert parity >= 60.0, f"--gate/--formant vs the reference: {parity:.1f} dB"


@pytest.mark.parametrize("args,pattern", [
    ((), r"expected IN\.wav and OUT\.wav"),
    (("--identity", "--gate", "3", "a.wav", "b.wav"), r"--gate must be a threshold in dBFS"),
    (("--identity", "--formant", "7", "a.wav", "b.wav"), r"--formant must be in \[-6, 6\]"),
    (("--bogus", "a.wav", "b.wav"), r"unknown option --bogus"),
    (("--identity", "--block", "0", "a.wav", "b.wav"), r"--block must be an integer"),
    (("--identity", "--q", "1.5", "a.wav", "b.wav"), r"--q must be in \[0, 1\]"),
    (("--identity", "--pitch", "abc", "a.wav", "b.wav"), r"--pitch needs a number"),
    (("a.wav", "b.wav"), r"--models DIR and --speaker FILE are required"),
])
def test_bad_arguments(args: tuple, pattern: str) -> None:
    p = run(*args)
    assert p.returncode == 2
    assert_one_line_error(p, pattern)


def test_unreadable_and_garbage_wavs(tmp_path: Path) -> None:
    assert_one_line_error(run("--identity", tmp_path / "missing.wav", tmp_path / "o.wav"), r"cannot read audio file")
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk" * 3)
    assert_one_line_error(run("--identity", garbage, tmp_path / "o.wav"), r"cannot read audio file")
    src = write_wav(tmp_path / "in.wav", speech_like(48000, 0.2), 48000)
    assert_one_line_error(run("--identity", src, tmp_path / "no_dir" / "o.wav"), r"cannot write")


def test_broken_model_folder(tmp_path: Path, models: Path) -> None:
    src = write_wav(tmp_path / "in.wav", speech_like(48000, 0.2), 48000)
    broken = tmp_path / "broken"
    shutil.copytree(models, broken)
    (broken / "vocoder.onnx").unlink()
    (broken / "converter.onnx").write_bytes(b"not an onnx file")
    p = run("--models", broken, "--speaker", models / "demo.tmrvc_speaker", src, tmp_path / "o.wav")
    assert_one_line_error(p, r"missing vocoder\.onnx.*converter\.onnx")
    p = run("--models", tmp_path / "nowhere", "--speaker", models / "demo.tmrvc_speaker", src, tmp_path / "o.wav")
    assert_one_line_error(p, r"no such directory")


def test_bad_speakers(tmp_path: Path, models: Path) -> None:
    src = write_wav(tmp_path / "in.wav", speech_like(48000, 0.2), 48000)
    good = (models / "demo.tmrvc_speaker").read_bytes()
    cases = {
        "truncated": (good[: len(good) // 2], r"truncated"),
        "corrupt": (good[:30] + bytes([good[30] ^ 0xFF]) + good[31:], r"checksum mismatch"),
        "magic": (b"XXXX" + good[4:], r"wrong magic"),
    }
    for name, (data, pattern) in cases.items():
        path = tmp_path / f"{name}.tmrvc_speaker"
        path.write_bytes(data)
        assert_one_line_error(run("--models", models, "--speaker", path, src, tmp_path / "o.wav"), pattern)
    missing = run("--models", models, "--speaker", tmp_path / "none.tmrvc_speaker", src, tmp_path / "o.wav")
    assert_one_line_error(missing, r"cannot open")


def test_bench_reports_every_model_as_json(tmp_path: Path, models: Path) -> None:
    bench = BUILD / "tmrvc-engine" / "tmrvc-bench"
    out = tmp_path / "bench.json"
    p = subprocess.run([str(bench), "--models", str(models), "--iterations", "20", "--json", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    report = json.loads(out.read_text())
    assert report["intra_op_threads"] == 1
    fp32 = report["fp32"]
    for name in ("content_encoder", "converter", "vocoder", "ir_estimator"):
        for part in (fp32, report["int8"]):  # the exported folder carries int8/ too
            s = part[name]
            assert 0 < s["median_ms"] <= s["p99_ms"] <= s["max_ms"], (name, s)
    ir = fp32["ir_estimator"]
    assert ir["per_hop_median_ms"] == pytest.approx(ir["median_ms"] / ir["frames_per_call"])
    per_hop = sum(fp32[n]["median_ms"] for n in ("content_encoder", "converter", "vocoder")) + ir["per_hop_median_ms"]
    assert fp32["total_per_hop"]["median_ms"] == pytest.approx(per_hop)
    bad = subprocess.run([str(bench), "--models", str(tmp_path / "none")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.startswith("tmrvc-bench: error:")


def test_bank_speaker_on_models_without_a_bank_warns_on_stderr(models: Path, tmp_path: Path) -> None:
    from tmrvc_core import constants as K
    from tmrvc_core.speaker_file import SpeakerFile, read_speaker_file, write_speaker_file

    plain = tmp_path / "no_bank"
    shutil.copytree(models, plain)
    meta = json.loads((plain / "metadata.json").read_text())
    for name in ("converter", "converter_hq"):
        meta["models"].get(name, {}).pop("bank", None)
    (plain / "metadata.json").write_text(json.dumps(meta))
    demo = read_speaker_file(models / "demo.tmrvc_speaker")
    keys = np.zeros((K.BANK_MIN_FRAMES, K.D_CONTENT - 1), np.float32)
    keys[:, 0] = 1.0
    speaker = tmp_path / "bank.tmrvc_speaker"
    write_speaker_file(speaker, SpeakerFile(demo.spk_embed, demo.lora_delta, demo.metadata, keys,
                                            np.zeros((K.BANK_MIN_FRAMES, 8), np.float32)))
    src = write_wav(tmp_path / "in.wav", speech_like(24000, 0.5), 24000)
    p = run("--models", plain, "--speaker", speaker, src, tmp_path / "out.wav")
    assert p.returncode == 0, p.stderr
    assert re.search(r"tmrvc-convert: warning: .*has a speaker bank .*the bank is ignored", p.stderr), p.stderr
    quiet = run("--models", plain, "--speaker", models / "demo.tmrvc_speaker", src, tmp_path / "out2.wav")
    assert quiet.returncode == 0 and "warning" not in quiet.stderr, quiet.stderr
