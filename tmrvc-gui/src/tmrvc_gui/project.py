"""A project folder: configs/, cache/, runs/, models/, speakers/ under one root; recent ones kept in QSettings."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

SUBDIRS = ("configs", "data", "cache", "runs", "models", "speakers", "eval", "converted")
REPO = Path(__file__).resolve().parents[3]
RECENT_KEY, MAX_RECENT = "recent_projects", 8


@dataclass(frozen=True)
class Project:
    root: Path

    def __getattr__(self, name: str) -> Path:
        if name in SUBDIRS:
            return self.root / name
        raise AttributeError(name)

    @classmethod
    def create(cls, root: Path) -> "Project":
        """Makes the folders and copies the repository's training recipes into configs/ (to edit per project)."""
        root = Path(root)
        for d in SUBDIRS:
            (root / d).mkdir(parents=True, exist_ok=True)
        for src in (REPO / "configs/demo").glob("*.yaml"):
            dst = root / "configs" / src.name
            if not dst.exists():
                shutil.copy2(src, dst)
        return cls(root)

    @classmethod
    def open(cls, root: Path) -> "Project":
        root = Path(root)
        if not root.is_dir():
            raise ValueError(f"{root} is not a folder: create the project first")
        return cls.create(root)  # fills in any missing subfolder


def settings() -> QSettings:
    return QSettings("TMRVC", "Research Studio")


def recent_projects() -> list[str]:
    value = settings().value(RECENT_KEY, [])
    return [value] if isinstance(value, str) else list(value or [])


def remember(root: Path) -> None:
    items = [str(root)] + [p for p in recent_projects() if p != str(root)]
    settings().setValue(RECENT_KEY, items[:MAX_RECENT])
