"""`tmrvc-build-cache`: per-utterance features from a preprocessed (24 kHz) manifest, one .npy per feature
and utterance so training memory-maps them and nothing loads the corpus into memory.

  <out>/mel/<utt>.npy (80, T) f32 · mag/<utt>.npy (513, T) f16|f32 · f0/<utt>.npy (T,) f32 (Hz, 0 = unvoiced)
  voice_source/<utt>.npy (8,) f32 · phones/<utt>.npy (T,) i16 (+ phones.json inventory)
  content/<utt>.npy (D, T) f16 (content teacher) · spk/<utt>.npy (D,) f32 (+ speakers.npz means)
  index.jsonl (one record per utterance) · cache.json (settings and statistics)
mel, mag and F0 come from tmrvc_core.dsp (what the engine computes). Finished outputs are skipped."""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from tmrvc_core.dsp.f0 import f0_track
from tmrvc_core.dsp.mel import log_mel
from tmrvc_core.dsp.stft import magnitude_phase
from tmrvc_data.audio_io import read_mono
from tmrvc_core.constants import SAMPLE_RATE
from tmrvc_data.config import config_to_dict, run_cli
from tmrvc_data.manifest import Utterance, read_manifest, resolve
from tmrvc_data.phone_classes import shared_phones
from tmrvc_data.teachers import PhonemeTeacher, make_content_teacher, make_speaker_teacher
from tmrvc_data.voice_source import voice_source_targets

SILENCE_PHONE = "<sil>"


@dataclass(frozen=True)
class CacheConfig:
    """Settings of `tmrvc-build-cache`. content_teacher: none | hf (transformers folder in
    content_checkpoint); phonemes: auto | on | off; speaker_teacher: none | ecapa | torchscript; phone_classes:
    per_language (the synthesiser's own phone names) | shared (every language's festival phones named by the nearest
    English phone, tmrvc_data/phone_classes.py)."""

    manifest: str = "data/preprocessed/manifest.jsonl"
    out: str = "data/cache"
    mag_dtype: str = "float16"
    phonemes: str = "auto"
    content_teacher: str = "none"
    content_checkpoint: str = ""
    content_layer: int = -1
    speaker_teacher: str = "none"
    speaker_checkpoint: str = ""
    phone_classes: str = "per_language"
    workers: int = 2
    progress: bool = True


def _dsp_job(args: tuple[dict, str, str, str]) -> dict:
    """mel, mag, F0 and voice-source targets of one utterance (skipped when present). Returns its record."""
    u_dict, manifest, out, mag_dtype = args
    u = Utterance(**u_dict)
    o = Path(out)
    paths = {k: o / k / f"{u.utt_id}.npy" for k in ("mel", "mag", "f0", "voice_source")}
    if all(p.is_file() for p in paths.values()):
        n_frames = int(np.load(paths["f0"], mmap_mode="r").shape[0])
    else:
        x, sr = read_mono(resolve(Path(manifest), u))
        if sr != SAMPLE_RATE:
            raise ValueError(f"{u.utt_id}: expected {SAMPLE_RATE} Hz audio (run tmrvc-preprocess), got {sr}")
        mag, _ = magnitude_phase(x)
        f0 = f0_track(x)
        n_frames = mag.shape[1]
        arrays = {"mel": log_mel(mag).astype(np.float32), "mag": mag.astype(mag_dtype),
                  "f0": f0.astype(np.float32), "voice_source": voice_source_targets(mag, f0)}
        for k, p in paths.items():
            p.parent.mkdir(parents=True, exist_ok=True)
            np.save(p, arrays[k])
    return {"utt_id": u.utt_id, "speaker": u.speaker, "split": u.split, "sentence": u.sentence,
            "n_frames": n_frames, "duration": u.duration, "path": str(resolve(Path(manifest), u)),
            "phones": u.extra.get("phones", "") if isinstance(u.extra, dict) else "", "language": u.language}


def _phone_file(manifest: Path, rel: str) -> dict:
    p = Path(rel) if Path(rel).is_absolute() else manifest.parent / rel
    return json.loads(p.read_text())


def check_phone_classes(phone_classes: str) -> None:
    if phone_classes not in ("per_language", "shared"):
        raise ValueError(f"phone_classes must be per_language or shared, got {phone_classes!r}")


def utterance_phones(d: dict, language: str, phone_classes: str) -> list:
    """A phone file's (phone, start_s, end_s) items, named as `phone_classes` asks (festival's phones only: an espeak
    phone set keeps its names)."""
    check_phone_classes(phone_classes)
    if phone_classes == "shared" and d["phone_set"] == "festival":
        return shared_phones(d["phones"], language)
    return d["phones"]


