"""`tmrvc-make-corpus`: the built-in deterministic multi-speaker parallel corpus (every voice speaks every
sentence), with phoneme timings and a train / val / test split of voices AND sentences by name.

Layout written under `out`:
  wavs/<voice>/<voice>__<sentence>.wav   (the synthesiser's own sample rate, 16-bit)
  phones/<voice>/<voice>__<sentence>.json  {"phone_set", "phones": [[phone, start_s, end_s], ...]}
  manifest.jsonl  splits.json  corpus.json
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing as mp
import random
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence

from tqdm import tqdm

from tmrvc_data.audio_io import write_wav
from tmrvc_data.config import config_to_dict, run_cli
from tmrvc_data.manifest import Utterance, write_manifest
from tmrvc_data.sentences import SENTENCES
from tmrvc_data.synth import EspeakSynth, VoiceSpec, festival_synth
from tmrvc_data.voices import BUILTIN_VOICES, voice_by_name

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class CorpusConfig:
    """Settings of `tmrvc-make-corpus`. voices: names of built-in voices (empty = all); n_sentences: first N
    built-in sentences (0 = all)."""

    out: str = "data/synthetic"
    voices: tuple[str, ...] = ()
    n_sentences: int = 0
    n_val_voices: int = 2
    n_test_voices: int = 3
    n_val_sentences: int = 4
    n_test_sentences: int = 6
    seed: int = 1234
    workers: int = 2
    progress: bool = True


def split_names(names: Sequence[str], n_val: int, n_test: int, seed: int, what: str) -> dict[str, list[str]]:
    """Deterministically split `names` into train/val/test lists (seeded shuffle, then sorted)."""
    if n_val < 0 or n_test < 0 or len(names) - n_val - n_test < 1:
        raise ValueError(f"{what}: need at least one training item, got {len(names)} with "
                         f"{n_val} val and {n_test} test")
    order = sorted(names)
    random.Random(f"{seed}:{what}").shuffle(order)
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return {"train": sorted(train), "val": sorted(val), "test": sorted(test)}


def _synth(spec: VoiceSpec, text: str):  # type: ignore[no-untyped-def]
    """One utterance. espeak-ng carries state from one utterance to the next inside a process (its output
    then depends on what the worker synthesised before), so every job runs in a fresh worker process
    (maxtasksperchild=1) with a fresh library instance and libc's rand() seeded from the job's name."""
    if spec.engine == "espeak":
        synth = EspeakSynth()
        ctypes.CDLL(None).srand(zlib.crc32(f"{spec.name}:{text}".encode()))
        return synth.synth(text, spec)
    if spec.engine == "festival":
        return festival_synth(text, spec)
    raise ValueError(f"voice '{spec.name}': unknown engine '{spec.engine}'")


def _job(args: tuple[VoiceSpec, str, str, str]) -> tuple[str, str, float, int]:
    """Synthesise one (voice, sentence) unless its files exist. Returns (voice, sentence, duration, rate)."""
    spec, sent_name, text, out = args
    stem = f"{spec.name}__{sent_name}"
    wav = Path(out) / "wavs" / spec.name / f"{stem}.wav"
    phon = Path(out) / "phones" / spec.name / f"{stem}.json"
    if wav.is_file() and phon.is_file():
        meta = json.loads(phon.read_text())
        return spec.name, sent_name, meta["duration"], meta["sample_rate"]
    x, sr, phones = _synth(spec, text)
    if len(x) == 0:
        raise ValueError(f"{spec.name} produced no audio for {sent_name}")
    write_wav(wav, x, sr)
    phon.parent.mkdir(parents=True, exist_ok=True)
    phon.write_text(json.dumps({"phone_set": spec.engine, "sample_rate": sr, "duration": len(x) / sr,
                                "phones": [[p, round(a, 5), round(b, 5)] for p, a, b in phones]}))
    return spec.name, sent_name, len(x) / sr, sr


def _utterance(voice: str, sent: str, dur: float, splits: dict, text: str) -> Utterance:
    vs = next(s for s in SPLITS if voice in splits["voices"][s])
    ss = next(s for s in SPLITS if sent in splits["sentences"][s])
    stem = f"{voice}__{sent}"
    return Utterance(utt_id=stem, path=f"wavs/{voice}/{stem}.wav", speaker=voice, duration=round(dur, 4),
                     text=text, language="en", split=vs if vs == ss else "mixed", sentence=sent,
                     extra={"voice_split": vs, "sentence_split": ss, "phones": f"phones/{voice}/{stem}.json"})


def main(cfg: CorpusConfig) -> list[Utterance]:
    """Build (or complete) the corpus; returns the manifest's utterances and prints a summary."""
    t0 = time.perf_counter()
    specs = [voice_by_name(n) for n in cfg.voices] if cfg.voices else list(BUILTIN_VOICES)
    n_sent = cfg.n_sentences or len(SENTENCES)
    if not 1 <= n_sent <= len(SENTENCES):
        raise ValueError(f"n_sentences must be in 1..{len(SENTENCES)}, got {cfg.n_sentences}")
    sentences = {f"s{i:03d}": SENTENCES[i] for i in range(n_sent)}
    splits = {"voices": split_names([s.name for s in specs], cfg.n_val_voices, cfg.n_test_voices, cfg.seed, "voices"),
              "sentences": split_names(list(sentences), cfg.n_val_sentences, cfg.n_test_sentences, cfg.seed,
                                       "sentences")}
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(spec, name, text, str(out)) for spec in specs for name, text in sentences.items()]
    results = []
    with mp.get_context("fork").Pool(max(1, cfg.workers), maxtasksperchild=1) as pool:
        for r in tqdm(pool.imap(_job, jobs, chunksize=1), total=len(jobs), desc="synthesise",
                      disable=not cfg.progress):
            results.append(r)
    utts = [_utterance(v, s, d, splits, sentences[s]) for v, s, d, _ in results]
    write_manifest(out / "manifest.jsonl", utts)
    (out / "splits.json").write_text(json.dumps(splits, indent=1))
    total = sum(u.duration for u in utts)
    stats = {"config": config_to_dict(cfg), "n_voices": len(specs), "n_sentences": n_sent,
             "n_utterances": len(utts), "total_seconds": round(total, 2),
             "build_seconds": round(time.perf_counter() - t0, 2)}
    (out / "corpus.json").write_text(json.dumps(stats, indent=1))
    print(f"[tmrvc-make-corpus] {len(specs)} voices x {n_sent} sentences = {len(utts)} utterances, "
          f"{total / 60:.1f} min of audio in {stats['build_seconds']} s -> {out}")
    for part in SPLITS:
        print(f"  {part}: voices {splits['voices'][part]}; sentences {len(splits['sentences'][part])}")
    return utts


def cli(argv: Sequence[str] | None = None) -> None:
    run_cli(CorpusConfig, main, argv, __doc__ or "")
