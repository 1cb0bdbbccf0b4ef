"""`make screenshots`: runs the Research Studio's workflow at test size (synthetic corpus, every training stage a
few steps, export, enrol, convert, evaluate) in an offscreen window and writes one PNG per page to docs/."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(ROOT / "tmrvc-gui/tests"))  # the tests' stage settings: one recipe for both

from PySide6.QtWidgets import QApplication  # noqa: E402

from test_studio_workflow import CHAIN, FAST  # noqa: E402
from tmrvc_gui.window import MainWindow  # noqa: E402


def run(app: QApplication, panel, timeout_s: float = 900) -> None:
    panel.start()
    t0 = time.monotonic()
    while panel.mine:
        app.processEvents()
        time.sleep(0.02)
        if time.monotonic() - t0 > timeout_s:
            raise SystemExit(f"job timed out: {panel.log.toPlainText()[-2000:]}")
    if not panel.message.ok:
        raise SystemExit(f"{panel.message.text()}\n{panel.log.toPlainText()[-3000:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    a = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    win = MainWindow()
    win.resize(1280, 800)
    win.show()
    root = Path(tempfile.mkdtemp(prefix="tmrvc-studio-")) / "project"
    win.pages["Project"].path.setText(str(root))
    win.pages["Project"].open_project(root, create=True)
    data = win.pages["Data"]
    run(app, data.job)
    data.table.selectRow(1)
    train = win.pages["Train"]
    for stage, extra in CHAIN:
        train.stage.setCurrentText(stage)
        train.form().set_values(FAST | extra)
        print(f"[screenshots] training {stage}", flush=True)
        run(app, train.job)
    train.stage.setCurrentText("teacher")
    export = win.pages["Export"]
    export.iterations.setValue(20)
    run(app, export.job)
    s = json.loads((root / "data/corpus/splits.json").read_text())
    target, source = s["voices"]["test"][1], s["voices"]["test"][0]
    enrol = win.pages["Enrol"]
    enrol.files.add_files([root / "data/corpus/wavs" / target / f"{target}__{x}.wav"
                           for x in s["sentences"]["train"] + s["sentences"]["val"]])
    enrol.steps.setValue(3)
    run(app, enrol.job)
    conv = win.pages["Convert"]
    conv.input.setText(str(root / "data/corpus/wavs" / source / f"{source}__{s['sentences']['test'][0]}.wav"))
    conv.list_speakers()
    run(app, conv.job)
    ev = win.pages["Evaluate"]
    ev.refresh()
    ev.other.setCurrentText(s["voices"]["train"][0])
    run(app, ev.job)
    a.out.mkdir(parents=True, exist_ok=True)
    for name in win.pages:
        win.show_page(name)
        for _ in range(20):
            app.processEvents()
        path = a.out / f"studio-{name.lower()}.png"
        win.grab().save(str(path))
        print(f"[screenshots] {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
