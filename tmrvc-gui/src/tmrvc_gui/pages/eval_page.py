"""Evaluate: convert the corpus's held-out sentences of a source voice through the engine with an enrolled speaker,
score them with tmrvc-eval-baselines (identity / ground truth / another voice brackets + the system), show the
metrics table, the plots, and A/B playback of source / converted / target."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from tmrvc_gui.audio_view import audio_device, load_model_rate
from tmrvc_gui.jobs import JobSpec
from tmrvc_gui.studio import Studio
from tmrvc_gui.widgets import JobPanel, Message


class EvalPage(QWidget):
    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.speaker = QComboBox()
        self.source, self.target, self.other = QComboBox(), QComboBox(), QComboBox()
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        self.job = JobPanel(studio, "Evaluate", self._spec, lambda ok: self.show_results())
        self.job.log.setMaximumHeight(90)
        self.table = QTableWidget(0, 0)
        self.plots = QLabel("no plots yet")
        scroll = QScrollArea()
        scroll.setWidget(self.plots)
        scroll.setWidgetResizable(True)
        self.message = Message()
        self.sd, why = audio_device()
        ab = QHBoxLayout()
        self.play = {}
        for name in ("source", "converted", "target"):
            b = QPushButton(f"Play {name}")
            b.setEnabled(self.sd is not None)
            b.clicked.connect(lambda _=False, n=name: self._play(n))
            self.play[name] = b
            ab.addWidget(b)
        ab.addWidget(QLabel(why))
        row = QHBoxLayout()
        for w in (QLabel("Speaker"), self.speaker, QLabel("source voice"), self.source, QLabel("target voice"),
                  self.target, QLabel("other voice"), self.other, refresh):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<h2>Evaluate</h2>Held-out sentences of the corpus, scored against three baselines."))
        lay.addLayout(row)
        lay.addWidget(self.job)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)
        lay.addWidget(scroll, 1)
        lay.addLayout(ab)
        studio.project_changed.connect(lambda _: self.refresh())

    def corpus(self) -> Path:
        return self.studio.need_project().data / "corpus"

    def refresh(self) -> None:
        p = self.studio.project
        if p is None:
            return
        self.speaker.clear()
        self.speaker.addItems([f.name for f in sorted(p.speakers.glob("*.tmrvc_speaker"))])
        splits = p.data / "corpus/splits.json"
        for box in (self.source, self.target, self.other):
            box.clear()
        if splits.is_file():
            s = json.loads(splits.read_text())
            test, rest = s["voices"]["test"], s["voices"]["val"] + s["voices"]["train"]
            self.source.addItems(test + rest)
            self.target.addItems(test[1:] + test[:1] + rest)
            self.other.addItems(rest + test)
        self.show_results()

    def _spec(self) -> JobSpec:
        p = self.studio.need_project()
        splits = self.corpus() / "splits.json"
        if not splits.is_file():
            raise ValueError("no corpus with held-out splits: build the synthetic corpus on the Data page first")
        if not (p.models / "metadata.json").is_file():
            raise ValueError("no model folder: export one on the Export page first")
        if not self.speaker.currentText():
            raise ValueError("no enrolled speaker: enrol the target voice on the Enrol page first")
        voices = (self.source.currentText(), self.target.currentText(), self.other.currentText())
        if len(set(voices)) < 3:
            raise ValueError(f"source, target and other voice must differ, got {voices}")
        sents = json.loads(splits.read_text())["sentences"]["test"]
        wavs = [str(self.corpus() / "wavs" / voices[0] / f"{voices[0]}__{s}.wav") for s in sents]
        conv = p.eval / "converted"
        return JobSpec("evaluate", [
            ("tmrvc-gui-convert", ["--models", str(p.models), "--speaker", str(p.speakers / self.speaker.currentText()),
                                   "--out-dir", str(conv), "--name-by-sentence", *wavs]),
            ("tmrvc-eval-baselines", ["--corpus", str(self.corpus()), "--source_voice", voices[0],
                                      "--target_voice", voices[1], "--other_voice", voices[2],
                                      "--converted", str(conv), "--out", str(p.eval / "run"), "--n_refs", "2"]),
        ])

    def show_results(self) -> None:
        p = self.studio.project
        brackets = p.eval / "run/brackets.json" if p else None
        if brackets is None or not brackets.is_file():
            self.table.setRowCount(0)
            return
        res = json.loads(brackets.read_text())
        cols = list(res)
        metrics = list(res["identity"])
        self.table.setColumnCount(len(cols))
        self.table.setHorizontalHeaderLabels(cols)
        self.table.setRowCount(len(metrics))
        self.table.setVerticalHeaderLabels(metrics)
        for i, m in enumerate(metrics):
            for j, c in enumerate(cols):
                v = res[c].get(m)
                self.table.setItem(i, j, QTableWidgetItem("n/a" if v is None else f"{v:.4g}"))
        png = p.eval / "run/system/metrics.png"
        if png.is_file():
            self.plots.setPixmap(QPixmap(str(png)))

    def _play(self, which: str) -> None:
        p = self.studio.project
        if self.sd is None or p is None:
            return
        folder = {"source": "source", "converted": "../system", "target": "ground_truth"}[which]
        files = sorted((p.eval / "run/data" / folder).glob("*.wav")) if which != "converted" else \
            sorted((p.eval / "converted").glob("*.wav"))
        if files:
            self.sd.play(load_model_rate(files[0]).astype("float32"), 24000)
