"""`tmrvc-distill --phase P`: one student stage over the feature cache, reading and rewriting the students
file. Phases (in the order the demo runs them): speaker (speaker encoder, margin softmax), content (content
encoder vs phoneme labels / content teacher, optional RVQ), ir (acoustic estimator on augmentation labels),
vocoder (GAN on ground-truth features), A (converter: ODE-trajectory matching), B (converter: DMD +
MR-STFT + speaker loss), hq (the semi-causal HQ converter, phase A's loss at lookahead 1..6 hops), vocoder_ft
(vocoder on converter outputs), zeroshot (speaker encoder's LoRA head).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from tmrvc_data.config import parse_cli
from tmrvc_train.distill.common import DistillConfig, open_students
from tmrvc_train.distill.converter import ConverterStage
from tmrvc_train.distill.encoders import ContentStage, IRStage, SpeakerStage
from tmrvc_train.distill.hq import HQStage
from tmrvc_train.trainers.data import CacheIndex
from tmrvc_train.trainers.loop import run
from tmrvc_train.trainers.runtime import init_runtime, shutdown
from tmrvc_train.vocoder_gan.stage import VocoderStage

_STAGES = {"speaker": SpeakerStage, "content": ContentStage, "ir": IRStage, "vocoder": VocoderStage,
           "vocoder_ft": VocoderStage, "A": ConverterStage, "B": ConverterStage, "hq": HQStage, "zeroshot": ConverterStage}


def main(cfg: DistillConfig) -> Path:
    """Run the stage ``cfg.phase``; returns the students file it wrote."""
    rt = init_runtime(cfg.device, cfg.amp)
    try:
        index = CacheIndex(cfg.cache, "train")
        students, info = open_students(cfg)
        stage = _STAGES[cfg.phase](cfg, rt, students, info, index)
        return run(stage, cfg, rt, index, f"distill_{cfg.phase}")
    finally:
        shutdown(rt)


def cli(argv: Sequence[str] | None = None) -> int:
    try:
        main(parse_cli(DistillConfig, argv, __doc__ or ""))
    except ValueError as exc:
        print(f"tmrvc-distill: error: {exc}", file=sys.stderr)
        return 1
    return 0
