"""The main window: a sidebar of pages, the pages, a status bar naming the running job."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget, QWidget

from tmrvc_gui.pages import PAGES
from tmrvc_gui.studio import Studio


class MainWindow(QMainWindow):
    def __init__(self, studio: Studio | None = None) -> None:
        super().__init__()
        self.studio = studio or Studio()
        self.setWindowTitle("TMRVC Research Studio")
        self.resize(1100, 720)
        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(140)
        self.stack = QStackedWidget()
        self.pages = {}
        for name, cls in PAGES:
            page = cls(self.studio)
            self.pages[name] = page
            self.sidebar.addItem(name)
            self.stack.addWidget(page)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sidebar.setCurrentRow(0)
        body = QWidget()
        lay = QHBoxLayout(body)
        lay.addWidget(self.sidebar)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(body)
        self.job_label = QLabel("idle")
        self.project_label = QLabel("no project")
        self.statusBar().addWidget(self.job_label, 1)
        self.statusBar().addPermanentWidget(self.project_label)
        r = self.studio.runner
        r.started.connect(lambda t: self.job_label.setText(f"running: {t}"))
        r.progress.connect(lambda p: self.job_label.setText(f"running: {r.title} ({p}%)"))
        r.finished.connect(lambda ok, msg: self.job_label.setText(("done: " if ok else "failed: ") + msg.splitlines()[0]))
        self.studio.project_changed.connect(lambda p: self.project_label.setText(str(p.root)))

    def show_page(self, name: str) -> None:
        self.sidebar.setCurrentRow([n for n, _ in PAGES].index(name))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.studio.runner.stop()
        self.studio.runner.wait(3000)
        super().closeEvent(event)
