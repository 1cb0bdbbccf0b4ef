"""`tmrvc-manifest`: scan a corpus folder (vctk, jvs, libritts_r, generic) into a JSON-lines manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence

from tqdm import tqdm

from tmrvc_data.adapters import ScanResult, candidates, check_candidate
from tmrvc_data.audio_io import AudioCheck
from tmrvc_data.config import run_cli
from tmrvc_data.manifest import write_manifest


@dataclass(frozen=True)
class ManifestConfig:
    """Settings of `tmrvc-manifest`."""

    corpus: str = "generic"
    root: str = ""
    out: str = "data/manifest.jsonl"
    min_seconds: float = 0.5
    clip_level: float = 0.999
    max_clipped_fraction: float = 0.001
    progress: bool = True


def scan(cfg: ManifestConfig) -> ScanResult:
    """Scan the corpus; bad files go to `rejected` with their reason."""
    if not cfg.root:
        raise ValueError("setting 'root' is required (the corpus folder)")
    check = AudioCheck(cfg.min_seconds, cfg.clip_level, cfg.max_clipped_fraction)
    good, bad = [], []
    for cand in tqdm(list(candidates(cfg.corpus, Path(cfg.root))), desc=f"scan {cfg.corpus}",
                     disable=not cfg.progress):
        utt, reason = check_candidate(cand, check, cfg.corpus)
        if utt is None:
            bad.append((str(cand[0]), reason or ""))
        else:
            good.append(utt)
    return ScanResult(good, bad)


def main(cfg: ManifestConfig) -> ScanResult:
    """Write `<out>` (good utterances) and `<out>.rejected.json` (skipped files with reasons); print a summary."""
    result = scan(cfg)
    out = Path(cfg.out)
    write_manifest(out, result.utterances)
    rej_path = out.with_suffix(".rejected.json")
    rej_path.write_text(json.dumps([{"path": p, "reason": r} for p, r in result.rejected], indent=1))
    speakers = {u.speaker for u in result.utterances}
    hours = sum(u.duration for u in result.utterances) / 3600
    print(f"[tmrvc-manifest] {cfg.corpus}: {len(result.utterances)} utterances, {len(speakers)} speakers, "
          f"{hours:.3f} h -> {out}; {len(result.rejected)} rejected -> {rej_path}")
    for p, r in result.rejected:
        print(f"  skipped {p}: {r}")
    return result


def cli(argv: Sequence[str] | None = None) -> None:
    run_cli(ManifestConfig, main, argv, __doc__ or "")
