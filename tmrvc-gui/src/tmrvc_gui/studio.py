"""What every page shares: the open project and the one job runner."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from tmrvc_gui.jobs import JobRunner
from tmrvc_gui.project import Project


class Studio(QObject):
    project_changed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.runner = JobRunner(self)
        self.project: Project | None = None

    def set_project(self, project: Project) -> None:
        self.project = project
        self.project_changed.emit(project)

    def need_project(self) -> Project:
        if self.project is None:
            raise ValueError("no project is open: open or create one on the Project page first")
        return self.project
