"""Converter stages. Training pairs are reconstructions: the converter maps an utterance's content (frozen
content encoder), its speaker's embedding (from another utterance) and acoustic labels to its features.

- phase A (ODE-trajectory matching): the 1-step student's log-mel ≈ the teacher's N-step Euler result from
  the same condition, plus feature reconstruction L1;
- phase B (DMD): distribution-matching gradient (teacher = real score, a fake-score network trained online
  on the student's outputs), + multi-resolution STFT through the frozen vocoder + speaker similarity;
- zeroshot: the speaker encoder's LoRA head, so its predicted delta helps the frozen converter reconstruct.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tmrvc_core import constants as K
from tmrvc_train.distill.common import DistillConfig, adamw, speaker_condition
from tmrvc_train.distill.encoders import StudentStage
from tmrvc_train.distill.timbre_warp import content_input
from tmrvc_train.losses import EngineISTFT, FeaturesToMel, MultiResolutionSTFTLoss, speaker_similarity_loss
from tmrvc_train.models import StudentModels
from tmrvc_train.teacher import Condition, euler_sample, flow_loss, load_teacher
from tmrvc_train.teacher.flow import velocity
from tmrvc_train.trainers.data import FEATURE_FLOOR
from tmrvc_train.trainers.loop import mel_image
from tmrvc_train.trainers.runtime import Runtime, autocast


class ConverterStage(StudentStage):
    """Phases A and B (and zeroshot) of the converter."""

    def __init__(self, cfg: DistillConfig, rt: Runtime, students: StudentModels, info: dict[str, Any],
                 index: Any) -> None:
        super().__init__(cfg, rt, students, info)
        self.needs_audio = cfg.phase == "B"
        self.to_mel = FeaturesToMel().to(rt.device)
        self.floor = float(np.log(FEATURE_FLOOR))
        if cfg.phase == "zeroshot":
            head = [students.speaker_encoder.lora_hidden, students.speaker_encoder.lora_out]
            for m in head:
                for p in m.parameters():
                    p.requires_grad_(True)
            self.state.modules["speaker_encoder"] = students.speaker_encoder
            self.state.optimizers["lora_head"] = adamw([p for m in head for p in m.parameters()], cfg.lr)
            return
        self.conv = self.train_module("converter", students.converter)
        params = list(self.conv.parameters())
        if cfg.content_grad_from_converter:
            params += list(self.train_module("content_encoder", students.content_encoder).parameters())
        self.state.optimizers["converter"] = adamw(params, cfg.lr)
        self.teacher, self.norm, _ = load_teacher(cfg.teacher)
        self.teacher.to(rt.device).requires_grad_(False)
        if cfg.phase == "B":
            self.fake = self.train_module("fake_score", copy.deepcopy(self.teacher).requires_grad_(True))
            self.state.optimizers["fake_score"] = adamw(self.fake.parameters(), cfg.fake_lr, (0.0, 0.99))
            self.istft = EngineISTFT().to(rt.device)
            self.mrstft = MultiResolutionSTFTLoss().to(rt.device)

    def condition(self, batch: dict[str, torch.Tensor], warp: bool = False) -> Condition:
        s = self.students
        mel = content_input(batch["mel"], self.cfg.content_warp if warp else 0.0)
        if self.cfg.content_grad_from_converter:
            content = s.content_encoder(mel, batch["f0"])
        else:
            with torch.no_grad():
                content = s.content_encoder(mel, batch["f0"])
        return Condition(content, batch["f0"], speaker_condition(s, batch["ref_mel"]), batch["acoustic"])

    def _recon(self, feats: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.l1_loss(feats.float(), batch["feats"])

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        c = self.condition(batch, warp=self.cfg.phase in ("A", "B"))
        if self.cfg.phase == "zeroshot":
            return self._zeroshot(batch, c)
        with autocast(self.rt):
            feats = self.conv(c.content, c.spk_embed, c.acoustic).float()
        recon = self._recon(feats, batch)
        x = self.norm.encode(self.to_mel(feats))
        if self.cfg.phase == "A":
            return self._phase_a(x, recon, c)
        return self._phase_b(x, feats, recon, c, batch)

    def _phase_a(self, x: torch.Tensor, recon: torch.Tensor, c: Condition) -> dict[str, torch.Tensor]:
        target = euler_sample(self.teacher, c, self.cfg.teacher_steps, self.cfg.guidance)
        traj = F.l1_loss(x, target)
        loss = self.cfg.recon_weight * recon + self.cfg.traj_weight * traj
        self.optimise("converter", loss)
        return {"loss": loss, "recon_l1": recon, "traj_l1": traj}

    def _dmd(self, x: torch.Tensor, c: Condition) -> torch.Tensor:
        b = x.shape[0]
        t = (0.02 + 0.96 * torch.rand(b, device=x.device))[:, None, None]
        z = torch.randn_like(x)
        x_t = (1 - t) * z + t * x.detach()
        with torch.no_grad():
            real = x_t + (1 - t) * velocity(self.teacher, x_t, t[:, 0, 0], c)
            fake = x_t + (1 - t) * velocity(self.fake, x_t, t[:, 0, 0], c)
            scale = (x.detach() - real).abs().mean(dim=(1, 2), keepdim=True).clamp(min=1e-4)
            grad = (fake - real) / scale
        return 0.5 * F.mse_loss(x, (x - grad).detach())

    def _phase_b(self, x: torch.Tensor, feats: torch.Tensor, recon: torch.Tensor, c: Condition,
                 batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        fake_loss, *_ = flow_loss(self.fake, x.detach(), c, p_uncond=0.0)
        self.optimise("fake_score", fake_loss)
        dmd = self._dmd(x, c)
        mag, phase = self.students.vocoder(feats)
        y = self.istft(mag, phase)[:, K.HOP_LENGTH:]
        stft = self.mrstft(y, batch["wav"][:, K.HOP_LENGTH:])
        emb, _ = self.students.speaker_encoder(self.to_mel(feats))
        with torch.no_grad():  # the target through the same log floor as the prediction
            target, _ = self.students.speaker_encoder(batch["mel"].clamp(min=self.floor))
        spk = speaker_similarity_loss(emb, target)
        cfg = self.cfg
        loss = cfg.dmd_weight * dmd + cfg.stft_weight * stft + cfg.speaker_weight * spk + cfg.recon_weight * recon
        self.optimise("converter", loss)
        return {"loss": loss, "dmd": dmd, "fake_flow": fake_loss, "mr_stft": stft, "speaker": spk, "recon_l1": recon}

    def _zeroshot(self, batch: dict[str, torch.Tensor], c: Condition) -> dict[str, torch.Tensor]:
        _, lora = self.students.speaker_encoder(batch["ref_mel"])
        feats = self.students.converter(c.content, c.spk_embed, c.acoustic, lora_delta=lora)
        with torch.no_grad():
            base = self._recon(self.students.converter(c.content, c.spk_embed, c.acoustic), batch)
        loss = self._recon(feats, batch)
        self.optimise("lora_head", loss)
        return {"recon_l1": loss, "recon_l1_without_lora": base}

    def log_media(self, writer: Any, batch: dict[str, torch.Tensor], step: int) -> None:
        with torch.no_grad():
            c = self.condition(batch)
            feats = self.students.converter(c.content[:1], c.spk_embed[:1], c.acoustic[:1])
        writer.add_image(f"{self.cfg.phase}/student_mel", mel_image(self.to_mel(feats)[0]), step)
        writer.add_image(f"{self.cfg.phase}/target_mel", mel_image(batch["mel"][0]), step)

    def finish(self, out_dir: Path) -> Path:
        for p in self.students.speaker_encoder.parameters():
            p.requires_grad_(False)
        return super().finish(out_dir)
