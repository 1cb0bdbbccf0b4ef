"""Loss curves read from TensorBoard event files (tensorboard's EventAccumulator), one line per scalar tag."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg

COLOURS = ("y", "c", "m", "g", "r", "b", "w")


def read_scalars(tb_dir: Path) -> dict[str, tuple[list[int], list[float]]]:
    """{tag: (steps, values)} of every scalar in the event files under tb_dir (empty when there are none yet)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out: dict[str, tuple[list[int], list[float]]] = {}
    if not tb_dir.is_dir():
        return out
    for events in sorted({p.parent for p in tb_dir.rglob("events.out.tfevents.*")}):
        acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags().get("scalars", []):
            pts = acc.Scalars(tag)
            steps, vals = out.setdefault(tag, ([], []))
            steps.extend(p.step for p in pts)
            vals.extend(p.value for p in pts)
    return out


class CurvePlot(pg.PlotWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setLabel("bottom", "step")
        self.setLabel("left", "loss")
        self.addLegend()
        self.tags: list[str] = []

    def refresh(self, tb_dir: Path, prefix: str = "") -> None:
        # steps_per_s is a speed, not a loss
        scalars = {t: v for t, v in read_scalars(tb_dir).items()
                   if t.startswith(prefix) and not t.endswith("steps_per_s")}
        self.clear()
        self.tags = sorted(scalars)
        for i, tag in enumerate(self.tags):
            steps, vals = scalars[tag]
            self.plot(steps, vals, pen=COLOURS[i % len(COLOURS)], name=tag)
