"""Train: pick a stage, edit its settings (a form from the stage's dataclass, types checked), start / resume / stop,
live loss curves from the TensorBoard logs, the device, and the torchrun command for several GPUs."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QSplitter,
                               QVBoxLayout, QWidget)

from tmrvc_gui.config_form import ConfigForm
from tmrvc_gui.curves import CurvePlot
from tmrvc_gui.jobs import JobSpec
from tmrvc_gui.studio import Studio
from tmrvc_gui.widgets import JobPanel, Message
from tmrvc_train.distill.common import DistillConfig
from tmrvc_train.teacher.train import TeacherTrainConfig

# The demo's chain order; "teacher" is tmrvc-train-teacher, every other stage a tmrvc-distill phase.
STAGES = ("speaker", "content", "ir", "teacher", "vocoder", "A", "B", "hq", "vocoder_ft", "zeroshot")


def stage_tool(stage: str) -> tuple[str, type, str]:
    """(entry point, settings dataclass, TensorBoard tag prefix) of a stage."""
    if stage == "teacher":
        return "tmrvc-train-teacher", TeacherTrainConfig, "teacher"
    return "tmrvc-distill", DistillConfig, f"distill_{stage}"


def device_text() -> str:
    import torch

    if torch.cuda.is_available():
        return f"device: CUDA ({torch.cuda.device_count()} × {torch.cuda.get_device_name(0)})"
    return f"device: CPU ({torch.get_num_threads()} threads); no CUDA device"


class TrainPage(QWidget):
    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.stage = QComboBox()
        self.stage.addItems(STAGES)
        self.forms: dict[str, ConfigForm] = {}
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.save = QPushButton("Save settings")
        self.resume = QPushButton("Resume")
        self.gpus = QSpinBox()
        self.gpus.setRange(1, 64)
        self.gpus.setValue(2)
        self.torchrun = QLineEdit()
        self.torchrun.setReadOnly(True)
        self.message = Message()
        self.device = QLabel(device_text())
        self.job = JobPanel(studio, "Start", lambda: self._spec(resume=False), self._done)
        self.plot = CurvePlot()
        self.timer = QTimer(self)
        self.timer.setInterval(2000)
        self.timer.timeout.connect(self.refresh_curves)
        top = QHBoxLayout()
        for w in (QLabel("Stage"), self.stage, self.save, self.resume, self.device):
            top.addWidget(w)
        tr = QHBoxLayout()
        for w in (QLabel("torchrun, GPUs:"), self.gpus, self.torchrun):
            tr.addWidget(w)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(self.scroll)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.job)
        rl.addWidget(self.plot, 2)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<h2>Train</h2>"))
        lay.addLayout(top)
        lay.addWidget(self.message)
        lay.addLayout(tr)
        lay.addWidget(split, 1)
        self.stage.currentTextChanged.connect(self._show_stage)
        self.save.clicked.connect(self._save_clicked)
        self.resume.clicked.connect(self._resume_clicked)
        self.gpus.valueChanged.connect(lambda _: self._update_torchrun())
        studio.project_changed.connect(lambda _: self._reload_forms())
        self._show_stage(self.stage.currentText())

    def form(self, stage: str | None = None) -> ConfigForm:
        stage = stage or self.stage.currentText()
        if stage not in self.forms:
            self.forms[stage] = ConfigForm(stage_tool(stage)[1])
            self._fill(stage)
        return self.forms[stage]

    def _fill(self, stage: str) -> None:
        """Stage defaults ← the project's configs/<stage>.yaml ← the project's own paths."""
        p = self.studio.project
        form = self.forms[stage]
        if p is None:
            return
        yaml_path = p.configs / f"{stage}.yaml"
        if yaml_path.exists():
            try:
                form.load_yaml(yaml_path)
            except ValueError as exc:
                self.message.show_error(str(exc))
        form.set_values({"cache": str(p.cache), "out_dir": str(p.runs), "students": str(p.runs / "students.pt"),
                         "teacher": str(p.runs / "teacher.pt")})
        if stage != "teacher":
            form.set_values({"phase": stage})

    def _reload_forms(self) -> None:
        for stage in self.forms:
            self._fill(stage)
        self._update_torchrun()
        self.refresh_curves()

    def _show_stage(self, stage: str) -> None:
        self.scroll.takeWidget()  # the forms live on in self.forms
        self.scroll.setWidget(self.form(stage))
        self._update_torchrun()
        self.refresh_curves()

    def config_path(self) -> Path:
        return self.studio.need_project().configs / f"{self.stage.currentText()}.yaml"

    def save_settings(self) -> Path:
        path = self.config_path()
        self.form().save_yaml(path)
        return path

    def _save_clicked(self) -> None:
        try:
            self.message.show_info(f"saved {self.save_settings()}")
        except ValueError as exc:
            self.message.show_error(str(exc))

    def _resume_clicked(self) -> None:
        self.job.build = lambda: self._spec(resume=True)
        try:
            self.job.start()
        finally:
            self.job.build = lambda: self._spec(resume=False)

    def _spec(self, resume: bool) -> JobSpec:
        stage = self.stage.currentText()
        path = self.save_settings()
        self.message.show_info(f"settings saved to {path}")
        tool = stage_tool(stage)[0]
        args = ["--config", str(path)] + (["--resume", "true"] if resume else [])
        self.timer.start()
        return JobSpec(f"train {stage}" + (" (resume)" if resume else ""), [(tool, args)])

    def _update_torchrun(self) -> None:
        stage = self.stage.currentText()
        tool = stage_tool(stage)[0]
        script = shutil.which(tool) or str(Path(sys.executable).parent / tool)
        cfg = str(self.config_path()) if self.studio.project else f"configs/{stage}.yaml"
        self.torchrun.setText(shlex.join(["torchrun", "--standalone", f"--nproc_per_node={self.gpus.value()}",
                                          script, "--config", cfg]))

    def _done(self, ok: bool) -> None:
        self.timer.stop()
        self.refresh_curves()

    def refresh_curves(self) -> None:
        if self.studio.project is not None:
            self.plot.refresh(self.studio.project.runs / "tb", stage_tool(self.stage.currentText())[2])
