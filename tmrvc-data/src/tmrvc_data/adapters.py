"""Corpus adapters: a folder in a known layout → utterance records, with bad files reported and skipped.

Layouts:
- vctk:      <root>/wav48_silence_trimmed/pXXX/pXXX_NNN_mic{1,2}.flac, text in <root>/txt/pXXX/pXXX_NNN.txt
- jvs:       <root>/jvsNNN/<subset>/wav24kHz16bit/*.wav, text in <root>/jvsNNN/<subset>/transcripts_utf8.txt
             (lines `NAME:text`)
- libritts_r: <root>/[<split>/]<speaker>/<chapter>/<utt>.wav with <utt>.normalized.txt beside it
- generic:   <root>/<speaker>/*.wav|*.flac (text from a .txt/.lab beside the audio if present)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Iterator

from tmrvc_data.audio_io import AUDIO_SUFFIXES, AudioCheck, check_audio
from tmrvc_data.manifest import Utterance

# (path, speaker, text, language) candidates before the file checks
Candidate = tuple[Path, str, str, str]


@dataclass(frozen=True)
class ScanResult:
    """Outcome of scanning a corpus: good utterances and (path, reason) for every skipped file."""

    utterances: list[Utterance]
    rejected: list[tuple[str, str]]


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


def _vctk(root: Path) -> Iterator[Candidate]:
    audio_root = root / "wav48_silence_trimmed"
    if not audio_root.is_dir():
        raise ValueError(f"VCTK layout expected {audio_root} to exist")
    for spk_dir in sorted(p for p in audio_root.iterdir() if p.is_dir()):
        for f in sorted(spk_dir.glob("*.flac")):
            base = f.stem.rsplit("_mic", 1)[0]
            yield f, spk_dir.name, _read_text(root / "txt" / spk_dir.name / f"{base}.txt"), "en"


def _jvs_transcripts(subset_dir: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    tfile = subset_dir / "transcripts_utf8.txt"
    if tfile.is_file():
        for line in tfile.read_text(encoding="utf-8").splitlines():
            if ":" in line:
                name, text = line.split(":", 1)
                out[name.strip()] = text.strip()
    return out


def _jvs(root: Path) -> Iterator[Candidate]:
    spk_dirs = sorted(p for p in root.glob("jvs[0-9][0-9][0-9]") if p.is_dir())
    if not spk_dirs:
        raise ValueError(f"JVS layout expected folders {root}/jvsNNN")
    for spk_dir in spk_dirs:
        for subset in sorted(p for p in spk_dir.iterdir() if (p / "wav24kHz16bit").is_dir()):
            texts = _jvs_transcripts(subset)
            for f in sorted((subset / "wav24kHz16bit").glob("*.wav")):
                yield f, spk_dir.name, texts.get(f.stem, ""), "ja"


def _libritts_r(root: Path) -> Iterator[Candidate]:
    files = sorted(root.rglob("*.wav"))
    if not files:
        raise ValueError(f"LibriTTS-R layout expected <speaker>/<chapter>/*.wav under {root}")
    for f in files:
        rel = f.relative_to(root).parts
        if len(rel) < 3:
            continue
        text = _read_text(f.with_suffix(".normalized.txt"))
        yield f, rel[-3], text, "en"


def _generic(root: Path) -> Iterator[Candidate]:
    spk_dirs = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not spk_dirs:
        raise ValueError(f"generic layout expected speaker folders under {root}")
    for spk_dir in spk_dirs:
        for f in sorted(p for p in spk_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
            text = _read_text(f.with_suffix(".txt")) or _read_text(f.with_suffix(".lab"))
            yield f, spk_dir.name, text, ""


ADAPTERS: dict[str, Callable[[Path], Iterator[Candidate]]] = {
    "vctk": _vctk,
    "jvs": _jvs,
    "libritts_r": _libritts_r,
    "generic": _generic,
}


def candidates(corpus: str, root: Path) -> Iterator[Candidate]:
    """Candidate (path, speaker, text, language) tuples of a corpus layout, before file checks."""
    if corpus not in ADAPTERS:
        raise ValueError(f"unknown corpus '{corpus}'; expected one of {sorted(ADAPTERS)}")
    if not root.is_dir():
        raise ValueError(f"corpus root not found: {root}")
    return ADAPTERS[corpus](root)


def check_candidate(cand: Candidate, check: AudioCheck, corpus: str) -> tuple[Utterance | None, str | None]:
    """Run the file checks on one candidate. Returns (utterance, None) or (None, reason)."""
    path, speaker, text, language = cand
    duration, reason = check_audio(path, check)
    if reason is not None:
        return None, reason
    utt = Utterance(utt_id=f"{corpus}_{speaker}_{path.stem}", path=str(path.resolve()), speaker=speaker,
                    duration=round(duration, 4), text=text, language=language)
    return utt, None
