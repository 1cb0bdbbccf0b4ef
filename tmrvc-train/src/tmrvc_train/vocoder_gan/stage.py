"""Vocoder training through the engine's iSTFT: multi-resolution STFT + mel L1 + LSGAN (multi-period and
multi-resolution discriminators) + feature matching + anti-wrapping phase losses against the crop's own STFT
phase (losses/phase.py) + L1 on the log-magnitude against the true features. Phase "vocoder" feeds ground-truth features; phase
"vocoder_ft" feeds the (frozen) converter's reconstruction of the same utterance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from tmrvc_core import constants as K
from tmrvc_core.constants import FEATURE_FLOOR
from tmrvc_train.distill.common import DistillConfig, adamw, speaker_condition
from tmrvc_train.distill.encoders import StudentStage
from tmrvc_train.losses import (CropSTFT, EngineISTFT, MultiResolutionSTFTLoss, PhaseLoss, WaveMelLoss,
                                discriminator_loss, feature_matching_loss, generator_loss)
from tmrvc_train.losses.phase import FIRST_FULL_FRAME
from tmrvc_train.models import StudentModels
from tmrvc_train.trainers.data import CacheIndex
from tmrvc_train.trainers.loop import mel_image
from tmrvc_train.trainers.runtime import Runtime, autocast
from tmrvc_train.vocoder_gan.discriminators import CombinedDiscriminator


class VocoderStage(StudentStage):
    needs_audio = True

    def __init__(self, cfg: DistillConfig, rt: Runtime, students: StudentModels, info: dict[str, Any],
                 index: CacheIndex, disc_channels: int = 16) -> None:
        super().__init__(cfg, rt, students, info)
        self.voc = self.train_module("vocoder", students.vocoder)
        disc = CombinedDiscriminator(disc_channels).to(rt.device)
        self.disc_path = Path(cfg.students).with_suffix(".disc.pt")
        if self.disc_path.is_file():
            disc.load_state_dict(torch.load(self.disc_path, map_location=rt.device, weights_only=True))
        self.disc = self.train_module("discriminator", disc)
        self.state.optimizers["vocoder"] = adamw(self.voc.parameters(), cfg.lr)
        self.state.optimizers["discriminator"] = adamw(self.disc.parameters(), cfg.disc_lr)
        self.istft = EngineISTFT().to(rt.device)
        self.mrstft = MultiResolutionSTFTLoss().to(rt.device)
        self.melloss = WaveMelLoss().to(rt.device)
        self.crop_stft = CropSTFT().to(rt.device)
        self.phase_loss = PhaseLoss()

    @torch.no_grad()
    def input_features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, 513, T): ground truth ("vocoder") or the converter's reconstruction ("vocoder_ft")."""
        if self.cfg.phase != "vocoder_ft":
            return batch["feats"]
        s = self.students
        content = s.content_encoder(batch["mel"], batch["f0"])
        return s.converter(content, speaker_condition(s, batch["ref_mel"]), batch["acoustic"])

    def phase_terms(self, phase: torch.Tensor, wav: torch.Tensor) -> dict[str, torch.Tensor]:
        """Anti-wrapping phase losses of the predicted phase (B, 513, T) against the STFT of the crop's
        waveform (B, 240 T), over the frames whose analysis window lies inside the crop."""
        spec = self.crop_stft(wav)  # frames FIRST_FULL_FRAME … T − 2
        pred = phase.float()[..., FIRST_FULL_FRAME:FIRST_FULL_FRAME + spec.shape[-1]]
        return self.phase_loss(pred, torch.angle(spec), spec.abs())

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        cfg, hop = self.cfg, K.HOP_LENGTH
        feats = self.input_features(batch)
        with autocast(self.rt):
            mag, phase = self.voc(feats)
        y = self.istft(mag.float(), phase.float())[:, hop:]
        x = batch["wav"][:, hop:]
        out: dict[str, torch.Tensor] = {}
        adv = step >= cfg.adv_start and cfg.adv_weight > 0
        if adv:
            both, _ = self.disc(torch.cat([x, y.detach()]))  # one forward: DDP allows one per backward
            b = x.shape[0]
            loss_d = discriminator_loss([o[:b] for o in both], [o[b:] for o in both])
            self.optimise("discriminator", loss_d)
            out["disc"] = loss_d
        stft = self.mrstft(y, x)
        mel = self.melloss(y, x)
        loss = cfg.stft_weight * stft + cfg.mel_weight * mel
        if cfg.mag_weight > 0:
            out["mag_l1"] = F.l1_loss(torch.log(mag.float().clamp(min=FEATURE_FLOOR)), batch["feats"])
            loss = loss + cfg.mag_weight * out["mag_l1"]
        if cfg.phase_weight > 0:
            terms = self.phase_terms(phase, batch["wav"])
            loss = loss + cfg.phase_weight * sum(terms.values())
            out.update({f"phase_{k}": v for k, v in terms.items()})
        if adv:
            fake, fake_f = self.disc(y)
            with torch.no_grad():
                _, real_f = self.disc(x)
            gen, fm = generator_loss(fake), feature_matching_loss(real_f, fake_f)
            loss = loss + cfg.adv_weight * gen + cfg.fm_weight * fm
            out.update({"gen": gen, "fm": fm})
        self.optimise("vocoder", loss)
        self.disc.zero_grad(set_to_none=True)
        return {"loss": loss, "mr_stft": stft, "mel_l1": mel, **out}

    def log_media(self, writer: Any, batch: dict[str, torch.Tensor], step: int) -> None:
        with torch.no_grad():
            mag, phase = self.students.vocoder.eval()(self.input_features(batch)[:1])
            y = self.istft(mag, phase)[0]
        self.students.vocoder.train()
        writer.add_audio(f"{self.cfg.phase}/vocoded", y.clamp(-1, 1).cpu(), step, sample_rate=K.SAMPLE_RATE)
        writer.add_audio(f"{self.cfg.phase}/ground_truth", batch["wav"][0].cpu(), step, sample_rate=K.SAMPLE_RATE)
        writer.add_image(f"{self.cfg.phase}/mel", mel_image(batch["mel"][0]), step)

    def finish(self, out_dir: Path) -> Path:
        if self.rt.is_main:
            from tmrvc_train.trainers.runtime import unwrap

            torch.save(unwrap(self.disc).state_dict(), self.disc_path)
        return super().finish(out_dir)
