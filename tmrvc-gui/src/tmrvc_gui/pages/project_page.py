"""Project: create or open a project folder; recent projects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget

from tmrvc_gui.project import SUBDIRS, Project, recent_projects, remember
from tmrvc_gui.studio import Studio
from tmrvc_gui.widgets import Message


class ProjectPage(QWidget):
    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.path = QLineEdit()
        self.path.setPlaceholderText("project folder")
        browse, create, open_ = QPushButton("Browse…"), QPushButton("Create"), QPushButton("Open")
        self.create_button = create
        self.recent = QListWidget()
        self.recent.addItems(recent_projects())
        self.contents = QLabel("")
        self.message = Message()
        row = QHBoxLayout()
        for w in (self.path, browse, create, open_):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<h2>Project</h2>A folder holding {', '.join(SUBDIRS)}."))
        lay.addLayout(row)
        lay.addWidget(self.message)
        lay.addWidget(self.contents)
        lay.addWidget(QLabel("Recent projects (double-click to open)"))
        lay.addWidget(self.recent, 1)
        browse.clicked.connect(self._browse)
        create.clicked.connect(lambda: self.open_project(Path(self.path.text()), create=True))
        open_.clicked.connect(lambda: self.open_project(Path(self.path.text()), create=False))
        self.recent.itemDoubleClicked.connect(lambda it: self.open_project(Path(it.text()), create=False))

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Project folder")
        if d:
            self.path.setText(d)

    def open_project(self, root: Path, create: bool) -> None:
        if not str(root).strip() or str(root) == ".":
            self.message.show_error("type or browse to a project folder first")
            return
        try:
            project = Project.create(root) if create else Project.open(root)
        except (ValueError, OSError) as exc:
            self.message.show_error(str(exc))
            return
        remember(project.root)
        self.recent.clear()
        self.recent.addItems(recent_projects())
        self.path.setText(str(project.root))
        self.contents.setText("configs: " + ", ".join(sorted(p.stem for p in project.configs.glob("*.yaml"))))
        self.message.show_info(f"project open: {project.root}")
        self.studio.set_project(project)
