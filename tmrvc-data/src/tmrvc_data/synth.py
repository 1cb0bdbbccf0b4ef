"""Open-source synthesisers from Debian packages: espeak-ng (in-process through ctypes, with phoneme events)
and festival (a batch script per utterance, with segment end times). Each returns audio at the synthesiser's
own rate and phoneme timings as (phone, start_s, end_s)."""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tmrvc_data.audio_io import read_mono

Phones = list[tuple[str, float, float]]

_ESPEAK_SYNCHRONOUS = 2
_ESPEAK_INIT_PHONEME_EVENTS = 0x0001
_ESPEAK_INIT_DONT_EXIT = 0x8000
_ESPEAK_EVENT_PHONEME = 7
_ESPEAK_RATE, _ESPEAK_PITCH, _ESPEAK_RANGE = 1, 3, 4
_ESPEAK_POS_CHARACTER = 1


@dataclass(frozen=True)
class VoiceSpec:
    """A corpus voice. engine: 'espeak' (voice = 'en-us+m3' etc.) or 'festival' (voice = festival voice name).
    pitch/range: espeak 0–99; speed: espeak words per minute; f0_mean: festival LR target mean (Hz, 0 =
    voice default); stretch: festival duration stretch. engine 'flite': voice = flite voice name (kal16, slt).
    language: the text the voice speaks (tmrvc_data.sentences.sentences_for); real: recorded from a person
    (diphone, cluster-unit or HTS voices) rather than a formant synthesiser."""

    name: str
    engine: str
    voice: str
    pitch: int = 50
    speed: int = 160
    range: int = 50
    f0_mean: float = 0.0
    stretch: float = 1.0
    language: str = "en"
    real: bool = False


class _EspeakId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _EspeakEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EspeakId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_EspeakEvent))


