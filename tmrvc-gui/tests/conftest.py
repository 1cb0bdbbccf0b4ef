"""GUI tests run without a display (Qt's offscreen platform), with their own settings folder (recent projects), and
with the C++ engine module on the path of the tests and of the jobs they start."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="tmrvc-gui-settings-")
_ENGINE = str(Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build")) / "tmrvc-engine")
if _ENGINE not in sys.path:
    sys.path.insert(0, _ENGINE)
if _ENGINE not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [_ENGINE, os.environ.get("PYTHONPATH", "")]))
