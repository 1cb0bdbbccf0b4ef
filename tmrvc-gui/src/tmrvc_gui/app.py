"""`uv run tmrvc-gui`: the TMRVC Research Studio window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from tmrvc_gui.window import MainWindow


def main(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    win = MainWindow()
    win.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
