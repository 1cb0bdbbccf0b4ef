"""Intelligibility: word error rate by pocketsphinx (its en-us model ships in the wheel), decoding with a
JSGF word loop over the evaluation vocabulary (the default language model is poor on synthetic speech)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

RECOGNISER_RATE = 16000
_WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    """Lower-case word tokens of a transcript."""
    return _WORD.findall(text.lower())


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(refs: Iterable[str], hyps: Iterable[str]) -> float:
    """Corpus WER: total edits / total reference words."""
    edits = total = 0
    for r, h in zip(refs, hyps, strict=True):
        rw = words(r)
        edits += edit_distance(rw, words(h))
        total += len(rw)
    if total == 0:
        raise ValueError("WER needs at least one reference word")
    return edits / total


class Recogniser:
    """pocketsphinx decoder restricted to a word loop over `vocabulary`; words missing from its dictionary
    are left out of the grammar (listed in `oov`). The decoder adapts (cepstral mean) from one utterance to
    the next, so each utterance gets a fresh decoder and results do not depend on order."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        vocab = sorted(set(vocabulary))
        probe = self._decoder(None)
        self.oov = [w for w in vocab if not probe.lookup_word(w)]
        known = [w for w in vocab if w not in self.oov]
        if not known:
            raise ValueError("recogniser: no vocabulary word is in the pocketsphinx dictionary")
        self._grammar = "#JSGF V1.0;\ngrammar loop;\npublic <s> = ( " + " | ".join(known) + " )* ;\n"

    @staticmethod
    def _decoder(grammar: str | None):  # type: ignore[no-untyped-def]
        from pocketsphinx import Decoder

        dec = Decoder(lm=None, loglevel="FATAL")
        if grammar is not None:
            dec.add_jsgf_string("loop", grammar)
            dec.activate_search("loop")
        return dec

    def transcribe(self, x16k: np.ndarray) -> str:
        """x16k: (n,) float at 16 kHz → recognised words."""
        dec = self._decoder(self._grammar)
        pcm = (np.clip(x16k, -1.0, 1.0) * 32767.0).astype(np.int16).tobytes()
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        return hyp.hypstr if hyp is not None else ""
