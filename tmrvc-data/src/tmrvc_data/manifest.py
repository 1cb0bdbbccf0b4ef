"""Utterance manifests: one JSON object per line (path, speaker, text, language, duration, plus extras)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from collections.abc import Iterable, Iterator


@dataclass(frozen=True)
class Utterance:
    """One utterance of a corpus. `path` is absolute or relative to the manifest's folder."""

    utt_id: str
    path: str
    speaker: str
    duration: float
    text: str = ""
    language: str = ""
    split: str = ""
    sentence: str = ""
    extra: dict = field(default_factory=dict)


def write_manifest(path: Path, utts: Iterable[Utterance]) -> int:
    """Write utterances as JSON lines. Returns the number written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for u in utts:
            fh.write(json.dumps(asdict(u), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_manifest(path: Path) -> Iterator[Utterance]:
    """Stream utterances from a JSON-lines manifest (never loads the whole file)."""
    if not path.is_file():
        raise ValueError(f"manifest not found: {path}")
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield Utterance(**json.loads(line))
            except (json.JSONDecodeError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: bad manifest line ({exc})") from exc


def resolve(manifest_path: Path, utt: Utterance) -> Path:
    """Absolute audio path of `utt` (relative paths are relative to the manifest's folder)."""
    p = Path(utt.path)
    return p if p.is_absolute() else manifest_path.parent / p
