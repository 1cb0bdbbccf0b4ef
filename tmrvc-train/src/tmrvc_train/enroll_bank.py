"""The speaker bank of an enrolment (docs/speaker-bank.md), without PyTorch: the model folder's own
content_encoder.onnx run hop by hop over each clip, exactly as the engine runs it, gives the keys; the clip's log
magnitudes and YIN F0 (computed once by the enrolment, which needs them anyway) give the values (tmrvc_core.dsp.envelopes). Both enrolment paths (fine-tuned and
zero-shot) call this, so a speaker file holds the same bank whichever made it. Must not import torch.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from tmrvc_core import constants as K
from tmrvc_core.dsp import f0_to_model_input, log_mel
from tmrvc_core.dsp.envelopes import bank_values
from tmrvc_core.speaker_file import SpeakerFile


def bank_spec(models: Path) -> dict | None:
    """The converter's bank description from metadata.json (None: these models have no speaker bank)."""
    meta = json.loads((Path(models) / "metadata.json").read_text())
    return meta.get("models", {}).get("converter", {}).get("bank")


class StreamingContent:
    """content_encoder.onnx of a model folder, run one hop at a time with its state (as the engine does)."""

    def __init__(self, models: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        self.session = ort.InferenceSession(str(Path(models) / "content_encoder.onnx"), opts,
                                            providers=["CPUExecutionProvider"])
        state = next(i for i in self.session.get_inputs() if i.name == "state_in")
        self.state_shape = tuple(state.shape)

    def __call__(self, mel: np.ndarray, f0_input: np.ndarray) -> np.ndarray:
        """mel (n_mels, T), f0_input (T,) as log(f0 + 1) → content (T, d_content)."""
        state = np.zeros(self.state_shape, np.float32)
        out = np.empty((mel.shape[1], K.D_CONTENT), np.float32)
        for t in range(mel.shape[1]):
            feeds = {"mel_frame": mel[None, :, t:t + 1].astype(np.float32),
                     "f0": np.full((1, 1, 1), f0_input[t], np.float32), "state_in": state}
            content, state = self.session.run(["content", "state_out"], feeds)
            out[t] = content[0, :, 0]
        return out


def build_bank(models: Path, analyses: Sequence[tuple[np.ndarray, np.ndarray]],
               threads: int = 1) -> tuple[np.ndarray, np.ndarray] | None:
    """Each clip's magnitudes (n_bins, T) and YIN F0 (T,), as the enrolment already computed them (the model rate,
    tmrvc_core.dsp) → (keys (n, d_content − 1), values (n, value_size)), or None when the models have no bank.
    Frames of digital silence are left out; more than `bank_frames` frames are thinned evenly over the whole
    enrolment. Raises ValueError when fewer than `bank_min_frames` frames remain."""
    spec = bank_spec(models)
    if spec is None:
        return None
    content = StreamingContent(models, threads)
    knots = np.asarray(spec["knots_hz"], np.float64)
    keys, values = [], []
    for mag, f0 in analyses:
        n = min(mag.shape[1], len(f0))
        mag, f0 = mag[:, :n], f0[:n]
        c = content(log_mel(mag), f0_to_model_input(f0))
        v = bank_values(np.log(np.maximum(mag, K.FEATURE_FLOOR)), f0, knots)
        heard = mag.max(axis=0) > 10 * K.FEATURE_FLOOR
        keys.append(c[heard, :-1])
        values.append(v[heard])
    keys_a, values_a = np.concatenate(keys), np.concatenate(values)
    if len(keys_a) < K.BANK_MIN_FRAMES:
        raise ValueError(f"speaker bank: the enrolment audio has {len(keys_a)} frames with sound, at least "
                         f"{K.BANK_MIN_FRAMES} ({K.BANK_MIN_FRAMES * K.HOP_LENGTH / K.SAMPLE_RATE:.0f} s) needed")
    if len(keys_a) > spec["frames"]:
        pick = np.linspace(0, len(keys_a) - 1, spec["frames"]).round().astype(np.int64)
        keys_a, values_a = keys_a[pick], values_a[pick]
    if values_a.shape[1] != spec["value_size"]:
        raise ValueError(f"speaker bank: values have {values_a.shape[1]} entries per frame, the converter takes "
                         f"{spec['value_size']} (knots_hz in metadata.json does not match value_size)")
    norms = np.linalg.norm(keys_a, axis=1, keepdims=True)
    return (keys_a / np.maximum(norms, 1e-12)).astype(np.float32), values_a.astype(np.float32)


def with_bank(speaker: SpeakerFile, models: Path, analyses: Sequence[tuple[np.ndarray, np.ndarray]],
              threads: int = 1) -> SpeakerFile:
    """``speaker`` with the bank of these clips (and metadata ``bank_frames``); unchanged when the models have no
    bank."""
    bank = build_bank(models, analyses, threads)
    if bank is None:
        return speaker
    return replace(speaker, bank_keys=bank[0], bank_values=bank[1],
                   metadata={**speaker.metadata, "bank_frames": int(len(bank[0]))})
