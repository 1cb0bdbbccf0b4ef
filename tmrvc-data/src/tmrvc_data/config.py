"""Settings plumbing shared by every entry point: a frozen dataclass of defaults, overridden by a YAML file
(`--config path.yaml`) and then by `--key value` pairs on the command line."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from pathlib import Path
from typing import Any, TypeVar
from collections.abc import Callable, Sequence

import yaml

T = TypeVar("T")


def _convert(value: Any, hint: Any, key: str) -> Any:
    """Turn a YAML/CLI value into the field's declared type (str, int, float, bool, tuple, Optional)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], key)
    if origin is tuple:
        if isinstance(value, str):
            loaded = yaml.safe_load(value)
            value = loaded if isinstance(loaded, (list, tuple)) else [v for v in value.split(",") if v]
        elem = args[0] if args else str
        return tuple(_convert(v, elem, key) for v in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"setting '{key}': expected a boolean, got {value!r}")
    if hint in (int, float, str):
        try:
            return hint(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"setting '{key}': expected {hint.__name__}, got {value!r}") from exc
    return value


def build_config(cls: type[T], overrides: dict[str, Any]) -> T:
    """Return `cls(**defaults)` with `overrides` applied; unknown keys raise ValueError naming them."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown} for {cls.__name__}; expected some of {sorted(names)}")
    values = {k: _convert(v, hints[k], k) for k, v in overrides.items()}
    return cls(**values)


def parse_cli(cls: type[T], argv: Sequence[str] | None, description: str = "") -> T:
    """Parse `--config file.yaml` and `--key value` (or `--key=value`) overrides into a `cls` instance."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", type=Path, default=None, help="YAML file overriding the defaults")
    known, rest = parser.parse_known_args(argv)
    overrides: dict[str, Any] = {}
    if known.config is not None:
        if not known.config.is_file():
            raise ValueError(f"config file not found: {known.config}")
        loaded = yaml.safe_load(known.config.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"config {known.config} must be a mapping, got {type(loaded).__name__}")
        overrides.update(loaded)
    i = 0
    while i < len(rest):
        tok = rest[i]
        if not tok.startswith("--"):
            raise ValueError(f"expected --key value, got {tok!r}")
        key = tok[2:].replace("-", "_")
        if "=" in key:
            key, val = key.split("=", 1)
            i += 1
        elif i + 1 < len(rest) and not rest[i + 1].startswith("--"):
            val = rest[i + 1]
            i += 2
        else:
            val, i = "true", i + 1
        overrides[key] = val
    return build_config(cls, overrides)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """Plain-dict view of a settings dataclass (tuples become lists, paths strings) for JSON snapshots."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else (str(v) if isinstance(v, Path) else v)
    return out


def run_cli(cls: type[T], main: Callable[[T], Any], argv: Sequence[str] | None, description: str) -> None:
    """Entry-point body: parse settings, run `main`, and turn a caller mistake (ValueError) into a one-line
    error and exit status 1 instead of a traceback."""
    try:
        main(parse_cli(cls, argv, description))
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from exc
