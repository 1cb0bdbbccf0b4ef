"""Pluggable teachers for the feature cache. Content teachers map a 24 kHz utterance to per-hop features
(D, T); speaker teachers map it to one embedding (D,). Nothing downloads: every checkpoint is a local folder
or file, and a missing one is a ValueError naming the path that was tried."""

from __future__ import annotations

import abc
from pathlib import Path

import numpy as np

from tmrvc_core.constants import HOP_LENGTH, SAMPLE_RATE
from tmrvc_core.dsp.mel import log_mel_from_audio

TEACHER_RATE = 16000


def _need(path: Path, what: str, inside: str | None = None) -> Path:
    target = path / inside if inside else path
    if not target.exists():
        raise ValueError(f"{what} checkpoint not found: tried {target}")
    return path


def _to_16k(x: np.ndarray) -> np.ndarray:
    from scipy.signal import resample_poly

    return resample_poly(x, 2, 3)  # 24 kHz → 16 kHz


def align_frames(feats: np.ndarray, feat_hop_s: float, n_frames: int) -> np.ndarray:
    """Map features (D, T') at hop feat_hop_s to (D, n_frames) at 10 ms hops: frame t takes the teacher frame
    covering the centre of hop t (nearest, clamped)."""
    centres = (np.arange(n_frames) + 0.5) * HOP_LENGTH / SAMPLE_RATE
    idx = np.clip((centres / feat_hop_s).astype(np.int64), 0, feats.shape[1] - 1)
    return feats[:, idx]


class ContentTeacher(abc.ABC):
    """x: (n,) at SAMPLE_RATE, n_frames, phones [(phone, start_s, end_s)] or None → (dim, n_frames)."""

    name: str
    dim: int

    @abc.abstractmethod
    def __call__(self, x: np.ndarray, n_frames: int, phones: list | None) -> np.ndarray: ...


class HFContentTeacher(ContentTeacher):
    """HuBERT / ContentVec / WavLM through `transformers` from a local folder (config.json + weights);
    output = hidden state `layer` (index into hidden_states; -1 = last), 20 ms hops aligned to 10 ms."""

    name = "hf"

    def __init__(self, checkpoint: str, layer: int = -1, device: str = "cpu") -> None:
        import torch
        from transformers import AutoModel

        path = _need(Path(checkpoint), "content teacher (transformers)", "config.json")
        self._torch, self._device, self.layer = torch, device, layer
        self._model = AutoModel.from_pretrained(str(path), local_files_only=True).to(device).eval()
        self.dim = int(self._model.config.hidden_size)

    def __call__(self, x: np.ndarray, n_frames: int, phones: list | None) -> np.ndarray:
        torch = self._torch
        w = _to_16k(x).astype(np.float32)
        w = (w - w.mean()) / (w.std() + 1e-7)
        with torch.inference_mode():
            out = self._model(torch.from_numpy(w)[None].to(self._device), output_hidden_states=True)
        h = out.hidden_states[self.layer][0].float().cpu().numpy().T  # (D, T20)
        hop_s = float(np.prod(self._model.config.conv_stride)) / TEACHER_RATE
        return align_frames(h, hop_s, n_frames)


class PhonemeTeacher:
    """Phoneme posteriors of the synthetic corpus from the synthesiser's timings, stored as class ids (T,)
    (the posterior is one-hot: `eye(dim)[ids]`). Phones are named `<phone_set>:<phone>`; id 0 is silence
    (no phone covers the hop); unknown phones raise ValueError."""

    name = "phonemes"

    def __init__(self, inventory: list[str]) -> None:
        if not inventory:
            raise ValueError("phoneme teacher needs a non-empty inventory")
        self.inventory = list(inventory)
        self._index = {p: i for i, p in enumerate(self.inventory)}
        self.dim = len(self.inventory)

    def ids(self, phones: list, phone_set: str, n_frames: int) -> np.ndarray:
        """(T,) int16 phone id at the centre of every hop (silence id 0 where no phone covers it)."""
        out = np.zeros(n_frames, dtype=np.int16)
        centres = (np.arange(n_frames) + 0.5) * HOP_LENGTH / SAMPLE_RATE
        for p, a, b in phones:
            key = f"{phone_set}:{p}"
            if key not in self._index:
                raise ValueError(f"phone '{key}' is not in the inventory")
            out[(centres >= a) & (centres < b)] = self._index[key]
        return out


