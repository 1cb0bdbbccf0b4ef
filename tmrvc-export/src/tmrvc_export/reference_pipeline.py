"""Python reference of the C++ engine's whole signal path (docs/dsp-and-streaming.md, "Engine timeline").

Built only from ``tmrvc_core.dsp`` and ONNX Runtime, frame by frame with states carried, so a test can compare it
with the C++ ``StreamingEngine`` at any host rate and block size (the engine is block-size invariant).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from tmrvc_core import constants as C
from tmrvc_core.dsp import f0_to_model_input, istft_ola, log_mel, magnitude_phase, resample
from tmrvc_core.dsp.envelopes import bank_voicing
from tmrvc_core.dsp.f0 import f0_delayed_track
from tmrvc_core.dsp.formant import shift_formants
from tmrvc_core.dsp.gate import NoiseGate
from tmrvc_core.dsp.level import LevelMatcher
from tmrvc_core.dsp.phase import PhaseReconstructor
from tmrvc_core.dsp.timing import (counts, f0_window_for, ir_interval_for, latency_samples, lookahead_host_samples, lookahead_hops,
                                   prefill)
from tmrvc_core.speaker_file import SpeakerFile, read_speaker_file

PER_FRAME_MODELS = ("content_encoder", "ir_estimator", "converter", "vocoder")


@dataclass(frozen=True)
class ReferenceSettings:
    identity: bool = False
    pitch_semitones: float = 0.0
    wet: float = 1.0
    gain_db: float = 0.0
    int8: bool = False
    quality: float = 0.0  # q: lookahead round(6 q) hops, F0 window, HQ converter when the folder has one
    vocoder_phase: bool = False  # the vocoder's own phase instead of the reconstructed one
    auto_pitch: bool = False  # add the shift that moves the input's running mean log-F0 onto the speaker's
    preset_amount: float = 0.0  # blend of acoustic params 24..31 toward the speaker's voice-source preset
    level_match: bool = True  # scale each converted hop so the output's level follows the input's
    gate_db: float = C.GATE_OFF_DBFS  # silence/noise gate threshold (dBFS); at or below GATE_OFF_DBFS: off
    formant_semitones: float = 0.0  # spectral-envelope shift of the converted frame (tmrvc_core.dsp.formant)


def _session(path: Path | str, initializers: dict[str, np.ndarray] | None = None) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    keep = []
    for name, value in (initializers or {}).items():
        ov = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(value, dtype=np.float32))
        keep.append(ov)
        opts.add_initializer(name, ov)
    sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    sess._tmrvc_keep = keep  # the initializer values must outlive the session
    return sess


def merged_film_initializers(model_dir: Path, lora_delta: np.ndarray) -> dict[str, np.ndarray]:
    """W' = W + (alpha/rank) B @ A for each LoRA'd FiLM layer, from converter_film.bin and the delta.

    lora_delta: (R,) laid out layer after layer, A [rank, d_in] then B [d_out, rank], row-major.
    """
    meta = json.loads((model_dir / "metadata.json").read_text())
    lora, film = meta["lora"], meta["film_weights"]
    rank, d_in, d_out = int(lora["rank"]), int(lora["d_in"]), int(lora["d_out"])
    scale = float(lora["alpha"]) / rank
    base = np.fromfile(model_dir / film["file"], dtype="<f4")
    layer_size = rank * d_in + d_out * rank
    if lora_delta.size != layer_size * len(film["layers"]):
        raise ValueError(f"lora_delta has {lora_delta.size} values, the models expect "
                         f"{layer_size * len(film['layers'])}")
    out = {}
    for i, layer in enumerate(film["layers"]):
        offset = int(layer["offset_bytes"]) // 4
        w = base[offset:offset + d_out * d_in].reshape(d_out, d_in).astype(np.float64)
        chunk = lora_delta[i * layer_size:(i + 1) * layer_size].astype(np.float64)
        a = chunk[:rank * d_in].reshape(rank, d_in)
        b = chunk[rank * d_in:].reshape(d_out, rank)
        out[layer["name"]] = (w + scale * (b @ a)).astype(np.float32)
    return out


def bank_initializers(meta: dict, speaker: SpeakerFile) -> dict[str, np.ndarray]:
    """The speaker's bank as the converter's bank.* initializers (docs/speaker-bank.md), the engine's layout:
    keys transposed into [key_size, frames] with empty columns zero, values padded with zero rows, bias 0 for a row
    in use and BANK_PAD_BIAS for an empty slot, voiced 1 for a voiced row (H ≠ N), mix 1. {} when the models (metadata.json) or the speaker have no
    bank: the exported bank.mix = 0 stays, like the engine, which ignores a bank the models cannot take."""
    bank = meta.get("models", {}).get("converter", {}).get("bank")
    if not bank or not speaker.has_bank:
        return {}
    frames, n = int(bank["frames"]), speaker.bank_keys.shape[0]
    keys = np.zeros((int(bank["key_size"]), frames), np.float32)
    keys[:, :n] = speaker.bank_keys.T
    values = np.zeros((frames, int(bank["value_size"])), np.float32)
    values[:n] = speaker.bank_values
    bias = np.full(frames, C.BANK_PAD_BIAS, np.float32)
    bias[:n] = 0.0
    voiced = np.zeros(frames, np.float32)
    voiced[:n] = bank_voicing(speaker.bank_values)
    return {"bank.keys": keys, "bank.values": values, "bank.bias": bias, "bank.voiced": voiced,
            "bank.mix": np.ones(1, np.float32)}


class ReferenceModels:
    """The four per-frame models of a folder as ORT sessions (converter with the speaker's LoRA merged and, when
    both the models and the speaker have one, the speaker's bank)."""

    def __init__(self, model_dir: str | Path, speaker_path: str | Path, int8: bool = False):
        self.dir = Path(model_dir)
        meta = json.loads((self.dir / "metadata.json").read_text())
        bank = meta.get("models", {}).get("converter", {}).get("bank")
        spk = read_speaker_file(speaker_path, expected_embed_size=C.D_SPEAKER,
                                expected_model_id=meta.get("model_id"),
                                expected_bank_value_size=int(bank["value_size"]) if bank else None)
        self.spk_embed = spk.spk_embed.astype(np.float32)[None, :]
        self.f0_log_mean = float(spk.metadata.get("f0_log_mean", 0.0))
        preset = spk.metadata.get("voice_source_preset")
        self.preset = None if preset is None else np.asarray(preset, np.float32)
        sub = self.dir / "int8" if int8 else self.dir
        self.sessions = {}
        merged = merged_film_initializers(self.dir, spk.lora_delta) | bank_initializers(meta, spk)
        self.bank_applied = "bank.mix" in merged
        for name in PER_FRAME_MODELS:
            self.sessions[name] = _session(sub / f"{name}.onnx", merged if name == "converter" else None)
        if (self.dir / "converter_hq.onnx").is_file():  # FP32 only; shares the converter's FiLM weights and bank
            self.sessions["converter_hq"] = _session(self.dir / "converter_hq.onnx", merged)
        self.states = {name: np.zeros(self._state_shape(name), np.float32) for name in self.sessions}

    @property
    def has_hq(self) -> bool:
        return "converter_hq" in self.sessions

    def _state_shape(self, name: str) -> list[int]:
        for inp in self.sessions[name].get_inputs():
            if inp.name == "state_in":
                return [int(d) for d in inp.shape]
        raise ValueError(f"{name}.onnx has no state_in input")

    def run(self, name: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        feeds = dict(feeds, state_in=self.states[name])
        sess = self.sessions[name]
        outs = sess.run(None, feeds)
        names = [o.name for o in sess.get_outputs()]
        self.states[name] = outs[names.index("state_out")]
        return [o for o, n in zip(outs, names) if n != "state_out"]


def _delayed(a: np.ndarray, hops: int) -> np.ndarray:
    """(C, T) → (C, T) shifted right by ``hops`` frames, zeros before the start."""
    return np.concatenate([np.zeros((a.shape[0], hops), a.dtype), a[:, :a.shape[1] - hops]], axis=1)


class _AutoPitch:
    """The engine's running mean of the input's voiced log-F0 and the shift onto the speaker's mean (float32 like
    the engine's controls)."""

    def __init__(self, speaker_log_mean: float) -> None:
        self.target, self.mean = speaker_log_mean, None

    def semitones(self, f0: float) -> np.float32:
        if f0 > 0.0:
            lf = math.log(float(np.float32(f0)))
            self.mean = lf if self.mean is None else self.mean + (lf - self.mean) / C.AUTO_PITCH_MEAN_HOPS
        if self.mean is None or self.target <= 0.0:
            return np.float32(0.0)
        return np.float32(12.0 / math.log(2.0) * (self.target - self.mean))


def _blend_preset(params: np.ndarray, models: ReferenceModels, amount: float) -> np.ndarray:
    """Acoustic params 24..31 moved toward the speaker's preset by ``amount`` (a copy; float32)."""
    if models.preset is None or amount <= 0.0:
        return params
    out = params.copy()
    a = np.float32(min(max(amount, 0.0), 1.0))
    p = out[0, C.N_IR_PARAMS:]
    out[0, C.N_IR_PARAMS:] = p + a * (models.preset - p)
    return out


def _convert_hops(x24: np.ndarray, n_hops: int, models: ReferenceModels | None, settings: ReferenceSettings):
    """Analysis → models → (mag, phase) per hop, as the engine's HopProcessor does. Returns (513, T) pairs.

    At lookahead L, hop t synthesises frame u = t − L. Live converter: the content encoder runs on frame u with
    its F0 window centred as far as the lookahead allows. HQ: the content encoder runs on frame t and the
    semi-causal converter sees content frames u + min(r, L), r = 0..6 (zeros before the stream start).
    """
    x = x24[:n_hops * C.HOP_LENGTH].astype(np.float32).astype(np.float64)
    mag, phase = magnitude_phase(x)
    look = lookahead_hops(settings.quality)
    if settings.identity:
        return _delayed(mag, look), _delayed(phase, look), None
    hq = models.has_hq and look > 0
    lag = 0 if hq else look
    mel = log_mel(mag).astype(np.float32)  # (80, T)
    n_max = C.IR_UPDATE_INTERVAL
    n = ir_interval_for(settings.quality)
    floor_frame = np.full((C.N_MELS, 1), np.log(C.LOG_FLOOR), np.float32)
    history = np.concatenate([np.repeat(floor_frame, n_max, axis=1), mel], axis=1)
    enc_mel = np.concatenate([np.repeat(floor_frame, lag, axis=1), mel], axis=1)  # frame t - lag at column t
    f0 = f0_delayed_track(x, C.F0_WINDOW_LENGTH if hq else f0_window_for(settings.quality), lag)
    if settings.auto_pitch:
        auto = _AutoPitch(models.f0_log_mean)
        shifts = [np.float32(np.float32(settings.pitch_semitones) + auto.semitones(f)) for f in f0]
        f0_in = np.array([f0_to_model_input(np.array([f]), float(s))[0] for f, s in zip(f0, shifts)], np.float32)
    else:
        f0_in = f0_to_model_input(f0, settings.pitch_semitones).astype(np.float32)
    window = 1 + C.MAX_LOOKAHEAD_HOPS
    contents = np.zeros((C.D_CONTENT, n_hops), np.float32)
    out_mag = np.zeros((C.N_FREQ_BINS, n_hops))
    out_phase = np.zeros((C.N_FREQ_BINS, n_hops))
    params = np.zeros((1, C.N_ACOUSTIC_PARAMS), np.float32)
    phase_rec = PhaseReconstructor()
    for t in range(n_hops):
        (content,) = models.run("content_encoder", {"mel_frame": enc_mel[None, :, t:t + 1],
                                                    "f0": f0_in[None, None, t:t + 1]})
        if t % n == 0:
            (params,) = models.run("ir_estimator", {"mel_chunk": history[None, :, t + 1 + n_max - n:t + 1 + n_max]})
        cond = {"spk_embed": models.spk_embed, "acoustic_params": _blend_preset(params, models, settings.preset_amount)}
        if hq:
            contents[:, t] = content[0, :, 0]
            frames = [t - look + min(r, look) for r in range(window)]
            win = np.stack([contents[:, f] if f >= 0 else np.zeros(C.D_CONTENT, np.float32) for f in frames], axis=1)
            (features,) = models.run("converter_hq", {"content": win[None], **cond})
        else:
            (features,) = models.run("converter", {"content": content, **cond})
        m, p = models.run("vocoder", {"features": features})
        frame = shift_formants(m[0, :, 0], settings.formant_semitones)  # before the phase reconstruction
        out_mag[:, t] = frame
        # the engine synthesises from float32 phase
        out_phase[:, t] = p[0, :, 0] if settings.vocoder_phase else phase_rec.step(frame).astype(np.float32)
    return out_mag, out_phase, f0


def _match_level(x24: np.ndarray, y24: np.ndarray, look: int) -> np.ndarray:
    """Hop t of the output against input hop t − 1 − look (what the bypass would play then), as the engine does."""
    level = LevelMatcher()
    out = y24.copy()
    hop = C.HOP_LENGTH
    for t in range(y24.size // hop):
        start = (t - 1 - look) * hop
        x = x24[start:start + hop] if start >= 0 else np.zeros(hop, np.float32)
        out[t * hop:(t + 1) * hop] = level.process(x, y24[t * hop:(t + 1) * hop])
    return out


def _gate(x24: np.ndarray, y24: np.ndarray, f0: np.ndarray, threshold_db: float) -> np.ndarray:
    """Hop t of the output gated on input hop t (the newest) and the voicing of the frame encoded then."""
    gate = NoiseGate()
    out = y24.copy()
    hop = C.HOP_LENGTH
    for t in range(y24.size // hop):
        s = slice(t * hop, (t + 1) * hop)
        out[s] = gate.process(x24[s], bool(f0[t] > 0), threshold_db, y24[s])
    return out


def reference_convert(x: np.ndarray, host_rate: int, model_dir: str | Path | None = None,
                      speaker_path: str | Path | None = None,
                      settings: ReferenceSettings = ReferenceSettings()) -> np.ndarray:
    """The engine's output for mono input x: (n,) at host_rate → (n,), delayed by the reported latency
    (``latency_samples(host_rate)`` + the lookahead of ``settings.quality``)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono audio of shape (n,), got {x.shape}")
    x = np.where(np.isfinite(x), x, 0.0).astype(np.float32)
    n = x.size
    in24, out24, host_out = counts(n, host_rate)
    x24 = resample(x.astype(np.float64), host_rate, C.SAMPLE_RATE)[:in24]
    models = None
    if not settings.identity:
        if model_dir is None or speaker_path is None:
            raise ValueError("a model folder and a speaker file are needed unless settings.identity is set")
        models = ReferenceModels(model_dir, speaker_path, settings.int8)
    n_hops = out24 // C.HOP_LENGTH
    mag, phase, f0 = _convert_hops(x24, n_hops, models, settings)
    y24 = istft_ola(mag, phase).astype(np.float32) if n_hops else np.zeros(0, np.float32)
    if settings.level_match and not settings.identity:
        y24 = _match_level(x24.astype(np.float32), y24, lookahead_hops(settings.quality))
    if not settings.identity:
        y24 = _gate(x24.astype(np.float32), y24, f0, settings.gate_db)
    yh = resample(y24.astype(np.float64), C.SAMPLE_RATE, host_rate)[:host_out]
    wet = np.concatenate([np.zeros(prefill(host_rate)), yh])[:n]
    lat = latency_samples(host_rate) + lookahead_host_samples(lookahead_hops(settings.quality), host_rate)
    dry = np.concatenate([np.zeros(lat), x.astype(np.float64)])[:n]
    gain = 10.0 ** (settings.gain_db / 20.0)
    y = (settings.wet * wet + (1.0 - settings.wet) * dry) * gain
    return np.clip(y, -C.OUTPUT_LIMIT, C.OUTPUT_LIMIT).astype(np.float32)