def build_inventory(manifest: Path, utts: list[Utterance], phone_classes: str = "per_language") -> list[str]:
    """Sorted `<phone_set>:<phone>` inventory over the corpus, SILENCE_PHONE first."""
    seen = set()
    for u in utts:
        rel = u.extra.get("phones") if isinstance(u.extra, dict) else None
        if rel:
            d = _phone_file(manifest, rel)
            seen.update(f"{d['phone_set']}:{p}" for p, _, _ in utterance_phones(d, u.language, phone_classes))
    return [SILENCE_PHONE] + sorted(seen)


def _teacher_pass(cfg: CacheConfig, records: list[dict], progress: bool) -> dict[str, int]:
    """Phoneme ids, content-teacher features and speaker embeddings (main process, one utterance at a time)."""
    out, manifest = Path(cfg.out), Path(cfg.manifest)
    utts = list(read_manifest(manifest))
    want_ph = cfg.phonemes == "on" or (cfg.phonemes == "auto" and any(r["phones"] for r in records))
    if cfg.phonemes not in ("auto", "on", "off"):
        raise ValueError(f"phonemes must be auto, on or off, got {cfg.phonemes!r}")
    check_phone_classes(cfg.phone_classes)  # before any phone file is read
    ph = PhonemeTeacher(build_inventory(manifest, utts, cfg.phone_classes)) if want_ph else None
    if ph is not None:
        (out / "phones.json").write_text(json.dumps(ph.inventory))
    content = make_content_teacher(cfg.content_teacher, cfg.content_checkpoint, cfg.content_layer)
    speaker = make_speaker_teacher(cfg.speaker_teacher, cfg.speaker_checkpoint)
    dims = {"phones": ph.dim if ph else 0, "content": content.dim if content else 0,
            "spk": speaker.dim if speaker else 0}
    if not (ph or content or speaker):
        return dims
    for r in tqdm(records, desc="teachers", disable=not progress):
        _teachers_one(r, out, manifest, ph, content, speaker, cfg.phone_classes)
    return dims


def _teachers_one(r: dict, out: Path, manifest: Path, ph, content, speaker,  # type: ignore[no-untyped-def]
                  phone_classes: str) -> None:
    uid, n = r["utt_id"], r["n_frames"]
    targets = {"phones": ph is not None and bool(r["phones"]), "content": content is not None,
               "spk": speaker is not None}
    todo = [k for k, on in targets.items() if on and not (out / k / f"{uid}.npy").is_file()]
    if not todo:
        return
    x = read_mono(Path(r["path"]))[0] if ("content" in todo or "spk" in todo) else None
    for k in todo:
        if k == "phones":
            d = _phone_file(manifest, r["phones"])
            arr = ph.ids(utterance_phones(d, r.get("language", "en"), phone_classes), d["phone_set"], n)
        elif k == "content":
            arr = content(x, n, None).astype(np.float16)
        else:
            arr = speaker(x).astype(np.float32)
        (out / k).mkdir(parents=True, exist_ok=True)
        np.save(out / k / f"{uid}.npy", arr)


def _speaker_means(out: Path, records: list[dict]) -> None:
    by_spk: dict[str, list[np.ndarray]] = {}
    for r in records:
        p = out / "spk" / f"{r['utt_id']}.npy"
        if p.is_file():
            by_spk.setdefault(r["speaker"], []).append(np.load(p))
    if by_spk:
        means = {s: np.mean(v, axis=0) for s, v in by_spk.items()}
        np.savez(out / "speakers.npz", **{s: m / max(float(np.linalg.norm(m)), 1e-12) for s, m in means.items()})


def main(cfg: CacheConfig) -> list[dict]:
    """Build (or complete) the cache; returns the index records and prints a summary."""
    if cfg.mag_dtype not in ("float16", "float32"):
        raise ValueError(f"mag_dtype must be float16 or float32, got {cfg.mag_dtype!r}")
    t0, out = time.perf_counter(), Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    utts = list(read_manifest(Path(cfg.manifest)))
    jobs = [(asdict(u), cfg.manifest, str(out), cfg.mag_dtype) for u in utts]
    with mp.get_context("fork").Pool(max(1, cfg.workers)) as pool:
        records = list(tqdm(pool.imap(_dsp_job, jobs, chunksize=2), total=len(jobs), desc="features",
                            disable=not cfg.progress))
    dims = _teacher_pass(cfg, records, cfg.progress)
    _speaker_means(out, records)
    with (out / "index.jsonl").open("w") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    stats = {"config": config_to_dict(cfg), "n_utterances": len(records), "dims": dims,
             "n_frames": int(sum(r["n_frames"] for r in records)), "bytes": size,
             "build_seconds": round(time.perf_counter() - t0, 2)}
    (out / "cache.json").write_text(json.dumps(stats, indent=1))
    print(f"[tmrvc-build-cache] {len(records)} utterances, {stats['n_frames']} frames, "
          f"{size / 2**20:.1f} MiB in {stats['build_seconds']} s -> {out} (teacher dims {dims})")
    return records


def cli(argv: Sequence[str] | None = None) -> None:
    run_cli(CacheConfig, main, argv, __doc__ or "")
