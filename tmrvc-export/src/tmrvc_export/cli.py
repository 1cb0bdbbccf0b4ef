"""`tmrvc-export`: students (checkpoint or random init) → model folder. ``cli()`` parses, ``main(cfg)`` works.

converter_hq.onnx is written when the checkpoint holds an HQ converter (phase hq). With ``--random-init`` an HQ
converter is built from the random converter (``ConverterHQ.from_converter``) and its lookahead projection ``pw``
gets seeded random weights of std ``RANDOM_HQ_PW_STD`` instead of zeros, so that engine tests exercise a lookahead
path that changes the output (a trained-from-scratch HQ starts as an exact copy of the live converter).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from tmrvc_export.model_folder import ExportResult, export_model_folder
from tmrvc_export.onnx_export import ExportError
from tmrvc_export.verify import ExportGateError
from tmrvc_train.models import ConverterHQ, build_students, load_checkpoint

RANDOM_HQ_PW_STD = 0.05


@dataclass(frozen=True)
class ExportConfig:
    output_dir: Path
    checkpoint: Path | None = None
    random_init: bool = False
    seed: int = 0
    size: str = "default"
    frames: int = 100
    quiet: bool = False


def main(cfg: ExportConfig) -> ExportResult:
    """Build or load the students and export the model folder; raises ValueError on bad settings."""
    if cfg.random_init == (cfg.checkpoint is not None):
        raise ValueError("expected exactly one of --checkpoint CKPT or --random-init")
    log = (lambda _msg: None) if cfg.quiet else (lambda msg: print(msg, flush=True))
    if cfg.random_init:
        log(f"[export] random init, size={cfg.size}, seed={cfg.seed}")
        students = build_students(cfg.size, cfg.seed)
        students.converter_hq = ConverterHQ.from_converter(students.converter).perturb_lookahead(
            RANDOM_HQ_PW_STD, cfg.seed).eval()
        training = {"source": "random-init", "seed": cfg.seed, "size": cfg.size}
    else:
        log(f"[export] loading checkpoint {cfg.checkpoint}")
        students, info = load_checkpoint(cfg.checkpoint)
        training = {"source": "checkpoint", "checkpoint": str(cfg.checkpoint), "configs": info}
    result = export_model_folder(students, cfg.output_dir, training, demo_speaker=cfg.random_init, seed=cfg.seed,
                                 n_frames=cfg.frames, log=log)
    total = sum(result.file_sizes.values())
    log(f"[export] wrote {cfg.output_dir} ({len(result.file_sizes)} files, {total / 1e6:.1f} MB) "
        f"in {result.seconds:.1f} s; model_id {result.metadata['model_id'][:16]}…")
    return result


def parse_args(argv: list[str] | None = None) -> ExportConfig:
    p = argparse.ArgumentParser(prog="tmrvc-export", description=__doc__)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, help="students checkpoint (tmrvc_train.models.save_checkpoint)")
    src.add_argument("--random-init", action="store_true",
                     help="export untrained students (+ a demo speaker and an HQ converter with a random lookahead)")
    p.add_argument("--output-dir", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", choices=["default", "tiny"], default="default", help="with --random-init")
    p.add_argument("--frames", type=int, default=100, help="streamed frames in the export gate (>= 100)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    return ExportConfig(a.output_dir, a.checkpoint, a.random_init, a.seed, a.size, a.frames, a.quiet)


def cli(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    try:
        main(cfg)
    except (ValueError, ExportError, ExportGateError) as exc:
        print(f"tmrvc-export: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())
