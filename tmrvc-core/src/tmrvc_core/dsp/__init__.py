"""DSP reference shared with the C++ engine (docs/dsp-and-streaming.md): STFT, mel, F0, resampler, timing."""

from tmrvc_core.dsp.f0 import f0_to_model_input, f0_track, shift_semitones, yin
from tmrvc_core.dsp.mel import log_mel, log_mel_from_audio, mel_filterbank
from tmrvc_core.dsp.resample import design_taps, host_delay, ratio, resample
from tmrvc_core.dsp.stft import analysis_window, frames, istft_ola, magnitude_phase, stft, synthesis_window
from tmrvc_core.dsp.timing import counts, latency_samples, prefill

__all__ = [
    "analysis_window",
    "counts",
    "design_taps",
    "f0_to_model_input",
    "f0_track",
    "frames",
    "host_delay",
    "istft_ola",
    "latency_samples",
    "log_mel",
    "log_mel_from_audio",
    "magnitude_phase",
    "mel_filterbank",
    "prefill",
    "ratio",
    "resample",
    "shift_semitones",
    "stft",
    "synthesis_window",
    "yin",
]
