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
from tmrvc_data.phone_map import espeak_to_festival
from tmrvc_data.sentences import TRAIN_ONLY_SENTENCES, sentence_name, sentences_for, train_only_sentence_name
from tmrvc_data.speaker_augment import sibling_job, sibling_name, sibling_params
from tmrvc_data.synth import EspeakSynth, VoiceSpec, festival_synth, flite_synth
from tmrvc_data.voices import BUILTIN_VOICES, SAME_PERSON, voice_by_name

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class CorpusConfig:
    """Settings of `tmrvc-make-corpus`. voices: names of built-in or real voices (empty = the built-in set);
    val_voices / test_voices: held-out voices by name (when either is set the seeded voice split is off and every
    other voice trains; a held-out person is held out under all its names, voices.SAME_PERSON); n_sentences:
    first N sentences of each language (0 = all); the sentence split is drawn per language, n_val_sentences /
    n_test_sentences for English and the *_other counts for the other languages (16 sentences each); siblings_per_voice:
    speakers made from every real-recorded training voice by speaker augmentation (speaker_augment.py), each a
    training speaker of its own (held-out voices are never augmented); espeak_english_phones: 'espeak' (espeak-ng's
    own phoneme names) or 'festival' (named in festival's English set, phone_map.py, so espeak and festival English
    voices teach the same classes); train_only_sentences: add sentences.TRAIN_ONLY_SENTENCES to English, always in
    the training split (the held-out draw over the other sentences is unchanged)."""

    out: str = "data/synthetic"
    voices: tuple[str, ...] = ()
    val_voices: tuple[str, ...] = ()
    test_voices: tuple[str, ...] = ()
    n_sentences: int = 0
    n_val_voices: int = 2
    n_test_voices: int = 3
    n_val_sentences: int = 4
    n_test_sentences: int = 6
    n_val_sentences_other: int = 1
    n_test_sentences_other: int = 4
    siblings_per_voice: int = 0
    espeak_english_phones: str = "espeak"
    train_only_sentences: bool = False
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
    if spec.engine == "flite":
        return flite_synth(text, spec)
    raise ValueError(f"voice '{spec.name}': unknown engine '{spec.engine}'")


def _job(args: tuple[VoiceSpec, str, str, str, str]) -> tuple[str, str, float, int]:
    """Synthesise one (voice, sentence) unless its files exist with the wanted phone set.
    Returns (voice, sentence, duration, rate)."""
    spec, sent_name, text, out, espeak_english = args
    stem = f"{spec.name}__{sent_name}"
    wav = Path(out) / "wavs" / spec.name / f"{stem}.wav"
    phon = Path(out) / "phones" / spec.name / f"{stem}.json"
    wanted_set = phone_set(spec, espeak_english)
    if wav.is_file() and phon.is_file():
        meta = json.loads(phon.read_text())
        if meta["phone_set"] == wanted_set:
            return spec.name, sent_name, meta["duration"], meta["sample_rate"]
    x, sr, phones = _synth(spec, text)
    if len(x) == 0:
        raise ValueError(f"{spec.name} produced no audio for {sent_name}")
    if wanted_set != phone_set(spec):
        phones = espeak_to_festival(phones)
    write_wav(wav, x, sr)
    phon.parent.mkdir(parents=True, exist_ok=True)
    phon.write_text(json.dumps({"phone_set": wanted_set, "sample_rate": sr, "duration": len(x) / sr,
                                "phones": [[p, round(a, 5), round(b, 5)] for p, a, b in phones]}))
    return spec.name, sent_name, len(x) / sr, sr


def phone_set(spec: VoiceSpec, espeak_english: str = "espeak") -> str:
    """Namespace of a voice's phone names: flite speaks festival's (CMU) English phone set; espeak's English
    phonemes are renamed into it when `espeak_english` is 'festival'."""
    if espeak_english not in ("espeak", "festival"):
        raise ValueError(f"espeak_english_phones must be 'espeak' or 'festival', got {espeak_english!r}")
    if spec.engine != "espeak":
        return "festival"
    return "festival" if espeak_english == "festival" and spec.language == "en" else "espeak"


def split_voices(names: Sequence[str], cfg: CorpusConfig) -> dict[str, list[str]]:
    """The voice split: seeded (n_val_voices / n_test_voices) unless val_voices / test_voices name it."""
    if not (cfg.val_voices or cfg.test_voices):
        return split_names(names, cfg.n_val_voices, cfg.n_test_voices, cfg.seed, "voices")
    held = {"val": set(cfg.val_voices), "test": set(cfg.test_voices)}
    for part in ("test", "val"):
        for group in SAME_PERSON:
            if held[part] & set(group):
                held[part] |= set(group) & set(names)
        unknown = held[part] - set(names)
        if unknown:
            raise ValueError(f"{part}_voices {sorted(unknown)} are not among the corpus voices")
    if held["val"] & held["test"]:
        raise ValueError(f"voices both in val and test: {sorted(held['val'] & held['test'])}")
    train = [n for n in names if n not in held["val"] | held["test"]]
    if not train:
        raise ValueError("voices: need at least one training voice")
    return {"train": sorted(train), "val": sorted(held["val"]), "test": sorted(held["test"])}


