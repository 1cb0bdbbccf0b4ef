"""Pieces the pages share: the job panel (progress, stop, log, error line) and a message line."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget

from tmrvc_gui.jobs import JobSpec
from tmrvc_gui.studio import Studio


class Message(QLabel):
    """One line saying what happened or what to fix (red for errors)."""

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.ok = True

    def show_error(self, text: str) -> None:
        self.ok = False
        self.setStyleSheet("color: #c0392b;")
        self.setText(text)

    def show_info(self, text: str) -> None:
        self.ok = True
        self.setStyleSheet("color: #1e7b34;")
        self.setText(text)


class JobPanel(QWidget):
    """Start button, Stop button, progress bar, the job's output and its result. `build` makes the JobSpec (it may
    raise ValueError with what to fix); `on_done(ok)` runs when this panel's job ends."""

    def __init__(self, studio: Studio, label: str, build: Callable[[], JobSpec],
                 on_done: Callable[[bool], None] | None = None) -> None:
        super().__init__()
        self.studio, self.build, self.on_done = studio, build, on_done
        self.mine = False
        self.start_button = QPushButton(label)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.bar = QProgressBar()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.message = Message()
        row = QHBoxLayout()
        for w in (self.start_button, self.stop_button, self.bar):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.message)
        lay.addWidget(self.log)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(studio.runner.stop)
        r = studio.runner
        r.output.connect(lambda s: self.mine and self.log.appendPlainText(s))
        r.progress.connect(lambda p: self.mine and self.bar.setValue(p))
        r.finished.connect(self._finished)

    def start(self) -> None:
        if self.studio.runner.running:  # before build(): building may clear the output folder of the job
            self.message.show_error(f"'{self.studio.runner.title}' is running: wait for it or stop it first")
            return
        try:
            spec = self.build()
        except (ValueError, OSError) as exc:
            self.message.show_error(str(exc))
            return
        self.mine = True
        self.log.clear()
        self.bar.setValue(0)
        self.message.show_info(f"running: {spec.title}")
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.studio.runner.start(spec)

    def _finished(self, ok: bool, text: str) -> None:
        if not self.mine:
            return
        self.mine = False
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        (self.message.show_info if ok else self.message.show_error)(text)
        if self.on_done is not None:
            self.on_done(ok)
