"""Settings parsing and the corpus adapters on fake folder trees with real audio files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tmrvc_data.cli_manifest import ManifestConfig, main
from tmrvc_data.config import build_config, parse_cli
from tmrvc_data.manifest import read_manifest


@dataclass(frozen=True)
class _Cfg:
    name: str = "a"
    n: int = 1
    x: float = 0.5
    flag: bool = False
    items: tuple[str, ...] = ()


def test_cli_overrides_yaml_and_defaults(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text("n: 3\nitems: [p, q]\n")
    cfg = parse_cli(_Cfg, ["--config", str(y), "--x", "2.5", "--flag", "--name=z"])
    assert cfg == _Cfg(name="z", n=3, x=2.5, flag=True, items=("p", "q"))
    assert parse_cli(_Cfg, ["--items", "u,v"]).items == ("u", "v")
    with pytest.raises(ValueError, match="unknown setting"):
        build_config(_Cfg, {"nope": 1})
    with pytest.raises(ValueError, match="expected int"):
        parse_cli(_Cfg, ["--n", "abc"])


def _voice(seed: int, seconds: float = 1.0, sr: int = 24000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    return 0.3 * np.sin(2 * np.pi * (120 + 10 * seed) * t) + 0.01 * rng.standard_normal(len(t))


def _write(path: Path, x: np.ndarray, sr: int = 24000, fmt: str | None = None, subtype: str = "PCM_16") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x, sr, format=fmt, subtype=subtype)


def _bad_files(folder: Path, suffix: str = ".wav") -> dict[str, str]:
    """Write one bad file of every kind into `folder`; returns {stem: expected reason prefix}."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"garbage{suffix}").write_bytes(b"not audio at all" * 10)
    _write(folder / f"short{suffix}", _voice(1, 0.1))
    clipped = np.clip(_voice(2) * 10, -1, 1)
    _write(folder / f"clipped{suffix}", clipped)
    nan = _voice(3).astype(np.float32)
    nan[100] = np.nan
    if suffix == ".wav":
        _write(folder / "nan.wav", nan, subtype="FLOAT")
        _write(folder / "empty.wav", np.zeros(0))
        return {"garbage": "unreadable", "short": "too short", "clipped": "clipped", "nan": "non-finite",
                "empty": "empty"}
    return {"garbage": "unreadable", "short": "too short", "clipped": "clipped"}


def _check(cfg: ManifestConfig, bad: dict[str, str], n_good: int, speakers: set[str]) -> list:
    result = main(cfg)
    assert len(result.utterances) == n_good
    assert {u.speaker for u in result.utterances} == speakers
    reasons = {Path(p).stem.split("_")[-1]: r for p, r in result.rejected}
    for stem, why in bad.items():
        assert reasons[stem].startswith(why), (stem, reasons[stem])
    assert [u.utt_id for u in read_manifest(Path(cfg.out))] == [u.utt_id for u in result.utterances]
    assert Path(cfg.out).with_suffix(".rejected.json").is_file()
    return result.utterances


def test_vctk_layout(tmp_path: Path) -> None:
    root = tmp_path / "VCTK"
    for spk in ("p225", "p226"):
        for i in (1, 2):
            _write(root / "wav48_silence_trimmed" / spk / f"{spk}_00{i}_mic1.flac", _voice(i, 1.0, 48000), 48000,
                   "FLAC")
            (root / "txt" / spk).mkdir(parents=True, exist_ok=True)
            (root / "txt" / spk / f"{spk}_00{i}.txt").write_text(f"Sentence {i}.\n")
    bad = _bad_files(root / "wav48_silence_trimmed" / "p227", ".flac")
    utts = _check(ManifestConfig(corpus="vctk", root=str(root), out=str(tmp_path / "m.jsonl"), progress=False),
                  bad, 4, {"p225", "p226"})
    assert all(u.language == "en" and u.text.startswith("Sentence") for u in utts)
    assert utts[0].duration == pytest.approx(1.0)


def test_jvs_layout(tmp_path: Path) -> None:
    root = tmp_path / "jvs_ver1"
    for spk in ("jvs001", "jvs002"):
        sub = root / spk / "parallel100"
        _write(sub / "wav24kHz16bit" / "VOICEACTRESS100_001.wav", _voice(1))
        (sub / "transcripts_utf8.txt").write_text("VOICEACTRESS100_001:またね\n")
    bad = _bad_files(root / "jvs003" / "nonpara30" / "wav24kHz16bit")
    utts = _check(ManifestConfig(corpus="jvs", root=str(root), out=str(tmp_path / "m.jsonl"), progress=False),
                  bad, 2, {"jvs001", "jvs002"})
    assert all(u.text == "またね" and u.language == "ja" for u in utts)


def test_libritts_r_layout(tmp_path: Path) -> None:
    root = tmp_path / "LibriTTS_R"
    for spk, ch in (("19", "198"), ("26", "495")):
        stem = f"{spk}_{ch}_000000_000000"
        _write(root / "train-clean-100" / spk / ch / f"{stem}.wav", _voice(int(spk)))
        (root / "train-clean-100" / spk / ch / f"{stem}.normalized.txt").write_text("Hello there.")
    bad = _bad_files(root / "train-clean-100" / "40" / "222")
    utts = _check(ManifestConfig(corpus="libritts_r", root=str(root), out=str(tmp_path / "m.jsonl"),
                                 progress=False), bad, 2, {"19", "26"})
    assert all(u.text == "Hello there." for u in utts)


def test_generic_layout_and_errors(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    _write(root / "alice" / "a.wav", _voice(1))
    _write(root / "bob" / "b.flac", _voice(2), fmt="FLAC")
    (root / "bob" / "b.txt").write_text("hi bob")
    bad = _bad_files(root / "carol")
    utts = _check(ManifestConfig(corpus="generic", root=str(root), out=str(tmp_path / "m.jsonl"), progress=False),
                  bad, 2, {"alice", "bob"})
    assert [u.text for u in utts] == ["", "hi bob"]
    with pytest.raises(ValueError, match="unknown corpus"):
        main(ManifestConfig(corpus="timit", root=str(root), progress=False))
    with pytest.raises(ValueError, match="VCTK layout"):
        main(ManifestConfig(corpus="vctk", root=str(root), progress=False))


def test_entry_point_turns_caller_mistakes_into_messages(tmp_path: Path) -> None:
    from tmrvc_data.cli_manifest import cli

    with pytest.raises(SystemExit, match="corpus root not found"):
        cli(["--corpus", "generic", "--root", str(tmp_path / "missing"), "--progress", "false"])
