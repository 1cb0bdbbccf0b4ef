"""Errors show in the window with what to fix, and a job that fails, crashes or is stopped leaves the window up."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tmrvc_gui.jobs import JobSpec, progress_of
from tmrvc_gui.window import MainWindow


@pytest.fixture
def win(qtbot, tmp_path):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.pages["Project"].open_project(tmp_path / "p", create=True)
    return w


def test_progress_is_read_from_tqdm_and_percent_lines() -> None:
    assert progress_of("train:  40%|████      | 4/10 [00:01<00:02]") == 40
    assert progress_of("step 3/12") == 25
    assert progress_of("loading 7%") == 7
    assert progress_of("no numbers here") is None


def test_missing_checkpoint_says_to_train_first(win, qtbot) -> None:
    page = win.pages["Export"]
    qtbot.mouseClick(page.job.start_button, Qt.MouseButton.LeftButton)
    assert not page.job.message.ok and "train the chain on the Train page" in page.job.message.text()
    assert not win.studio.runner.running


def test_bad_audio_fails_the_job_and_the_window_stays(win, qtbot, tmp_path) -> None:
    """tmrvc-enroll on files that are not audio: the child fails, the page names the failure, the window lives on."""
    export = win.pages["Export"]
    export.random.setChecked(True)
    export.bench.setChecked(False)
    qtbot.mouseClick(export.job.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not export.job.mine, timeout=300_000)
    assert export.job.message.ok, export.job.log.toPlainText()[-2000:]
    page = win.pages["Enrol"]
    bad = []
    for i in range(3):
        f = tmp_path / f"bad{i}.wav"
        f.write_text("not audio")
        bad.append(f)
    page.files.add_files(bad)
    page.steps.setValue(0)
    qtbot.mouseClick(page.job.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.job.mine, timeout=300_000)
    assert not page.job.message.ok
    assert "tmrvc-enroll failed" in page.job.message.text() and "Fix what it names" in page.job.message.text()
    assert win.isVisible() and win.job_label.text().startswith("failed:")


def test_a_crashing_job_is_reported_and_stop_ends_a_running_one(win, qtbot, tmp_path) -> None:
    runner = win.studio.runner
    crash = tmp_path / "crash.py"
    crash.write_text("import os, signal\nprint('about to crash', flush=True)\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    with qtbot.waitSignal(runner.finished, timeout=60_000) as sig:
        runner.start(JobSpec("crash", [(str(crash), [])]))
    ok, message = sig.args
    assert not ok and "crash.py failed" in message
    hang = tmp_path / "hang.py"
    hang.write_text("import time\nprint('1/100', flush=True)\ntime.sleep(600)\n")
    page = win.pages["Data"]
    page.job.build = lambda: JobSpec("hang", [(str(hang), [])])
    qtbot.mouseClick(page.job.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.job.bar.value() == 1, timeout=60_000)
    assert "running: hang" in win.job_label.text()
    # a second job is refused while one runs
    other = win.pages["Export"]
    qtbot.mouseClick(other.job.start_button, Qt.MouseButton.LeftButton)
    assert not other.job.mine and "is running" in other.job.message.text()
    qtbot.mouseClick(page.job.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.job.mine, timeout=30_000)
    assert "stopped" in page.job.message.text() and not runner.running and win.isVisible()


def test_a_settings_file_of_the_wrong_type_is_named(win, qtbot) -> None:
    p = win.studio.project
    (p.configs / "speaker.yaml").write_text("steps: many\n")
    page = win.pages["Train"]
    page.forms.clear()
    page._show_stage("speaker")
    assert not page.message.ok and "speaker.yaml" in page.message.text() and "steps" in page.message.text()
