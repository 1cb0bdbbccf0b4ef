"""Long jobs run as child processes (QProcess): the window never blocks, Stop kills the child, and a crash in the
child (segfault, out of memory, an exception) ends that job only. Progress is parsed from the child's output."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

# Runs one console-script entry point of the workspace in the child (same interpreter, same venv).
_LAUNCH = ("import sys; from importlib.metadata import entry_points; name = sys.argv[1]; sys.argv = sys.argv[1:]; "
           "eps = [e for e in entry_points(group='console_scripts') if e.name == name]; "
           "sys.exit(eps[0].load()() if eps else f'no entry point {name!r}: run `uv sync` in the repository')")

# "12/300" (tqdm, "step 12/300") or "37%": the first match in a line is the job's progress.
_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_PERCENT = re.compile(r"(\d{1,3})%")


def progress_of(line: str) -> int | None:
    """Percent done that a line of output reports, or None when it reports none."""
    m = _FRACTION.search(line)
    if m and int(m.group(2)) > 0:
        return min(100, round(100 * int(m.group(1)) / int(m.group(2))))
    m = _PERCENT.search(line)
    return min(100, int(m.group(1))) if m else None


@dataclass
class JobSpec:
    """A job: a title for the status bar and the steps (entry point + arguments) run one after the other."""

    title: str
    steps: list[tuple[str, list[str]]]
    env: dict[str, str] = field(default_factory=dict)


class JobRunner(QObject):
    """Runs one job at a time; the pages share it so the status bar shows the running job."""

    started = Signal(str)
    output = Signal(str)
    progress = Signal(int)
    finished = Signal(bool, str)  # ok, message (what failed and what to do about it)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proc: QProcess | None = None
        self._spec: JobSpec | None = None
        self._step = 0
        self._tail: list[str] = []
        self._cancelled = False
        self._buf = ""

    @property
    def running(self) -> bool:
        return self._proc is not None

    @property
    def title(self) -> str:
        return self._spec.title if self._spec else ""

    def start(self, spec: JobSpec) -> bool:
        if self.running:
            self.output.emit(f"'{self.title}' is still running: stop it first or wait for it to finish")
            return False
        self._spec, self._step, self._cancelled = spec, 0, False
        self.started.emit(spec.title)
        self._launch()
        return True

    def stop(self) -> None:
        if self._proc is not None:
            self._cancelled = True
            self._proc.kill()

    def wait(self, msecs: int) -> bool:
        return self._proc is None or self._proc.waitForFinished(msecs)

    def _launch(self) -> None:
        assert self._spec is not None
        name, args = self._spec.steps[self._step]
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("HF_HUB_OFFLINE", "1")
        for k, v in self._spec.env.items():
            env.insert(k, v)
        proc.setProcessEnvironment(env)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        proc.readyReadStandardOutput.connect(self._read)
        proc.finished.connect(self._done)
        proc.errorOccurred.connect(self._error)
        self._proc, self._tail, self._buf = proc, [], ""
        self.output.emit(f"$ {name} {' '.join(args)}")
        # A step is an entry point of the workspace, or a repository script (a path ending in .py).
        proc.start(sys.executable, [name, *args] if name.endswith(".py") else ["-c", _LAUNCH, name, *args])

    def _read(self) -> None:
        if self._proc is None:
            return
        # tqdm ends its updates with \r, the rest with \n: both end a line here.
        self._buf += bytes(self._proc.readAllStandardOutput().data()).decode(errors="replace").replace("\r", "\n")
        *lines, self._buf = self._buf.split("\n")
        for line in filter(None, (s.rstrip() for s in lines)):
            self._tail = (self._tail + [line])[-20:]
            self.output.emit(line)
            p = progress_of(line)
            if p is not None and self._spec is not None:
                n = len(self._spec.steps)
                self.progress.emit(round((100 * self._step + p) / n))

    def _error(self, err: QProcess.ProcessError) -> None:
        if err == QProcess.ProcessError.FailedToStart:
            self._finish(False, f"could not start {sys.executable}: is the virtual environment intact (`uv sync`)?")

    def _done(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        assert self._spec is not None
        name = self._spec.steps[self._step][0]
        if self._cancelled:
            return self._finish(False, f"'{self._spec.title}' stopped; nothing after step {name} ran")
        if status == QProcess.ExitStatus.CrashExit or code != 0:
            last = next((s for s in reversed(self._tail) if "error" in s.lower()), self._tail[-1] if self._tail else "")
            return self._finish(False, f"{name} failed (exit {code}): {last}\nFix what it names and start again; "
                                       "the full output is in the log above.")
        self._step += 1
        if self._step < len(self._spec.steps):
            self._proc = None
            self._launch()
        else:
            self.progress.emit(100)
            self._finish(True, f"'{self._spec.title}' finished")

    def _finish(self, ok: bool, message: str) -> None:
        if self._proc is not None:
            self._proc.deleteLater()
        self._proc = None
        self.finished.emit(ok, message)
