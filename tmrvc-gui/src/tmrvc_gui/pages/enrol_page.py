"""Enrol: add (or drop) audio files, enrol with tmrvc-enroll (LoRA fine-tune; 0 steps = the zero-shot LoRA head
only), similarity of each reference to the others (speaker judge), list and rename the project's speakers."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QListWidget, QPushButton,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from tmrvc_core.speaker_file import read_speaker_file
from tmrvc_gui.jobs import JobSpec
from tmrvc_gui.studio import Studio
from tmrvc_gui.widgets import JobPanel, Message

AUDIO = (".wav", ".flac", ".ogg", ".aiff")


class FileDrop(QListWidget):
    """A list of audio files that accepts files dropped from a file manager."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)

    def add_files(self, paths: list[Path]) -> None:
        have = set(self.files())
        for p in paths:
            if p.suffix.lower() in AUDIO and str(p) not in have:
                self.addItem(str(p))

    def files(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def dragEnterEvent(self, e) -> None:  # noqa: N802
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, e) -> None:  # noqa: N802
        self.add_files([Path(u.toLocalFile()) for u in e.mimeData().urls()])


def rename_speaker(path: Path, new_stem: str) -> Path:
    """Renames the file (its name inside stays what enrolment wrote); refuses to overwrite."""
    new = path.with_name(f"{new_stem}.tmrvc_speaker")
    if not new_stem or "/" in new_stem:
        raise ValueError("a speaker name must be non-empty and contain no '/'")
    if new.exists():
        raise ValueError(f"{new.name} already exists: choose another name")
    path.rename(new)
    return new


class EnrolPage(QWidget):
    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.files = FileDrop()
        add = QPushButton("Add audio…")
        add.clicked.connect(self._add)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.files.clear)
        self.models = QLineEdit()
        self.models.setPlaceholderText("model folder (default: the project's models/)")
        self.name = QLineEdit("target")
        self.steps = QSpinBox()
        self.steps.setRange(0, 100000)
        self.steps.setValue(300)
        self.job = JobPanel(studio, "Enrol", self._spec, self._done)
        self.job.log.setMaximumHeight(110)
        self.sim = QTableWidget(0, 2)
        self.sim.setHorizontalHeaderLabels(("reference", "similarity to the others"))
        self.speakers = QListWidget()
        rename = QPushButton("Rename…")
        rename.clicked.connect(self._rename)
        self.message = Message()
        row = QHBoxLayout()
        for w in (QLabel("Models"), self.models, QLabel("Name"), self.name, QLabel("fine-tune steps (0 = zero-shot)"),
                  self.steps):
            row.addWidget(w)
        files_row = QHBoxLayout()
        files_row.addWidget(add)
        files_row.addWidget(clear)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<h2>Enrol</h2>3–20 utterances of the target voice (drop files on the list)."))
        lay.addWidget(self.files, 1)
        lay.addLayout(files_row)
        lay.addLayout(row)
        lay.addWidget(self.job)
        lay.addWidget(self.sim, 1)
        lay.addWidget(QLabel("Speakers in this project"))
        lay.addWidget(self.speakers, 1)
        lay.addWidget(rename)
        lay.addWidget(self.message)
        studio.project_changed.connect(lambda _: self.list_speakers())

    def _add(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Enrolment audio", "", "Audio (*.wav *.flac *.ogg *.aiff)")
        self.files.add_files([Path(n) for n in names])

    def model_dir(self) -> Path:
        p = self.studio.need_project()
        return Path(self.models.text()) if self.models.text() else p.models

    def out_path(self) -> Path:
        return self.studio.need_project().speakers / f"{self.name.text() or 'speaker'}.tmrvc_speaker"

    def _spec(self) -> JobSpec:
        files = self.files.files()
        models = self.model_dir()
        if not (models / "metadata.json").is_file():
            raise ValueError(f"{models} is not an exported model folder: export one on the Export page first")
        if len(files) < 3:
            raise ValueError(f"enrolment needs 3–20 utterances; {len(files)} added")
        sim = self.out_path().with_suffix(".similarity.json")
        return JobSpec(f"enrol {self.name.text()}", [
            ("tmrvc-enroll", ["--models", str(models), "--out", str(self.out_path()), "--name", self.name.text(),
                              "--steps", str(self.steps.value()), *files]),
            ("tmrvc-gui-similarity", ["--out", str(sim), *files]),
        ])

    def _done(self, ok: bool) -> None:
        self.list_speakers()
        sim = self.out_path().with_suffix(".similarity.json")
        if ok and sim.exists():
            data = json.loads(sim.read_text())
            self.sim.setRowCount(len(data))
            for i, (f, v) in enumerate(data.items()):
                self.sim.setItem(i, 0, QTableWidgetItem(Path(f).name))
                self.sim.setItem(i, 1, QTableWidgetItem(f"{v:.3f}"))

    def list_speakers(self) -> None:
        self.speakers.clear()
        if self.studio.project is None:
            return
        for f in sorted(self.studio.project.speakers.glob("*.tmrvc_speaker")):
            try:
                spk = read_speaker_file(f)
                self.speakers.addItem(f"{f.stem}  (name: {spk.name}, {spk.metadata.get('n_utterances', '?')} utt.)")
            except ValueError as exc:
                self.speakers.addItem(f"{f.stem}  (unreadable: {exc})")

    def _rename(self) -> None:
        item = self.speakers.currentItem()
        if item is None:
            self.message.show_error("select a speaker to rename")
            return
        new, ok = QInputDialog.getText(self, "Rename speaker", "New file name")
        if ok:
            self.rename_selected(new)

    def rename_selected(self, new: str) -> None:
        item = self.speakers.currentItem()
        if item is None:
            self.message.show_error("select a speaker to rename")
            return
        old = self.studio.need_project().speakers / f"{item.text().split()[0]}.tmrvc_speaker"
        try:
            rename_speaker(old, new)
            self.message.show_info(f"renamed {old.stem} → {new}")
        except (ValueError, OSError) as exc:
            self.message.show_error(str(exc))
        self.list_speakers()
