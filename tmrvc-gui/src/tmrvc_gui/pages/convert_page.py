"""Convert: files offline through the C++ engine (tmrvc_engine) with q / pitch (and formant / gate when this build
of the engine has them), the spectrogram before and after; live monitoring when an audio device exists."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from tmrvc_gui.audio_view import ClipView, audio_device
from tmrvc_gui.engine import load_module, optional_controls
from tmrvc_gui.jobs import JobSpec
from tmrvc_gui.studio import Studio
from tmrvc_gui.widgets import JobPanel, Message

RANGES = {"q": (0.0, 1.0, 0.0), "pitch": (-24.0, 24.0, 0.0), "formant": (-12.0, 12.0, 0.0), "gate": (-120.0, 0.0, -80.0)}


def spin(lo: float, hi: float, value: float) -> QDoubleSpinBox:
    w = QDoubleSpinBox()
    w.setRange(lo, hi)
    w.setSingleStep(0.1)
    w.setValue(value)
    return w


class ConvertPage(QWidget):
    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.input = QLineEdit()
        self.input.setPlaceholderText("audio file to convert")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.speaker = QComboBox()
        self.int8 = QCheckBox("INT8 models")
        self.engine_note = QLabel("")
        try:
            self.controls = ["q", "pitch", *optional_controls(load_module())]
        except ImportError as exc:
            self.controls = ["q", "pitch"]
            self.engine_note.setText(str(exc))
        self.knobs = {name: spin(*RANGES[name]) for name in self.controls}
        form = QFormLayout()
        for name, w in self.knobs.items():
            form.addRow({"q": "quality q", "pitch": "pitch (semitones)", "formant": "formant (semitones)",
                         "gate": "gate (dBFS)"}[name], w)
        self.job = JobPanel(studio, "Convert", self._spec, self._done)
        self.job.log.setMaximumHeight(90)
        self.before, self.after = ClipView("before"), ClipView("after")
        self.message = Message()
        self.sd, why = audio_device()
        self.monitor = QPushButton("Live monitor")
        self.monitor.setEnabled(self.sd is not None)
        self.monitor_note = QLabel(why or "monitoring plays the converted file through the default output")
        self.monitor.clicked.connect(self._monitor)
        row = QHBoxLayout()
        for w in (self.input, browse, QLabel("Speaker"), self.speaker, self.int8):
            row.addWidget(w)
        views = QHBoxLayout()
        views.addWidget(self.before)
        views.addWidget(self.after)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<h2>Convert</h2>Offline, through the C++ engine."))
        lay.addLayout(row)
        lay.addLayout(form)
        lay.addWidget(self.engine_note)
        lay.addWidget(self.job)
        lay.addWidget(self.message)
        lay.addLayout(views, 1)
        mon = QHBoxLayout()
        mon.addWidget(self.monitor)
        mon.addWidget(self.monitor_note, 1)
        lay.addLayout(mon)
        studio.project_changed.connect(lambda _: self.list_speakers())

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Audio", "", "Audio (*.wav *.flac *.ogg *.aiff)")
        if name:
            self.input.setText(name)

    def list_speakers(self) -> None:
        self.speaker.clear()
        p = self.studio.project
        if p is not None:
            self.speaker.addItems([f.name for f in sorted(p.speakers.glob("*.tmrvc_speaker"))])

    def output_path(self) -> Path:
        return self.studio.need_project().converted / f"{Path(self.input.text()).stem}.wav"

    def _spec(self) -> JobSpec:
        p = self.studio.need_project()
        src = Path(self.input.text())
        if not src.is_file():
            raise ValueError("choose an audio file to convert")
        try:
            self.before.show_file(src)
        except ValueError as exc:
            raise ValueError(f"{exc}; choose another file") from exc
        if not (p.models / "metadata.json").is_file():
            raise ValueError(f"no model folder at {p.models}: export one on the Export page first")
        if not self.speaker.currentText():
            self.list_speakers()
        if not self.speaker.currentText():
            raise ValueError(f"no speaker in {p.speakers}: enrol one on the Enrol page first")
        args = ["--models", str(p.models), "--speaker", str(p.speakers / self.speaker.currentText()),
                "--out-dir", str(p.converted)]
        for name, w in self.knobs.items():
            args += [f"--{name}", str(w.value())]
        if self.int8.isChecked():
            args.append("--int8")
        return JobSpec(f"convert {src.name}", [("tmrvc-gui-convert", [*args, str(src)])])

    def _done(self, ok: bool) -> None:
        if ok:
            try:
                self.after.show_file(self.output_path())
            except ValueError as exc:
                self.message.show_error(str(exc))

    def _monitor(self) -> None:
        if self.sd is not None and self.after.audio is not None:
            self.sd.play(self.after.audio.astype("float32"), 24000)
