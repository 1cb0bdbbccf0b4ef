"""Phase hq: the semi-causal HQ converter (right context of up to ``max_lookahead_hops`` hops).

Built with :meth:`ConverterHQ.from_converter` from the trained live converter when the students file has none
(so it starts exactly equal to the live converter), then trained with phase A's target and loss (feature L1 +
L1 to the teacher's N-step Euler result in the teacher's normalised log-mel space) plus an L1 on the log-mel of
the features (``mel_recon_weight``: without it the per-bin log L1 let the HQ converter drift to half the live
converter's output energy, level 0.60 vs 1.18 on the demo models), the lookahead L drawn
uniformly from 1 … max_lookahead_hops per step. Trained: the lookahead layer, the causal stack and the output
layers; frozen: ``in_proj`` and the FiLM layers (shared with the live converter, so a speaker's LoRA delta
applies unchanged). Each step also logs the live converter's phase-A loss on the same batch and target
(``live_*``) so the gain of the lookahead can be read side by side.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from tmrvc_core import constants as K
from tmrvc_train.distill.common import DistillConfig, adamw, speaker_condition
from tmrvc_train.distill.encoders import StudentStage
from tmrvc_train.distill.timbre_warp import content_input
from tmrvc_train.losses import FeaturesToMel
from tmrvc_train.models import ConverterHQ, StudentModels
from tmrvc_train.teacher import Condition, euler_sample, load_teacher
from tmrvc_train.trainers.loop import mel_image
from tmrvc_train.trainers.runtime import Runtime, autocast, wrap_ddp

FROZEN_PARTS = ("in_proj", "film")


class HQStage(StudentStage):
    """Trains ``students.converter_hq`` (created from the live converter when absent)."""

    def __init__(self, cfg: DistillConfig, rt: Runtime, students: StudentModels, info: dict[str, Any],
                 index: Any) -> None:
        super().__init__(cfg, rt, students, info)
        if students.converter_hq is None:
            students.converter_hq = ConverterHQ.from_converter(students.converter)
        hq = students.converter_hq.train()
        for name, p in hq.named_parameters():
            p.requires_grad_(name.split(".")[0] not in FROZEN_PARTS)
        self.hq = wrap_ddp(hq, rt)
        self.state.modules["converter_hq"] = self.hq
        self.state.optimizers["converter_hq"] = adamw(hq.parameters(), cfg.lr)
        self.to_mel = FeaturesToMel().to(rt.device)
        self.teacher, self.norm, _ = load_teacher(cfg.teacher)
        self.teacher.to(rt.device).requires_grad_(False)

    @torch.no_grad()
    def condition(self, batch: dict[str, torch.Tensor], warp: bool = False) -> Condition:
        s = self.students
        mel = content_input(batch["mel"], self.cfg.content_warp if warp else 0.0)  # as the live phases A and B
        content = s.content_encoder(mel, batch["f0"])
        return Condition(content, batch["f0"], speaker_condition(s, batch["ref_mel"]), batch["acoustic"])

    def _losses(self, feats: torch.Tensor, target: torch.Tensor, batch: dict[str, torch.Tensor]
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """feats (B, 513, T), target (B, 80, T) normalised log-mel → (loss, recon L1, trajectory L1, mel L1)."""
        recon = F.l1_loss(feats.float(), batch["feats"])
        mel = self.to_mel(feats.float())
        traj = F.l1_loss(self.norm.encode(mel), target)
        mel_recon = F.l1_loss(mel, self.to_mel(batch["feats"]))
        cfg = self.cfg
        loss = cfg.recon_weight * recon + cfg.traj_weight * traj + cfg.mel_recon_weight * mel_recon
        return loss, recon, traj, mel_recon

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        c = self.condition(batch, warp=True)
        lookahead = int(torch.randint(1, K.MAX_LOOKAHEAD_HOPS + 1, ()).item())
        target = euler_sample(self.teacher, c, self.cfg.teacher_steps, self.cfg.guidance)
        with autocast(self.rt):
            feats = self.hq(c.content, c.spk_embed, c.acoustic, lookahead)
        loss, recon, traj, mel = self._losses(feats, target, batch)
        self.optimise("converter_hq", loss)
        with torch.no_grad():
            live, live_recon, live_traj, live_mel = self._losses(
                self.students.converter(c.content, c.spk_embed, c.acoustic), target, batch)
        return {"loss": loss, "live_loss": live, "recon_l1": recon, "traj_l1": traj, "mel_l1": mel,
                "live_recon_l1": live_recon, "live_traj_l1": live_traj, "live_mel_l1": live_mel,
                "lookahead": torch.tensor(float(lookahead))}

    def log_media(self, writer: Any, batch: dict[str, torch.Tensor], step: int) -> None:
        with torch.no_grad():
            c = self.condition(batch)
            feats = self.students.converter_hq(c.content[:1], c.spk_embed[:1], c.acoustic[:1],
                                               K.MAX_LOOKAHEAD_HOPS)
        writer.add_image("hq/student_mel", mel_image(self.to_mel(feats)[0]), step)
        writer.add_image("hq/target_mel", mel_image(batch["mel"][0]), step)
