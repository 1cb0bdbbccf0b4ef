"""Student stages for the encoders: speaker encoder (margin softmax), content encoder (phoneme CE and/or
content-teacher MSE + cosine through a projection, optional RVQ), acoustic estimator (augmentation labels)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tmrvc_train.distill.content_augment import augment_content_input
from tmrvc_train.distill.common import DistillConfig, adamw, freeze, write_students
from tmrvc_train.distill.rvq import ResidualVQ
from tmrvc_train.losses import AAMSoftmax
from tmrvc_train.models import StudentModels
from tmrvc_train.trainers.data import CacheIndex
from tmrvc_train.trainers.loop import mel_image
from tmrvc_train.trainers.runtime import Runtime, autocast, unwrap, wrap_ddp
from tmrvc_train.trainers.state import TrainState


def _summary(state: TrainState) -> dict[str, Any]:
    return {"steps": state.step, "last": state.history[-1] if state.history else {}}


class StudentStage:
    """Base of a student stage: the students, the trained module(s), the run-time and the settings."""

    needs_audio = False

    def __init__(self, cfg: DistillConfig, rt: Runtime, students: StudentModels, info: dict[str, Any]) -> None:
        self.cfg, self.rt, self.students, self.info = cfg, rt, students, info
        self.state = TrainState()
        for _, m in students.items():
            freeze(m.to(rt.device))

    def train_module(self, name: str, module: nn.Module) -> nn.Module:
        module.train()
        for p in module.parameters():
            p.requires_grad_(True)
        wrapped = wrap_ddp(module, self.rt)
        self.state.modules[name] = wrapped
        return wrapped

    def optimise(self, name: str, loss: torch.Tensor) -> None:
        opt = self.state.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for g in opt.param_groups for p in g["params"]]
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    def log_media(self, writer: Any, batch: dict[str, torch.Tensor], step: int) -> None:
        writer.add_image(f"{self.cfg.phase}/input_mel", mel_image(batch["mel"][0]), step)

    def finish(self, out_dir: Path) -> Path:
        if self.rt.is_main:
            write_students(self.cfg.students, self.students.eval(), self.info, self.cfg.phase, _summary(self.state))
        return Path(self.cfg.students)


class SpeakerStage(StudentStage):
    """Speaker encoder with an additive-angular-margin softmax over the training speakers."""

    def __init__(self, cfg: DistillConfig, rt: Runtime, students: StudentModels, info: dict[str, Any],
                 index: CacheIndex) -> None:
        super().__init__(cfg, rt, students, info)
        self.enc = self.train_module("speaker_encoder", students.speaker_encoder)
        aam = AAMSoftmax(students.speaker_encoder.cfg.d_speaker, len(index.speakers), cfg.aam_margin, cfg.aam_scale)
        self.aam = self.train_module("aam", aam.to(rt.device))
        self.state.optimizers["speaker_encoder"] = adamw(list(self.enc.parameters()) + list(self.aam.parameters()),
                                                         cfg.lr)
        self.info = {**info, "speakers": index.speakers}

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        with autocast(self.rt):
            emb, _ = self.enc(batch["ref_mel"])
        loss, acc = self.aam(emb, batch["speaker"])
        self.optimise("speaker_encoder", loss)
        return {"aam": loss, "accuracy": acc}


class ContentStage(StudentStage):
    """Content encoder: CE on phoneme ids through a linear head and, when the cache holds content-teacher
    features, MSE + (1 − cosine) through a projection; optional RVQ bottleneck (perplexity logged)."""

    def __init__(self, cfg: DistillConfig, rt: Runtime, students: StudentModels, info: dict[str, Any],
                 index: CacheIndex) -> None:
        super().__init__(cfg, rt, students, info)
        d = students.content_encoder.cfg.d_content
        if index.n_phones == 0 and not (index.root / "content").is_dir():
            raise ValueError(f"content stage: cache {index.root} has neither phoneme labels nor content-teacher "
                             f"features")
        classes = students.content_encoder.cfg.posterior_classes
        if classes and not 0 < index.n_phones <= classes:
            raise ValueError(f"content stage: the content encoder outputs posteriors over {classes} classes, so "
                             f"the cache needs phoneme labels with at most that many phones; cache {index.root} "
                             f"has {index.n_phones} (set models.content_encoder.posterior_classes to at least "
                             f"that, or 0 for free features)")
        if classes and cfg.rvq_quantizers > 0:
            raise ValueError("content stage: rvq_quantizers > 0 quantises free features; posterior content is "
                             "already a bottleneck (set rvq_quantizers 0 or posterior_classes 0)")
        self.enc = self.train_module("content_encoder", students.content_encoder)
        self.heads = None if classes else \
            self.train_module("phone_head", nn.Linear(d, max(index.n_phones, 1)).to(rt.device))
        self.rvq = ResidualVQ(d, cfg.rvq_quantizers, cfg.rvq_codebook_size, cfg.rvq_commitment).to(rt.device) \
            if cfg.rvq_quantizers > 0 else None
        params = list(self.enc.parameters()) + ([] if self.heads is None else list(self.heads.parameters()))
        if self.rvq is not None:
            self.state.modules["rvq"] = self.rvq.train()
        self.state.optimizers["content_encoder"] = adamw(params, cfg.lr)

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        posteriors = self.heads is None
        mel, f0 = augment_content_input(batch["mel"], batch["f0"], self.cfg.content_stage_warp,
                                        self.cfg.content_stage_tilt, self.cfg.content_stage_f0)
        with autocast(self.rt):
            content = self.enc(mel, f0, phone_logits=posteriors).float()
        loss = content.new_zeros(())
        if self.rvq is not None:
            content, commit, _, ppl = self.rvq(content)
            loss = loss + commit
            out.update({"commit": commit, **{f"perplexity_q{i}": p for i, p in enumerate(ppl)}})
        phones = batch["phones"]
        if bool((phones >= 0).any()):
            logits = content.transpose(1, 2) if posteriors else self.heads(content.transpose(1, 2))
            ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), phones.reshape(-1), ignore_index=-1)
            acc = (logits.argmax(-1) == phones).float()[phones >= 0].mean()
            loss = loss + self.cfg.ce_weight * ce
            out.update({"ce": ce, "phone_accuracy": acc})
        self.optimise("content_encoder", loss)
        return {"loss": loss, **out}

    def finish(self, out_dir: Path) -> Path:
        if self.rvq is not None and self.rt.is_main:
            torch.save(self.rvq.state_dict(), Path(self.cfg.students).with_suffix(".rvq.pt"))
        return super().finish(out_dir)


class IRStage(StudentStage):
    """Acoustic estimator: L1 on range-normalised parameters against the augmentation / voice-source labels."""

    def __init__(self, cfg: DistillConfig, rt: Runtime, students: StudentModels, info: dict[str, Any],
                 index: CacheIndex) -> None:
        super().__init__(cfg, rt, students, info)
        self.est = self.train_module("ir_estimator", students.ir_estimator)
        self.state.optimizers["ir_estimator"] = adamw(self.est.parameters(), cfg.lr)

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        est = unwrap(self.est)
        with autocast(self.rt):
            pred = self.est(batch["mel"]).float()  # (B, 32, T)
        target = batch["acoustic"][:, :, None].expand_as(pred)
        warm = min(pred.shape[-1] - 1, 10)
        err = (pred - target).abs()[..., warm:] / est.param_span[None, :, None]
        loss = err.mean()
        self.optimise("ir_estimator", loss)
        return {"l1_norm": loss, "l1_voice_source": err[:, 24:].mean()}