def split_sentences(by_language: dict[str, dict[str, str]], cfg: CorpusConfig) -> dict[str, list[str]]:
    """Seeded sentence split drawn inside each language (English keeps the historical draw)."""
    out: dict[str, list[str]] = {part: [] for part in SPLITS}
    for lang, sents in sorted(by_language.items()):
        what = "sentences" if lang == "en" else f"sentences:{lang}"
        n_val, n_test = ((cfg.n_val_sentences, cfg.n_test_sentences) if lang == "en" else
                         (cfg.n_val_sentences_other, cfg.n_test_sentences_other))
        while len(sents) - n_val - n_test < 1 and n_val + n_test > 0:  # small languages: fewer held out
            n_val, n_test = (n_val - 1, n_test) if n_val >= n_test and n_val > 0 else (n_val, n_test - 1)
        for part, names in split_names(list(sents), n_val, n_test, cfg.seed, what).items():
            out[part] += names
    return {part: sorted(names) for part, names in out.items()}


def _siblings(pool, specs: list[VoiceSpec], splits: dict, by_language: dict, cfg: CorpusConfig,  # type: ignore[no-untyped-def]
              language: dict[str, str]) -> list[tuple[str, str, float, int]]:
    """Augmented siblings of the real-recorded training voices; they join the training voices (and `language`)."""
    if cfg.siblings_per_voice <= 0:
        return []
    jobs = []
    for spec in specs:
        if not spec.real or spec.name not in splits["voices"]["train"]:
            continue
        for k in range(cfg.siblings_per_voice):
            sib, params = sibling_name(spec.name, k), sibling_params(spec.name, k, cfg.seed)
            language[sib] = spec.language
            splits["voices"]["train"].append(sib)
            jobs += [(spec.name, sib, sent, params, cfg.out) for sent in by_language[spec.language]]
    splits["voices"]["train"].sort()
    return list(tqdm(pool.imap(sibling_job, jobs, chunksize=4), total=len(jobs), desc="siblings",
                     disable=not cfg.progress))


def _utterance(voice: str, sent: str, dur: float, splits: dict, text: str, language: str) -> Utterance:
    vs = next(s for s in SPLITS if voice in splits["voices"][s])
    ss = next(s for s in SPLITS if sent in splits["sentences"][s])
    stem = f"{voice}__{sent}"
    return Utterance(utt_id=stem, path=f"wavs/{voice}/{stem}.wav", speaker=voice, duration=round(dur, 4),
                     text=text, language=language, split=vs if vs == ss else "mixed", sentence=sent,
                     extra={"voice_split": vs, "sentence_split": ss, "phones": f"phones/{voice}/{stem}.json"})


def main(cfg: CorpusConfig) -> list[Utterance]:
    """Build (or complete) the corpus; returns the manifest's utterances and prints a summary."""
    t0 = time.perf_counter()
    specs = [voice_by_name(n) for n in cfg.voices] if cfg.voices else list(BUILTIN_VOICES)
    if cfg.n_sentences < 0:
        raise ValueError(f"n_sentences must be >= 0 (0 = all), got {cfg.n_sentences}")
    by_language: dict[str, dict[str, str]] = {}
    for lang in sorted({s.language for s in specs}):
        texts = sentences_for(lang)
        n = min(cfg.n_sentences or len(texts), len(texts))
        by_language[lang] = {sentence_name(lang, i): texts[i] for i in range(n)}
    splits = {"voices": split_voices([s.name for s in specs], cfg),
              "sentences": split_sentences(by_language, cfg)}
    if cfg.train_only_sentences and "en" in by_language:
        extra = {train_only_sentence_name(i): text for i, text in enumerate(TRAIN_ONLY_SENTENCES)}
        by_language["en"].update(extra)
        splits["sentences"]["train"] = sorted(splits["sentences"]["train"] + list(extra))
    sentences = {name: text for sents in by_language.values() for name, text in sents.items()}
    n_sent = len(sentences)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(spec, name, text, str(out), cfg.espeak_english_phones)
            for spec in specs for name, text in by_language[spec.language].items()]
    language = {s.name: s.language for s in specs}
    results = []
    with mp.get_context("fork").Pool(max(1, cfg.workers), maxtasksperchild=1) as pool:
        for r in tqdm(pool.imap(_job, jobs, chunksize=1), total=len(jobs), desc="synthesise",
                      disable=not cfg.progress):
            results.append(r)
        results += _siblings(pool, specs, splits, by_language, cfg, language)
    utts = [_utterance(v, s, d, splits, sentences[s], language[v]) for v, s, d, _ in results]
    write_manifest(out / "manifest.jsonl", utts)
    (out / "splits.json").write_text(json.dumps(splits, indent=1))
    total = sum(u.duration for u in utts)
    stats = {"config": config_to_dict(cfg), "n_voices": len(language), "n_sentences": n_sent,
             "n_utterances": len(utts), "total_seconds": round(total, 2),
             "build_seconds": round(time.perf_counter() - t0, 2)}
    (out / "corpus.json").write_text(json.dumps(stats, indent=1))
    print(f"[tmrvc-make-corpus] {len(language)} voices x {n_sent} sentences = {len(utts)} utterances, "
          f"{total / 60:.1f} min of audio in {stats['build_seconds']} s -> {out}")
    for part in SPLITS:
        print(f"  {part}: voices {splits['voices'][part]}; sentences {len(splits['sentences'][part])}")
    return utts


def cli(argv: Sequence[str] | None = None) -> None:
    run_cli(CorpusConfig, main, argv, __doc__ or "")
