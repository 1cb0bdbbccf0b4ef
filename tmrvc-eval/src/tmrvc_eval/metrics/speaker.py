"""Speaker similarity by an independent judge: resemblyzer's GE2E encoder (weights ship in its wheel)."""

from __future__ import annotations

import numpy as np

from tmrvc_eval.audio import import_quietly, resample

JUDGE_RATE = 16000


class SpeakerJudge:
    """Wraps resemblyzer.VoiceEncoder on CPU. embed(x, sr) → (256,) L2-normalised."""

    def __init__(self, torch_threads: int = 1) -> None:
        import torch

        self._torch, self._threads = torch, torch_threads  # the small LSTM runs fastest on one thread
        resemblyzer = import_quietly("resemblyzer")
        self._pre = resemblyzer.preprocess_wav
        self._enc = resemblyzer.VoiceEncoder("cpu", verbose=False)
        self.untrimmed = 0  # utterances the judge's VAD found no speech in, embedded without trimming

    def embed(self, x: np.ndarray, sr: int) -> np.ndarray:
        """x: (n,) float → (256,) unit-norm utterance embedding."""
        # resample here (scipy) so resemblyzer does not pull in librosa for it
        x16 = resample(np.asarray(x, dtype=np.float64), sr, JUDGE_RATE).astype(np.float32)
        peak = float(np.max(np.abs(x16))) if x16.size else 0.0
        if x16.size < JUDGE_RATE // 10 or peak <= 0.0:
            raise ValueError("speaker judge: utterance is silent or shorter than 0.1 s")
        w = self._pre(x16, source_sr=JUDGE_RATE)
        if len(w) < JUDGE_RATE // 10:
            # Badly converted audio (noise, buzz) can hold no frame the VAD calls speech; score it whole rather
            # than drop it, so a bad model gets a bad score instead of a crashed evaluation.
            w = x16 / peak * 0.5
            self.untrimmed += 1
        before = self._torch.get_num_threads()
        if self._threads > 0:
            self._torch.set_num_threads(self._threads)
        try:
            e = self._enc.embed_utterance(w)
        finally:
            self._torch.set_num_threads(before)
        return e / max(float(np.linalg.norm(e)), 1e-12)


def speaker_centroid(embeds: list[np.ndarray]) -> np.ndarray:
    """Mean of unit embeddings, renormalised. embeds: list of (D,) → (D,)."""
    if not embeds:
        raise ValueError("speaker centroid needs at least one embedding")
    m = np.mean(np.stack(embeds), axis=0)
    return m / max(float(np.linalg.norm(m)), 1e-12)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (D,)."""
    return float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


def same_speaker_baseline(ref_embeds: list[np.ndarray]) -> float | None:
    """Leave-one-out similarity of each reference to the centroid of the others (None if < 2 references)."""
    if len(ref_embeds) < 2:
        return None
    sims = [cosine(e, speaker_centroid(ref_embeds[:i] + ref_embeds[i + 1:])) for i, e in enumerate(ref_embeds)]
    return float(np.mean(sims))
