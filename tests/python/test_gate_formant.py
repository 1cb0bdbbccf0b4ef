"""Issue 19, items 3 and 4 on the real engine (pybind11) with the tiny models: the silence/noise gate silences
silence, −60 dBFS noise and real breaths (cut from festvox-ru's recordings) while speech (espeak-ng) passes
unchanged (tmrvc-eval's scores on speech: test_gate_eval.py); the formant shift moves the
envelope by 2^(s/12) and keeps F0; both match the Python reference (tmrvc_core.dsp.gate / .formant) and their C++
twins; both off is today's output bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import tmrvc_engine
from tmrvc_core import constants as C
from tmrvc_core.dsp.formant import shift_formants
from tmrvc_core.dsp.gate import NoiseGate
from tmrvc_core.dsp.resample import resample
from tmrvc_eval.gate_speech import BREATH_CUTS, RU_WAVS, breath_cut, real_breath
from tmrvc_export.reference_pipeline import ReferenceSettings, reference_convert
from test_pipeline_parity import snr_db, voiced_test_signal

RATE, BLOCK = 48000, 256
GATE_DB = -40.0


def engine_out(models, x, gate=None, formant=0.0, vocoder_phase=False):
    e = tmrvc_engine.StreamingEngine()
    e.load_models(str(models))
    e.load_speaker(str(models / "demo.tmrvc_speaker"))
    e.set_vocoder_phase(vocoder_phase)
    if gate is not None:
        e.set_gate_threshold_db(gate)
    if formant:
        e.set_formant_shift(formant)
    e.prepare(RATE, BLOCK)
    e.set_non_realtime(True)
    return e.process(x, BLOCK), e.latency_samples()


def espeak(text: str, voice: str) -> np.ndarray:
    from tmrvc_data.synth import EspeakSynth
    from tmrvc_data.voices import voice_by_name
    x, sr, _ = EspeakSynth().synth(text, voice_by_name(voice))
    y = resample(x, sr, RATE)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def test_breath_cuts_are_unvoiced_breath_noise():
    """The cuts are what the gate test needs: unvoiced (pyworld), well above the recording's floor, broadband."""
    from tmrvc_eval.metrics.f0 import f0_contour
    for stem, a, b in BREATH_CUTS:
        cut, sr, _ = breath_cut(stem, a, b)
        x, _ = sf.read(RU_WAVS / f"{stem}.wav", dtype="float64")
        frames = np.lib.stride_tricks.sliding_window_view(x, 160)[::160]
        floor = float(10 * np.log10(np.percentile(np.mean(frames ** 2, axis=1), 5) + 1e-30))  # 10 ms frames
        spec = np.abs(np.fft.rfft(cut * np.hanning(cut.size))) ** 2
        f = np.fft.rfftfreq(cut.size, 1 / sr)
        band = spec[(f > 500) & (f < 4000)].sum() / spec.sum()
        print(f"{stem} {a}-{b} s: {energy_db(cut):.1f} dBFS, floor {floor:.1f} dBFS, voiced "
              f"{np.mean(f0_contour(cut, sr) > 0):.2f}, 0.5–4 kHz share {band:.2f}")
        assert np.mean(f0_contour(cut, sr) > 0) == 0.0
        assert energy_db(cut) > floor + 30.0 and band > 0.6


@pytest.fixture(scope="module")
def scene():
    """(x, segments): speech and non-speech stretches, each (kind, start, end) in samples."""
    rng = np.random.default_rng(3)
    parts = [("silence", np.zeros(int(0.6 * RATE), np.float32)),
             ("speech", espeak("The quick brown fox jumps over the lazy dog.", "esp_m1")),
             ("noise60", (10 ** (-60 / 20) * rng.standard_normal(int(0.8 * RATE))).astype(np.float32)),
             ("speech", espeak("She sells sea shells by the sea shore.", "esp_f2")),
             ("silence", np.zeros(int(0.5 * RATE), np.float32)),
             ("breath", real_breath(RATE)),
             ("speech", espeak("Breathe in and speak again.", "esp_m1")),
             ("silence", np.zeros(int(0.5 * RATE), np.float32)),
             ("breath_close", real_breath(RATE, boost_db=15.0)),  # about −32 dBFS: above the threshold, unvoiced
             ("silence", np.zeros(int(0.6 * RATE), np.float32))]
    x = np.concatenate([p for _, p in parts])
    segments, start = [], 0
    for kind, p in parts:
        segments.append((kind, start, start + p.size))
        start += p.size
    # speech in noise: the same scene with −50 dBFS room noise everywhere
    noisy = x + (10 ** (-50 / 20) * rng.standard_normal(x.size)).astype(np.float32)
    return x, noisy, segments


def energy_db(y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(y.astype(np.float64) ** 2) + 1e-30))