class EspeakSynth:
    """espeak-ng through its C library (one instance per process; the library keeps global state)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self._lib = ctypes.CDLL(name)
        except OSError as exc:
            raise ValueError(f"espeak-ng library not found ({name}); install Debian package libespeak-ng1") from exc
        opts = _ESPEAK_INIT_PHONEME_EVENTS | _ESPEAK_INIT_DONT_EXIT
        self.sample_rate = int(self._lib.espeak_Initialize(_ESPEAK_SYNCHRONOUS, 0, None, opts))
        if self.sample_rate <= 0:
            raise ValueError("espeak_Initialize failed (espeak-ng-data missing?)")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[str, int]] = []
        self._cb = _CALLBACK(self._on_audio)
        self._lib.espeak_SetSynthCallback(self._cb)

    def _on_audio(self, wav, n, events) -> int:  # type: ignore[no-untyped-def]
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).astype(np.float64) / 32768.0)
        i = 0
        while events[i].type != 0:
            if events[i].type == _ESPEAK_EVENT_PHONEME:
                self._events.append((events[i].id.string.decode("ascii", "replace"), int(events[i].sample)))
            i += 1
        return 0

    def synth(self, text: str, spec: VoiceSpec) -> tuple[np.ndarray, int, Phones]:
        """Synthesise `text`. Returns (x: (n,) float64 in [-1, 1], sample_rate, phones)."""
        if self._lib.espeak_SetVoiceByName(spec.voice.encode()) != 0:
            raise ValueError(f"espeak-ng voice '{spec.voice}' not found (e.g. 'en-us+m3')")
        for param, value in ((_ESPEAK_PITCH, spec.pitch), (_ESPEAK_RATE, spec.speed), (_ESPEAK_RANGE, spec.range)):
            self._lib.espeak_SetParameter(param, int(value), 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        self._lib.espeak_Synth(data, len(data) + 1, 0, _ESPEAK_POS_CHARACTER, 0, 0, None, None)
        self._lib.espeak_Synchronize()
        x = np.concatenate(self._chunks) if self._chunks else np.zeros(0)
        return x, self.sample_rate, _events_to_phones(self._events, len(x), self.sample_rate)


def _events_to_phones(events: list[tuple[str, int]], n: int, sr: int) -> Phones:
    """Phoneme start samples → (phone, start_s, end_s); each phone ends where the next starts."""
    events = [(p, min(max(s, 0), n)) for p, s in events]
    out: Phones = []
    for i, (phone, start) in enumerate(events):
        end = events[i + 1][1] if i + 1 < len(events) else n
        if end > start:
            out.append((phone, start / sr, end / sr))
    return out


# festival's front ends read their text in these 8-bit encodings (UTF-8 letters outside ASCII are otherwise
# spoken as "unknown character"); the Indic and Russian front ends read UTF-8.
_FESTIVAL_ENCODING = {"cs": "iso-8859-2", "fi": "iso-8859-1", "it": "iso-8859-1", "ca": "iso-8859-1"}


def festival_synth(text: str, spec: VoiceSpec) -> tuple[np.ndarray, int, Phones]:
    """Synthesise `text` with festival in batch mode. Returns (x: (n,), sample_rate, phones)."""
    exe = shutil.which("festival")
    if exe is None:
        raise ValueError("festival not found; install Debian packages festival festvox-kallpc16k ...")
    safe = text.replace("\\", " ").replace('"', "'")
    with tempfile.TemporaryDirectory() as tmp:
        wav, segs = Path(tmp) / "u.wav", Path(tmp) / "u.segs"
        lines = [f"(voice_{spec.voice})"]
        if spec.f0_mean > 0:
            lines.append(f"(set! int_lr_params (cons (list 'target_f0_mean {spec.f0_mean}) int_lr_params))")
        lines += [f"(Parameter.set 'Duration_Stretch {spec.stretch})",
                  f'(set! u (Utterance Text "{safe}"))', "(utt.synth u)",
                  f'(utt.save.wave u "{wav}" \'riff)', f'(utt.save.segs u "{segs}")']
        script = Path(tmp) / "u.scm"
        script.write_bytes(("\n".join(lines) + "\n").encode(_FESTIVAL_ENCODING.get(spec.language, "utf-8")))
        proc = subprocess.run([exe, "-b", str(script)], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or not wav.is_file():
            raise ValueError(f"festival failed for voice '{spec.voice}': {proc.stderr.strip()[:300]}")
        x, sr = read_mono(wav)
        return x, sr, _read_segs(segs)


def flite_synth(text: str, spec: VoiceSpec) -> tuple[np.ndarray, int, Phones]:
    """Synthesise `text` with the flite command (Debian package flite); phone end times from `-psdur`.
    Returns (x: (n,), sample_rate, phones)."""
    exe = shutil.which("flite")
    if exe is None:
        raise ValueError("flite not found; install Debian package flite")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "u.wav"
        proc = subprocess.run([exe, "-voice", spec.voice, "-psdur", "-t", text, "-o", str(wav)],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or not wav.is_file():
            raise ValueError(f"flite failed for voice '{spec.voice}': {proc.stderr.strip()[:300]}")
        x, sr = read_mono(wav)
        dur = len(x) / sr  # flite's last pause can end past the audio it wrote
        phones = [(p, min(a, dur), min(b, dur)) for p, a, b in parse_psdur(proc.stdout)]
        return x, sr, [(p, a, b) for p, a, b in phones if b > a]


def parse_psdur(text: str) -> Phones:
    """flite's `-psdur` output (`phone:end_s` items) → (phone, start_s, end_s)."""
    phones: Phones = []
    start = 0.0
    for item in text.split():
        phone, sep, end_s = item.rpartition(":")
        if not sep:
            continue
        end = float(end_s)
        phones.append((phone, start, end))
        start = end
    return phones


def _read_segs(path: Path) -> Phones:
    """Parse festival's segs file (`end_time 100 phone` lines after a '#'). The Czech, Finnish and Italian
    voices call a pause '#'; it is named 'pau' like the other voices' pauses."""
    phones: Phones = []
    start = 0.0
    body = path.read_text().split("#", 1)[-1]
    for line in body.splitlines():
        parts = line.split()
        if len(parts) == 3:
            end = float(parts[0])
            phones.append(("pau" if parts[2] == "#" else parts[2], start, end))
            start = end
    return phones
