"""Export: students checkpoint → ONNX model folder + INT8 folder (tmrvc-export), its parity report, and the
benchmark table (per-model per-hop time, whole-engine RTF) from scripts/run_benchmark.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from tmrvc_export.int8_folder import make_int8_folder
from tmrvc_gui.jobs import JobSpec
from tmrvc_gui.project import REPO
from tmrvc_gui.studio import Studio
from tmrvc_gui.widgets import JobPanel

BENCH_COLUMNS = ("precision", "model", "C++ median ms", "C++ p99 ms", "Python median ms", "RTF (whole engine)")



class ExportPage(QWidget):
    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio
        self.checkpoint = QLineEdit()
        self.checkpoint.setPlaceholderText("students checkpoint (default: the project's runs/students.pt)")
        self.random = QCheckBox("random-init tiny (pipeline check)")
        self.bench = QCheckBox("benchmark")
        self.bench.setChecked(True)
        self.iterations = QSpinBox()
        self.iterations.setRange(5, 10000)
        self.iterations.setValue(300)
        self.job = JobPanel(studio, "Export", self._spec, self._done)
        self.job.log.setMaximumHeight(110)
        self.parity = QPlainTextEdit()
        self.parity.setReadOnly(True)
        self.table = QTableWidget(0, len(BENCH_COLUMNS))
        self.table.setHorizontalHeaderLabels(BENCH_COLUMNS)
        row = QHBoxLayout()
        for w in (self.checkpoint, self.random, self.bench, QLabel("iterations"), self.iterations):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<h2>Export</h2>ONNX folder (models/) and INT8 folder (models-int8/)."))
        lay.addLayout(row)
        lay.addWidget(self.job)
        lay.addWidget(QLabel("Parity report (metadata.json → verification)"))
        lay.addWidget(self.parity, 1)
        lay.addWidget(QLabel("Benchmark"))
        lay.addWidget(self.table, 1)
        studio.project_changed.connect(lambda _: self.show_results())

    def _spec(self) -> JobSpec:
        p = self.studio.need_project()
        if self.random.isChecked():
            src = ["--random-init", "--size", "tiny"]
        else:
            ckpt = Path(self.checkpoint.text()) if self.checkpoint.text() else p.runs / "students.pt"
            if not ckpt.is_file():
                raise ValueError(f"no checkpoint at {ckpt}: train the chain on the Train page first "
                                 "(or tick random-init for a pipeline check)")
            src = ["--checkpoint", str(ckpt)]
        if p.models.exists():
            shutil.rmtree(p.models)
        steps = [("tmrvc-export", [*src, "--output-dir", str(p.models)])]
        if self.bench.isChecked():
            steps.append((str(REPO / "scripts/run_benchmark.py"), ["--models", str(p.models), "--iterations",
                                                                    str(self.iterations.value()),
                                                                    "--json", str(p.root / "bench.json")]))
        return JobSpec("export", steps)

    def _done(self, ok: bool) -> None:
        p = self.studio.project
        if p is not None and (p.models / "int8").is_dir():
            make_int8_folder(p.models, p.root / "models-int8")
        self.show_results()

    def show_results(self) -> None:
        p = self.studio.project
        if p is None or not (p.models / "metadata.json").is_file():
            self.parity.setPlainText("no model folder yet")
            return
        meta = json.loads((p.models / "metadata.json").read_text())
        self.parity.setPlainText(json.dumps(meta.get("verification", {}), indent=1))
        bench = p.root / "bench.json"
        self.table.setRowCount(0)
        if not bench.is_file():
            return
        rows = []
        for precision, part in json.loads(bench.read_text())["precisions"].items():
            rtf = part.get("engine", {}).get("rtf_reported", float("nan"))
            for name, r in part["models"].items():
                rows.append((precision, name, f"{r['cpp']['median_ms']:.3f}", f"{r['cpp']['p99_ms']:.3f}",
                             f"{r['python']['median_ms']:.3f}", ""))
            total = part["cpp_total_per_hop"]
            rows.append((precision, "total per hop", f"{total['median_ms']:.3f}", f"{total['p99_ms']:.3f}", "",
                         f"{rtf:.3f}"))
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                self.table.setItem(i, j, QTableWidgetItem(v))