@pytest.mark.parametrize("noisy", [False, True])
def test_gate_silences_non_speech_and_keeps_speech(tiny_models, scene, noisy):
    clean, noisy_x, segments = scene
    x = noisy_x if noisy else clean
    off, lat = engine_out(tiny_models, x)
    on, _ = engine_out(tiny_models, x, gate=GATE_DB)
    off, on = off[lat:], on[lat:]  # aligned with the input
    margin = int(0.3 * RATE)  # hold (200 ms) + release (50 ms) after speech, attack before it
    for i, (kind, a, b) in enumerate(segments):
        if kind == "speech":
            continue
        # past the hold + release after speech; up to 50 ms before the next onset (the gate opens a hop ahead)
        after_speech = i > 0 and segments[i - 1][0] == "speech"
        lo, hi = a + (margin if after_speech else 0), min(b - int(0.05 * RATE), on.size)
        if hi - lo < int(0.1 * RATE):
            continue  # a short pause after speech: the gate's hold keeps it open by design
        e_off, e_on = energy_db(off[lo:hi]), energy_db(on[lo:hi])
        print(f"noisy={noisy} {kind}: gate off {e_off:.1f} dB, gate on {e_on:.1f} dB")
        assert e_off > -120.0, f"{kind}: the gate-off output is already silent; nothing is tested"
        assert e_on <= e_off - 30.0, f"{kind}: gate on {e_on:.1f} dB is not 30 dB under gate off {e_off:.1f} dB"
    for kind, a, b in segments:
        if kind != "speech":
            continue
        # the inner speech (past the first 50 ms of attack) is the gate-off output
        lo, hi = a + int(0.05 * RATE), b
        d = energy_db(on[lo:hi]) - energy_db(off[lo:hi])
        voiced_part = np.abs(on[lo:hi] - off[lo:hi]) < 1e-7
        print(f"noisy={noisy} speech: energy change {d:+.3f} dB, samples untouched {voiced_part.mean():.3f}")
        assert abs(d) < 0.5
        assert voiced_part.mean() > 0.8


