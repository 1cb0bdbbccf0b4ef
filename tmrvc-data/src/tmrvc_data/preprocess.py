"""`tmrvc-preprocess`: manifest → 24 kHz, BS.1770 loudness-normalised, silence-trimmed, segmented WAVs and a
new manifest. Parallel over processes; idempotent (finished utterances are skipped, a second run says so).

Per utterance: resample with `tmrvc_core.dsp.resample` (its causal delay removed), trim leading/trailing
frames quieter than `trim_db` below the loudest 10 ms frame (keeping `trim_margin_s`), normalise to
`target_lufs` (pyloudnorm; RMS fallback for clips under 0.4 s), scale down if the peak exceeds `peak_limit`,
split utterances longer than `max_segment_s` at the quietest 10 ms frame of each split window, and drop
segments shorter than `min_segment_s`. Phoneme timings (synthetic corpus) follow the trim and segmentation."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from tmrvc_core.constants import HOP_LENGTH, SAMPLE_RATE
from tmrvc_core.dsp.resample import half_length, ratio, resample
from tmrvc_data.audio_io import read_mono, write_wav
from tmrvc_data.config import config_to_dict, run_cli
from tmrvc_data.manifest import Utterance, read_manifest, resolve, write_manifest

LOUDNESS_MIN_SECONDS = 0.4


@dataclass(frozen=True)
class PreprocessConfig:
    """Settings of `tmrvc-preprocess`."""

    manifest: str = "data/synthetic/manifest.jsonl"
    out: str = "data/preprocessed"
    target_lufs: float = -23.0
    peak_limit: float = 0.95
    trim_db: float = 40.0
    trim_margin_s: float = 0.05
    max_segment_s: float = 10.0
    min_segment_s: float = 0.5
    workers: int = 2
    progress: bool = True


def resample_aligned(x: np.ndarray, rate: int) -> np.ndarray:
    """x: (n,) at `rate` → (round(n · 24000 / rate),) at SAMPLE_RATE, the resampler's causal delay removed."""
    if rate == SAMPLE_RATE:
        return x.copy()
    up, down = ratio(rate, SAMPLE_RATE)
    delay = int(round(half_length(rate, SAMPLE_RATE) / down))
    n_out = int(round(len(x) * SAMPLE_RATE / rate))
    pad = int(np.ceil((delay + 1) * rate / SAMPLE_RATE)) + 1
    y = resample(np.concatenate([x, np.zeros(pad)]), rate, SAMPLE_RATE)
    return y[delay:delay + n_out]


def trim_bounds(x: np.ndarray, trim_db: float, margin_s: float) -> tuple[int, int]:
    """Sample range [start, end) without leading/trailing silence. x: (n,) at SAMPLE_RATE."""
    n_fr = len(x) // HOP_LENGTH
    if n_fr == 0:
        return 0, len(x)
    e = 10 * np.log10(np.mean(x[: n_fr * HOP_LENGTH].reshape(n_fr, HOP_LENGTH) ** 2, axis=1) + 1e-20)
    loud = np.nonzero(e > e.max() - trim_db)[0]
    margin = int(margin_s * SAMPLE_RATE)
    return max(0, loud[0] * HOP_LENGTH - margin), min(len(x), (loud[-1] + 1) * HOP_LENGTH + margin)


def normalise_loudness(x: np.ndarray, target_lufs: float, peak_limit: float) -> tuple[np.ndarray, float]:
    """Scale x: (n,) to `target_lufs` (BS.1770), then down to `peak_limit` if needed. Returns (y, gain_db)."""
    import pyloudnorm

    if len(x) >= LOUDNESS_MIN_SECONDS * SAMPLE_RATE:
        loud = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(x)
    else:
        loud = 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12) - 0.691
    gain = 10 ** ((target_lufs - loud) / 20) if np.isfinite(loud) else 1.0
    peak = np.max(np.abs(x)) * gain
    if peak > peak_limit:
        gain *= peak_limit / peak
    return x * gain, float(20 * np.log10(gain))


def segment_bounds(n: int, x: np.ndarray, max_s: float) -> list[tuple[int, int]]:
    """Split [0, n) into pieces ≤ max_s, cutting at the quietest hop in the last third of each piece."""
    max_len = int(max_s * SAMPLE_RATE)
    bounds, start = [], 0
    while n - start > max_len:
        lo, hi = start + 2 * max_len // 3, start + max_len
        hops = np.arange(lo, hi - HOP_LENGTH, HOP_LENGTH)
        energies = [np.sum(x[h:h + HOP_LENGTH] ** 2) for h in hops]
        cut = int(hops[int(np.argmin(energies))]) if len(hops) else hi
        bounds.append((start, cut))
        start = cut
    bounds.append((start, n))
    return bounds


