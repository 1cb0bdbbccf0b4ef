"""`tmrvc-enroll`: `--zero-shot` runs the torch-free ONNX path (enroll_zero_shot.py); otherwise the few-shot
LoRA fine-tuning (enroll.py, PyTorch). The choice is made before anything imports torch."""

from __future__ import annotations

import sys
from typing import Sequence


def cli(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--zero-shot" in args:
        from tmrvc_train.enroll_zero_shot import cli as zero_shot

        return zero_shot(args)
    from tmrvc_train.enroll import cli as few_shot

    return few_shot(args)


if __name__ == "__main__":
    sys.exit(cli())
