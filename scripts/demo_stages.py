"""Stage runner for `make demo`: each stage runs once, records its results and wall time in
demo-output/.stages/<name>.json, and is skipped on the next run while that record and its outputs exist."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Context:
    out: Path
    quick: bool
    train_scale: float = 1.0  # every training stage's step count is multiplied by this (the demo recipe's = 1)
    corpus: str = "synthetic"  # "synthetic" (the built-in corpus) or "real" (configs/data/real_corpus.yaml)
    results: dict = field(default_factory=dict)

    @property
    def work(self) -> Path:
        return self.out / "work"

    @property
    def build(self) -> Path:
        return Path(os.environ.get("TMRVC_BUILD_DIR", ROOT / "build"))

    def tool(self, name: str) -> Path:
        return self.build / "tmrvc-engine" / name


@dataclass
class Stage:
    name: str
    run: Callable[[Context], dict]
    outputs: Callable[[Context], list[Path]]


class StageError(RuntimeError):
    pass


def sh(cmd: list, log: Path | None = None, cwd: Path = ROOT) -> str:
    """Run a command; its output goes to `log` (and the last lines to the error on failure)."""
    cmd = [str(c) for c in cmd]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ {shlex.join(cmd)}\n{text}")
    if proc.returncode != 0:
        tail = "\n".join(text.strip().splitlines()[-15:])
        raise StageError(f"command failed ({proc.returncode}): {shlex.join(cmd)}\n{tail}")
    return proc.stdout


def uv_run(*args) -> list:
    return ["uv", "run", "--quiet", *args]


def run_stages(ctx: Context, stages: list[Stage]) -> None:
    record_dir = ctx.out / ".stages"
    record_dir.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    for i, stage in enumerate(stages, 1):
        record = record_dir / f"{stage.name}.json"
        prefix = f"[demo {i}/{len(stages)}] {stage.name}"
        if record.exists() and all(p.exists() for p in stage.outputs(ctx)):
            saved = json.loads(record.read_text())
            ctx.results[stage.name] = saved
            print(f"{prefix}: done earlier ({saved.get('seconds', 0):.0f} s), reused", flush=True)
            continue
        print(f"{prefix} ...", flush=True)
        t0 = time.perf_counter()
        try:
            result = stage.run(ctx) or {}
        except StageError as exc:
            print(f"{prefix}: FAILED\n{exc}", file=sys.stderr, flush=True)
            raise SystemExit(1) from exc
        result["seconds"] = time.perf_counter() - t0
        ctx.results[stage.name] = result
        record.write_text(json.dumps(result, indent=2, default=str))
        print(f"{prefix}: {result['seconds']:.0f} s", flush=True)
    total = time.perf_counter() - t_all
    ctx.results["total_seconds_this_run"] = total
    print(f"[demo] all stages done in {total / 60:.1f} min this run", flush=True)