class SpeakerTeacher(abc.ABC):
    """x: (n,) at SAMPLE_RATE → (dim,) L2-normalised embedding."""

    name: str
    dim: int

    @abc.abstractmethod
    def __call__(self, x: np.ndarray) -> np.ndarray: ...


class TorchScriptSpeakerTeacher(SpeakerTeacher):
    """The project's own speaker encoder exported with TorchScript: log-mel (1, 80, T) → (1, D) (first output
    if it returns a tuple, e.g. (spk_embed, lora_delta))."""

    name = "torchscript"

    def __init__(self, checkpoint: str) -> None:
        import torch

        path = Path(checkpoint)
        if not path.is_file():
            raise ValueError(f"speaker teacher (TorchScript) checkpoint not found: tried {path}")
        self._torch = torch
        self._model = torch.jit.load(str(path), map_location="cpu").eval()
        self.dim = int(self(np.random.default_rng(0).standard_normal(SAMPLE_RATE) * 0.1).shape[0])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        torch = self._torch
        mel = torch.from_numpy(log_mel_from_audio(x).astype(np.float32))[None]
        with torch.inference_mode():
            out = self._model(mel)
        e = (out[0] if isinstance(out, (tuple, list)) else out)[0].float().numpy()
        return e / max(float(np.linalg.norm(e)), 1e-12)


class EcapaSpeakerTeacher(SpeakerTeacher):
    """ECAPA-TDNN through speechbrain from a local folder (hyperparams.yaml + embedding_model.ckpt, the layout
    of speechbrain's pretrained speaker models). speechbrain needs a torchaudio matching the installed torch."""

    name = "ecapa"

    def __init__(self, checkpoint: str) -> None:
        path = _need(Path(checkpoint), "speaker teacher (speechbrain ECAPA)", "hyperparams.yaml")
        _need(path, "speaker teacher (speechbrain ECAPA)", "embedding_model.ckpt")
        try:
            from speechbrain.inference.speaker import EncoderClassifier
        except ImportError as exc:
            raise ValueError("speaker teacher 'ecapa' needs the speechbrain package (and a torchaudio matching "
                             f"torch); it is not importable here: {exc}") from exc
        import torch

        self._torch = torch
        self._model = EncoderClassifier.from_hparams(source=str(path), savedir=str(path),
                                                     run_opts={"device": "cpu"})
        self.dim = int(self(np.zeros(SAMPLE_RATE) + 1e-3).shape[0])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        w = self._torch.from_numpy(_to_16k(x).astype(np.float32))[None]
        e = self._model.encode_batch(w)[0, 0].float().numpy()
        return e / max(float(np.linalg.norm(e)), 1e-12)


def make_content_teacher(kind: str, checkpoint: str, layer: int) -> ContentTeacher | None:
    """'none' → None; 'hf' → HFContentTeacher. (Phoneme ids are handled by the cache builder.)"""
    if kind in ("none", "phonemes"):
        return None
    if kind == "hf":
        return HFContentTeacher(checkpoint, layer)
    raise ValueError(f"unknown content teacher '{kind}'; expected none, hf or phonemes")


def make_speaker_teacher(kind: str, checkpoint: str) -> SpeakerTeacher | None:
    """'none' → None; 'ecapa' → EcapaSpeakerTeacher; 'torchscript' → TorchScriptSpeakerTeacher."""
    if kind == "none":
        return None
    if kind == "ecapa":
        return EcapaSpeakerTeacher(checkpoint)
    if kind == "torchscript":
        return TorchScriptSpeakerTeacher(checkpoint)
    raise ValueError(f"unknown speaker teacher '{kind}'; expected none, ecapa or torchscript")
