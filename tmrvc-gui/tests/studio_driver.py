"""Drives a page's job panel the way a user does (click Start) and waits for the job without blocking Qt."""

from __future__ import annotations

from tmrvc_gui.widgets import JobPanel


def run_job(qtbot, panel: JobPanel, timeout_s: float) -> None:
    """Clicks Start, waits for the job to end; fails with the job's output when it did not succeed."""
    from PySide6.QtCore import Qt

    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.mine, f"the job did not start: {panel.message.text()}"
    qtbot.waitUntil(lambda: not panel.mine, timeout=int(timeout_s * 1000))
    assert panel.message.ok, f"{panel.message.text()}\n{panel.log.toPlainText()[-3000:]}"