def test_gate_python_and_cpp_twins_agree():
    rng = np.random.default_rng(1)
    hops = 300
    level = np.repeat(rng.choice([0.0, 1e-3, 0.05, 0.2], hops // 10), 10)
    x = (np.repeat(level, C.HOP_LENGTH) * rng.standard_normal(hops * C.HOP_LENGTH)).astype(np.float32)
    voiced = rng.random(hops) < 0.6
    y = rng.standard_normal(x.size).astype(np.float32)
    cpp = tmrvc_engine.NoiseGate().process(x, voiced, y, -30.0)
    gate = NoiseGate()
    py = np.concatenate([gate.process(x[t * 240:(t + 1) * 240], bool(voiced[t]), -30.0, y[t * 240:(t + 1) * 240])
                         for t in range(hops)])
    np.testing.assert_allclose(cpp, py, atol=1e-6, rtol=0)
    assert (cpp == 0).any() and np.abs(cpp - y).max() > 0.1, "the gate never closed: nothing was compared"
    step = np.abs(np.diff(cpp / np.where(y == 0, 1, y)))
    assert step.max() <= 1.0 / (C.GATE_ATTACK_S * C.SAMPLE_RATE) + 1e-4, "the gain jumped: a click"
    off = tmrvc_engine.NoiseGate().process(x, voiced, y, C.GATE_OFF_DBFS)
    assert np.array_equal(off, y)


FORMANTS = [700.0, 1800.0]


def true_envelope(f: np.ndarray) -> np.ndarray:
    return sum(np.exp(-0.5 * ((f - fc) / 120.0) ** 2) for fc in FORMANTS) + 0.01


def harmonic_spectrum(f0: float) -> np.ndarray:
    """A voiced frame: narrow partials at k f0 under an envelope with formants at 700 and 1800 Hz."""
    f = np.arange(C.N_FREQ_BINS) * C.SAMPLE_RATE / C.N_FFT
    comb = sum(np.exp(-0.5 * ((f - k * f0) / 8.0) ** 2) for k in range(1, int(12000 / f0)))
    return (true_envelope(f) * (comb + 1e-3)).astype(np.float32)


def fitted_ratio(mag: np.ndarray, f0: float) -> float:
    """The warp r for which the partials' amplitudes (below 5 kHz) best follow true_envelope(f / r), up to a gain:
    the envelope as a harmonic signal shows it (it is only sampled at the partials, which do not move)."""
    f = np.arange(1, int(5000 / f0)) * f0
    amp = np.log(mag[np.round(f * C.N_FFT / C.SAMPLE_RATE).astype(int)])
    grid = 2 ** (np.linspace(-8, 8, 1601) / 12)
    return float(grid[int(np.argmin([np.var(amp - np.log(true_envelope(f / r))) for r in grid]))])


def partial_bins(m: np.ndarray) -> np.ndarray:
    """Local maxima standing 3× above the lowest bin within ±3 (the partials, not ripples of the floor)."""
    lo = np.lib.stride_tricks.sliding_window_view(np.pad(m, 3, mode="edge"), 7).min(axis=1)
    k = np.where((m[1:-1] > m[:-2]) & (m[1:-1] > m[2:]))[0] + 1
    return k[m[k] > 3 * lo[k]]


@pytest.mark.parametrize("f0", [100.0, 140.0, 200.0])
@pytest.mark.parametrize("semitones", [-4.0, 3.0, 6.0])
def test_formant_envelope_moves_by_the_ratio_and_harmonics_stay(semitones, f0):
    mag = harmonic_spectrum(f0)
    shifted = shift_formants(mag, semitones)
    ratio = 2 ** (semitones / 12)
    before, after = fitted_ratio(mag, f0), fitted_ratio(shifted, f0)
    print(f"F0 {f0} Hz, {semitones:+} st: fitted warp {before:.4f} → {after:.4f}, asked {ratio:.4f}")
    assert before == pytest.approx(1.0, abs=0.015)  # the partials sit on bins: rounding
    # tolerance 3 %: the hull's box smoothing blurs a 120 Hz-wide formant a little (measured: ≤ 1.5 % at these F0)
    assert after == pytest.approx(ratio, rel=0.03)
    # the partials stay: as many peaks, each within one bin (a partial between two bins may tip to its neighbour
    # under the envelope's new slope)
    p0, p1 = partial_bins(mag), partial_bins(shifted)
    assert p0.size == p1.size and p0.size > 40 and np.abs(p1 - p0).max() <= 1, "the harmonics moved"
    cpp = tmrvc_engine.FormantShifter()
    cpp.set_semitones(semitones)
    np.testing.assert_allclose(cpp.process(mag[:, None])[:, 0], shifted, rtol=1e-4, atol=1e-9)


def test_formant_zero_and_gate_off_are_todays_output(tiny_models):
    x = voiced_test_signal(RATE, 1.5)
    plain, _ = engine_out(tiny_models, x)
    zero, _ = engine_out(tiny_models, x, gate=C.GATE_OFF_DBFS, formant=0.0)
    assert np.array_equal(plain, zero)
    assert np.array_equal(shift_formants(harmonic_spectrum(120.0), 0.0), harmonic_spectrum(120.0))


@pytest.mark.parametrize("gate,formant", [(-35.0, 0.0), (C.GATE_OFF_DBFS, 4.0), (-35.0, -3.0)])
def test_gate_and_formant_match_python_reference(tiny_models, gate, formant):
    x = voiced_test_signal(RATE, 3.0)
    y, _ = engine_out(tiny_models, x, gate=gate, formant=formant, vocoder_phase=True)
    y = y[BLOCK:]
    ref = reference_convert(x, RATE, tiny_models, tiny_models / "demo.tmrvc_speaker", ReferenceSettings(
        vocoder_phase=True, gate_db=gate, formant_semitones=formant))[: y.size]
    plain, _ = engine_out(tiny_models, x, vocoder_phase=True)
    snr, change = snr_db(ref, y), snr_db(plain[BLOCK:], y)
    print(f"gate {gate} formant {formant}: parity SNR {snr:.1f} dB, vs plain {change:.1f} dB")
    assert snr >= 60.0
    assert change < 40.0, "the control did not change the output"


def test_engine_formant_moves_the_output_envelope_and_keeps_f0(tiny_models):
    """On the engine's output: the long-term cepstral envelope of +4 st is the 0 st one read at f / 2^(4/12)
    (best-fitting ratio on a grid), and the output's F0 (pyworld) is unchanged."""
    from tmrvc_eval.metrics.f0 import f0_contour
    x = voiced_test_signal(RATE, 3.0)
    s = 4.0
    y0, lat = engine_out(tiny_models, x)
    ys, _ = engine_out(tiny_models, x, formant=s)

    def long_term_env(y):
        y = resample(y[lat:].astype(np.float64), RATE, C.SAMPLE_RATE)
        frames = np.lib.stride_tricks.sliding_window_view(y, C.N_FFT)[:: C.HOP_LENGTH]
        mag = np.abs(np.fft.rfft(frames * np.hanning(C.N_FFT), axis=1)).mean(axis=0)
        c = np.fft.irfft(np.log(mag + 1e-9))
        c[40:-40] = 0
        return np.fft.rfft(c).real, y

    e0, a0 = long_term_env(y0)
    es, as_ = long_term_env(ys)
    k = np.arange(C.N_FREQ_BINS)
    band = (k > 10) & (k < 300)  # 230 Hz – 7 kHz, where the voice is
    grid = 2 ** (np.linspace(-2, 8, 201) / 12)
    err = [np.mean((es[band] - np.interp(k[band] / r, k, e0)) ** 2) for r in grid]
    best = grid[int(np.argmin(err))]
    f0a, f0b = f0_contour(a0, C.SAMPLE_RATE), f0_contour(as_, C.SAMPLE_RATE)
    both = (f0a > 0) & (f0b > 0)
    ratio_f0 = float(np.median(f0b[both] / f0a[both]))
    print(f"engine formant {s} st: best envelope ratio {best:.4f} (asked {2 ** (s / 12):.4f}), F0 ratio {ratio_f0:.4f}")
    assert best == pytest.approx(2 ** (s / 12), rel=0.03)
    assert both.mean() > 0.3 and ratio_f0 == pytest.approx(1.0, abs=0.02)
