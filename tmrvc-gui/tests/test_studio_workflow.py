"""The whole workflow through the window, in order, on test-size data: create a project, build the synthetic corpus,
train every stage a few steps, export, enrol, convert, evaluate. Asserts on files and widget state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from studio_driver import run_job
from tmrvc_core.speaker_file import read_speaker_file
from tmrvc_gui.engine import load_module, optional_controls
from tmrvc_gui.window import MainWindow

# Settings that make each stage a few seconds at tiny size (as tmrvc-train/tests/test_train_chain.py).
FAST = dict(size="tiny", batch_size=2, segment_frames=24, log_every=1, media_every=0, threads=1, steps=2,
            ckpt_every=0)
CHAIN = [("speaker", {}), ("content", {}), ("ir", {}), ("teacher", {"spectral_from": 1}),
         ("vocoder", {"adv_start": 0}), ("A", {"teacher_steps": 2}), ("B", {"teacher_steps": 2}),
         ("vocoder_ft", {"adv_start": 0}), ("zeroshot", {})]


@pytest.fixture(scope="module")
def win(qapp, tmp_path_factory):
    w = MainWindow()
    w.show()
    w.root = tmp_path_factory.mktemp("studio") / "project"
    yield w
    w.close()


def test_project_page_creates_the_project(win, qtbot) -> None:
    page = win.pages["Project"]
    win.show_page("Project")
    page.path.setText(str(win.root))
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    for d in ("configs", "cache", "runs", "models", "speakers"):
        assert (win.root / d).is_dir(), d
    assert (win.root / "configs/teacher.yaml").is_file()
    assert win.project_label.text() == str(win.root)
    assert page.recent.item(0).text() == str(win.root)


def test_data_page_builds_corpus_preprocess_and_cache(win, qtbot) -> None:
    page = win.pages["Data"]
    win.show_page("Data")
    page.source.setCurrentIndex(0)
    run_job(qtbot, page.job, 600)
    assert page.job.bar.value() == 100
    assert (win.root / "data/corpus/manifest.jsonl").is_file()
    assert (win.root / "data/preprocessed/manifest.jsonl").is_file()
    assert any((win.root / "cache").iterdir())
    n = len((win.root / "data/corpus/manifest.jsonl").read_text().splitlines())
    assert page.table.rowCount() == n > 0
    assert f"{n} utterances" in page.summary.text()
    page.table.selectRow(0)
    assert page.clip.frames > 10 and page.clip.audio is not None
    assert win.job_label.text().startswith("done:")


def test_train_page_runs_every_stage_and_plots_its_losses(win, qtbot) -> None:
    page = win.pages["Train"]
    win.show_page("Train")
    assert page.device.text().startswith("device: ")
    for stage, extra in CHAIN:
        page.stage.setCurrentText(stage)
        form = page.form()
        assert form.raw()["cache"] == str(win.root / "cache")
        form.set_values(FAST | extra)
        run_job(qtbot, page.job, 300)
        page.refresh_curves()
        prefix = "teacher" if stage == "teacher" else f"distill_{stage}"
        assert page.plot.tags and all(t.startswith(prefix) for t in page.plot.tags), (stage, page.plot.tags)
    assert (win.root / "runs/students.pt").is_file() and (win.root / "runs/teacher.pt").is_file()
    saved = (win.root / "configs/zeroshot.yaml").read_text()
    assert "steps: 2" in saved and "phase: zeroshot" in saved
    assert "torchrun" in page.torchrun.text() and "--nproc_per_node=2" in page.torchrun.text()


def test_export_page_writes_onnx_int8_parity_and_benchmark(win, qtbot) -> None:
    page = win.pages["Export"]
    win.show_page("Export")
    page.iterations.setValue(5)
    run_job(qtbot, page.job, 600)
    meta = json.loads((win.root / "models/metadata.json").read_text())
    assert (win.root / "models-int8/metadata.json").is_file()
    assert json.loads(page.parity.toPlainText()) == meta.get("verification", {})
    names = {page.table.item(i, 1).text() for i in range(page.table.rowCount())}
    assert "total per hop" in names and len(names) > 2
    assert float(page.table.item(0, 2).text()) > 0


def _voices(root: Path) -> dict:
    return json.loads((root / "data/corpus/splits.json").read_text())


def test_enrol_page_enrols_lists_and_renames(win, qtbot) -> None:
    page = win.pages["Enrol"]
    win.show_page("Enrol")
    s = _voices(win.root)
    target = s["voices"]["test"][1]
    files = [win.root / "data/corpus/wavs" / target / f"{target}__{x}.wav"
             for x in s["sentences"]["train"] + s["sentences"]["val"]]
    page.files.add_files(files)
    page.name.setText("target")
    page.steps.setValue(3)
    run_job(qtbot, page.job, 600)
    spk = read_speaker_file(win.root / "speakers/target.tmrvc_speaker")
    assert spk.name == "target" and spk.metadata["n_utterances"] == len(files)
    assert page.sim.rowCount() == len(files)
    assert all(-1.0 <= float(page.sim.item(i, 1).text()) <= 1.0 for i in range(len(files)))
    assert page.speakers.count() == 1
    page.speakers.setCurrentRow(0)
    page.rename_selected("renamed")
    assert (win.root / "speakers/renamed.tmrvc_speaker").is_file()
    assert page.speakers.item(0).text().startswith("renamed")
    page.speakers.setCurrentRow(0)
    page.rename_selected("target")  # back, for the pages after this one
    assert (win.root / "speakers/target.tmrvc_speaker").is_file()


def test_convert_page_converts_through_the_engine(win, qtbot) -> None:
    page = win.pages["Convert"]
    win.show_page("Convert")
    s = _voices(win.root)
    src_voice, sent = s["voices"]["test"][0], s["sentences"]["test"][0]
    page.input.setText(str(win.root / "data/corpus/wavs" / src_voice / f"{src_voice}__{sent}.wav"))
    page.list_speakers()
    page.speaker.setCurrentText("target.tmrvc_speaker")
    page.knobs["pitch"].setValue(2.0)
    run_job(qtbot, page.job, 300)
    out = page.output_path()
    assert out.is_file()
    assert page.before.frames > 10 and abs(page.after.frames - page.before.frames) <= 1
    # formant / gate appear exactly when this build of the engine has them
    assert set(page.knobs) == {"q", "pitch", *optional_controls(load_module())}


def test_eval_page_scores_against_the_three_baselines(win, qtbot) -> None:
    page = win.pages["Evaluate"]
    win.show_page("Evaluate")
    page.refresh()
    s = _voices(win.root)
    page.source.setCurrentText(s["voices"]["test"][0])
    page.target.setCurrentText(s["voices"]["test"][1])
    page.other.setCurrentText(s["voices"]["train"][0])
    page.speaker.setCurrentText("target.tmrvc_speaker")
    run_job(qtbot, page.job, 900)
    res = json.loads((win.root / "eval/run/brackets.json").read_text())
    cols = [page.table.horizontalHeaderItem(j).text() for j in range(page.table.columnCount())]
    assert {"identity", "ground_truth", "other_voice", "system"} <= set(cols) == set(res)
    assert page.table.rowCount() == len(res["identity"]) > 0
    assert not page.plots.pixmap().isNull()
