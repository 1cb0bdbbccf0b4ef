"""A form generated from a settings dataclass: one editor per field, filled from the defaults and a YAML file;
`values()` type-checks through tmrvc_data.config.build_config, the same conversion the command line uses."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import yaml
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from tmrvc_data.config import build_config


def _editor(hint: Any) -> QWidget:
    if hint is bool:
        return QCheckBox()
    if hint is int:
        w = QSpinBox()
        w.setRange(-1_000_000_000, 1_000_000_000)
        return w
    if hint is float:
        w = QDoubleSpinBox()
        w.setDecimals(6)
        w.setRange(-1e9, 1e9)
        return w
    return QLineEdit()  # str, dict, tuple, …: YAML text


class ConfigForm(QWidget):
    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls
        self.hints = typing.get_type_hints(cls)
        self.editors: dict[str, QWidget] = {}
        lay = QFormLayout(self)
        for f in dataclasses.fields(cls):
            w = _editor(self.hints[f.name])
            self.editors[f.name] = w
            lay.addRow(f.name, w)
        self.set_values(self.defaults())

    def defaults(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self.cls()).items()}

    def set_values(self, values: dict[str, Any]) -> None:
        for k, v in values.items():
            w = self.editors.get(k)
            if isinstance(w, QCheckBox):
                w.setChecked(bool(v))
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                w.setValue(v)
            elif isinstance(w, QLineEdit):
                w.setText(v if isinstance(v, str) else yaml.safe_dump(v, default_flow_style=True).strip())

    def load_yaml(self, path: Path) -> None:
        """Fills the form from a YAML file; ValueError names the file and the setting of the wrong type."""
        try:
            data = yaml.safe_load(path.read_text()) or {}
            cfg = build_config(self.cls, data)
        except (ValueError, TypeError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}: {exc}; fix the file or save the form over it") from exc
        self.set_values(dataclasses.asdict(cfg))

    def raw(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, w in self.editors.items():
            if isinstance(w, QCheckBox):
                out[k] = w.isChecked()
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                out[k] = w.value()
            else:
                text = w.text()
                out[k] = text if self.hints[k] is str else yaml.safe_load(text or "null")
        return out

    def values(self) -> dict[str, Any]:
        """The settings that differ from the defaults, checked; ValueError names the field and what it expects."""
        raw = self.raw()
        try:
            build_config(self.cls, raw)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"settings are not valid: {exc}") from exc
        defaults = self.defaults()
        return {k: v for k, v in raw.items() if v != defaults[k]}

    def save_yaml(self, path: Path) -> dict[str, Any]:
        values = self.values()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(values, sort_keys=False))
        return values