def _phones_for(phones: list, offset_s: float, length_s: float) -> list:
    out = []
    for p, a, b in phones:
        a2, b2 = max(a - offset_s, 0.0), min(b - offset_s, length_s)
        if b2 > a2:
            out.append([p, round(a2, 5), round(b2, 5)])
    return out


def process_one(args: tuple[dict, str, str, dict]) -> list[dict]:
    """Preprocess one utterance (dict of an Utterance). Returns the output records; writes a done-file."""
    u_dict, manifest_path, out, cfg_d = args
    cfg = PreprocessConfig(**cfg_d)
    u = Utterance(**u_dict)
    done = Path(out) / "records" / f"{u.utt_id}.json"
    if done.is_file():
        return json.loads(done.read_text())
    x, sr = read_mono(resolve(Path(manifest_path), u))
    y = resample_aligned(x, sr)
    a, b = trim_bounds(y, cfg.trim_db, cfg.trim_margin_s)
    y, gain_db = normalise_loudness(y[a:b], cfg.target_lufs, cfg.peak_limit)
    phones = _load_phones(Path(manifest_path), u)
    records = []
    pieces = segment_bounds(len(y), y, cfg.max_segment_s)
    for k, (s, e) in enumerate(pieces):
        if e - s < cfg.min_segment_s * SAMPLE_RATE:
            continue
        whole = len(pieces) == 1
        seg_id = u.utt_id if whole else f"{u.utt_id}_seg{k}"
        rel = Path("wavs") / u.speaker / f"{seg_id}.wav"
        write_wav(Path(out) / rel, y[s:e], SAMPLE_RATE)
        extra = {**u.extra, "source_path": str(resolve(Path(manifest_path), u)), "gain_db": round(gain_db, 2)}
        if not whole:
            extra["parent_text"], extra["segment"] = u.text, k
        if phones is not None:
            pp = Path("phones") / u.speaker / f"{seg_id}.json"
            (Path(out) / pp).parent.mkdir(parents=True, exist_ok=True)
            seg_phones = _phones_for(phones["phones"], (a + s) / SAMPLE_RATE, (e - s) / SAMPLE_RATE)
            (Path(out) / pp).write_text(json.dumps({"phone_set": phones["phone_set"], "phones": seg_phones}))
            extra["phones"] = str(pp)
        records.append(asdict(Utterance(seg_id, str(rel), u.speaker, round((e - s) / SAMPLE_RATE, 4),
                                        u.text if whole else "",
                                        u.language, u.split, u.sentence, extra)))
    done.parent.mkdir(parents=True, exist_ok=True)
    done.write_text(json.dumps(records))
    return records


def _load_phones(manifest_path: Path, u: Utterance) -> dict | None:
    rel = u.extra.get("phones") if isinstance(u.extra, dict) else None
    if not rel:
        return None
    p = Path(rel) if Path(rel).is_absolute() else manifest_path.parent / rel
    return json.loads(p.read_text()) if p.is_file() else None


def _settings_hash(cfg: PreprocessConfig) -> str:
    d = {k: v for k, v in config_to_dict(cfg).items() if k not in ("workers", "progress", "out")}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def main(cfg: PreprocessConfig) -> list[Utterance]:
    """Preprocess every utterance of `manifest` into `out`; returns the output manifest's utterances."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp, h = out / "preprocess.json", _settings_hash(cfg)
    if stamp.is_file() and json.loads(stamp.read_text()).get("settings_hash") != h:
        raise ValueError(f"{out} was preprocessed with other settings; use another `out` or delete it")
    stamp.write_text(json.dumps({"settings_hash": h, "config": config_to_dict(cfg)}, indent=1))
    utts = list(read_manifest(Path(cfg.manifest)))
    todo = [u for u in utts if not (out / "records" / f"{u.utt_id}.json").is_file()]
    jobs = [(asdict(u), cfg.manifest, str(out), config_to_dict(cfg)) for u in utts]
    with mp.get_context("fork").Pool(max(1, cfg.workers)) as pool:
        recs = list(tqdm(pool.imap(process_one, jobs, chunksize=4), total=len(jobs), desc="preprocess",
                         disable=not cfg.progress or not todo))
    result = [Utterance(**r) for rs in recs for r in rs]
    write_manifest(out / "manifest.jsonl", result)
    if not todo:
        print(f"[tmrvc-preprocess] nothing to do: all {len(utts)} utterances already preprocessed in {out}")
    else:
        total = sum(u.duration for u in result)
        print(f"[tmrvc-preprocess] {len(todo)} of {len(utts)} utterances processed -> {len(result)} segments, "
              f"{total / 60:.1f} min at {SAMPLE_RATE} Hz, {cfg.target_lufs} LUFS -> {out / 'manifest.jsonl'}")
    return result


def cli(argv: Sequence[str] | None = None) -> None:
    run_cli(PreprocessConfig, main, argv, __doc__ or "")
