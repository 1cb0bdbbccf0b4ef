"""A clip's mel spectrogram and F0 (pyqtgraph), and playback through sounddevice when an output device exists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from tmrvc_core import constants as K
from tmrvc_core.dsp import f0_track, log_mel_from_audio, resample
from tmrvc_data.audio_io import read_mono


def audio_device() -> tuple[object | None, str]:
    """(sounddevice module, '') when audio output works, else (None, why not and what to install)."""
    try:
        import sounddevice as sd
    except ImportError:
        return None, "no live audio: sounddevice is not installed (uv sync --extra audio)"
    except OSError:
        return None, "no live audio: PortAudio is missing (apt-get install libportaudio2)"
    try:
        if not any(d["max_output_channels"] > 0 for d in sd.query_devices()):
            return None, "no live audio: no output device found"
    except Exception as exc:  # PortAudio reports a missing host API as a plain Exception
        return None, f"no live audio: {exc}"
    return sd, ""


def load_model_rate(path: Path) -> np.ndarray:
    x, sr = read_mono(path)
    return resample(x, sr, K.SAMPLE_RATE) if sr != K.SAMPLE_RATE else x


class ClipView(QWidget):
    """Mel (image) over F0 (line) of one file; `show_file` raises ValueError with what is wrong with the file."""

    def __init__(self, title: str = "") -> None:
        super().__init__()
        self.title = QLabel(title)
        self.mel = pg.PlotWidget()
        self.mel_image = pg.ImageItem()
        self.mel.addItem(self.mel_image)
        self.mel.setLabel("left", "mel bin")
        self.f0 = pg.PlotWidget()
        self.f0.setLabel("left", "F0 (Hz)")
        self.f0.setLabel("bottom", "frame (10 ms)")
        self.f0_curve = self.f0.plot(pen="c")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.mel, 2)
        lay.addWidget(self.f0, 1)
        self.frames = 0
        self.audio: np.ndarray | None = None

    def show_file(self, path: Path) -> None:
        try:
            x = load_model_rate(path)
        except Exception as exc:  # soundfile raises its own error types for unreadable files
            raise ValueError(f"cannot read {path.name}: {exc}; is it a WAV/FLAC file?") from exc
        if len(x) < 4 * K.HOP_LENGTH:
            raise ValueError(f"{path.name} is too short ({len(x)} samples) to analyse")
        self.show_audio(x, path.name)

    def show_audio(self, x: np.ndarray, name: str) -> None:
        self.audio = x
        mel = log_mel_from_audio(x)
        self.frames = mel.shape[1]
        self.mel_image.setImage(mel.T, autoLevels=True)
        self.f0_curve.setData(f0_track(x))
        self.title.setText(name)
