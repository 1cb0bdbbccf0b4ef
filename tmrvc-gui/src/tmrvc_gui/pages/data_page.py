"""Data: synthetic corpus or a folder of audio → manifest → preprocess → feature cache, with progress; a table of
utterances with the problems found per file; a selected clip's mel and F0, and playback when audio exists."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from tmrvc_gui.audio_view import ClipView, audio_device
from tmrvc_gui.jobs import JobSpec
from tmrvc_gui.project import REPO
from tmrvc_gui.studio import Studio
from tmrvc_gui.widgets import JobPanel, Message

SOURCES = ("synthetic (test size)", "synthetic (full)", "corpus folder")
# Test size as `make demo QUICK=1` makes it: two held-out voices (target + source), two training voices.
TINY_ARGS = ["--n_test_voices", "2", "--n_val_voices", "0", "--n_sentences", "5"]
COLUMNS = ("utterance", "speaker", "split", "seconds", "problems")


def problems(path: Path, duration: float) -> str:
    """What is wrong with one manifest entry ('' when nothing is)."""
    found = []
    if not path.exists():
        found.append("file missing")
    if duration < 0.5:
        found.append(f"short ({duration:.2f} s)")
    return "; ".join(found)


class DataPage(QWidget):
    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("corpus folder (speaker sub-folders of audio files)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.job = JobPanel(studio, "Build corpus → preprocess → cache", self._spec, self._done)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.itemSelectionChanged.connect(self._select)
        self.clip = ClipView("select an utterance")
        self.play = QPushButton("Play")
        self.play.clicked.connect(self._play)
        self.message = Message()
        self.sd, why = audio_device()
        self.play.setEnabled(self.sd is not None)
        self.play.setToolTip(why)
        self.summary = QLabel("")
        row = QHBoxLayout()
        for w in (QLabel("Source"), self.source, self.folder, browse):
            row.addWidget(w)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.clip, 1)
        rl.addWidget(self.play)
        rl.addWidget(QLabel(why))
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(right)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<h2>Data</h2>"))
        lay.addLayout(row)
        lay.addWidget(self.job)
        lay.addWidget(self.summary)
        lay.addWidget(self.message)
        lay.addWidget(split, 3)
        self.job.log.setMaximumHeight(120)
        studio.project_changed.connect(lambda p: self.load_table())

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Corpus folder")
        if d:
            self.folder.setText(d)
            self.source.setCurrentIndex(2)

    def _spec(self) -> JobSpec:
        p = self.studio.need_project()
        corpus, pre, cache = p.data / "corpus", p.data / "preprocessed", p.cache
        choice = self.source.currentIndex()
        if choice == 2:
            folder = Path(self.folder.text())
            if not folder.is_dir():
                raise ValueError("choose a corpus folder (one sub-folder of audio files per speaker) first")
            first = ("tmrvc-manifest", ["--root", str(folder), "--out", str(corpus / "manifest.jsonl")])
        else:
            cfg = REPO / "configs/data" / ("synthetic_tiny.yaml" if choice == 0 else "synthetic_corpus.yaml")
            first = ("tmrvc-make-corpus", ["--config", str(cfg), "--out", str(corpus), *(TINY_ARGS if choice == 0 else [])])
        return JobSpec("data: corpus → preprocess → cache", [
            first,
            ("tmrvc-preprocess", ["--config", str(REPO / "configs/data/preprocess.yaml"),
                                  "--manifest", str(corpus / "manifest.jsonl"), "--out", str(pre)]),
            ("tmrvc-build-cache", ["--config", str(REPO / "configs/data/cache.yaml"),
                                   "--manifest", str(pre / "manifest.jsonl"), "--out", str(cache)]),
        ])

    def _done(self, ok: bool) -> None:
        if ok:
            self.load_table()

    def manifest_path(self) -> Path | None:
        if self.studio.project is None:
            return None
        return self.studio.project.data / "corpus/manifest.jsonl"

    def load_table(self) -> None:
        path = self.manifest_path()
        self.table.setRowCount(0)
        if path is None or not path.exists():
            self.summary.setText("no corpus yet: build one above")
            return
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        self.table.setRowCount(len(rows))
        bad = 0
        for i, r in enumerate(rows):
            audio = Path(r["path"]) if Path(r["path"]).is_absolute() else path.parent / r["path"]
            issue = problems(audio, float(r.get("duration", 0.0)))
            bad += bool(issue)
            for j, v in enumerate((r["utt_id"], r["speaker"], r.get("split", ""), f"{r.get('duration', 0):.2f}", issue)):
                item = QTableWidgetItem(v)
                item.setData(256, str(audio))  # Qt.UserRole: the audio file
                self.table.setItem(i, j, item)
        speakers = {r["speaker"] for r in rows}
        self.summary.setText(f"{len(rows)} utterances, {len(speakers)} speakers, {bad} with problems")

    def _select(self) -> None:
        items = self.table.selectedItems()
        if not items:
            return
        try:
            self.clip.show_file(Path(items[0].data(256)))
            self.message.setText("")
        except ValueError as exc:
            self.message.show_error(str(exc))

    def _play(self) -> None:
        if self.sd is not None and self.clip.audio is not None:
            self.sd.play(self.clip.audio.astype("float32"), 24000)
