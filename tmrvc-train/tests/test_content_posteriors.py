"""Posterior content (`ContentEncoderConfig.posterior_classes`): the content channels are phoneme posteriors, so
nothing but what was said (and the passed-through F0) reaches the converter; the content stage trains them with
CE, rejects a cache it cannot label, and the exported ONNX graph computes the same posteriors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from tmrvc_core import constants as K
from tmrvc_export.cli import ExportConfig
from tmrvc_export.cli import main as export
from tmrvc_train.distill.common import DistillConfig
from tmrvc_train.distill.train import main as distill
from tmrvc_train.models import ContentEncoderConfig, build_students, load_checkpoint
from tmrvc_train.models.content_encoder import ContentEncoder

CLASSES = 12


def _posterior_encoder(temperature: float = 1.0) -> ContentEncoder:
    torch.manual_seed(3)
    cfg = dataclasses.replace(ContentEncoderConfig.tiny(), posterior_classes=CLASSES,
                              posterior_temperature=temperature)
    return ContentEncoder(cfg).eval()


def _inputs(frames: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, K.N_MELS, frames, generator=g) * 2 - 4, torch.rand(2, 1, frames, generator=g) * 6


@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_posterior_content_is_a_distribution_then_zeros_then_f0(temperature: float) -> None:
    enc = _posterior_encoder(temperature)
    mel, f0 = _inputs()
    with torch.no_grad():
        content = enc(mel, f0)
        logits = enc(mel, f0, phone_logits=True)
    assert content.shape == (2, K.D_CONTENT, 40) and logits.shape == (2, CLASSES, 40)
    post = content[:, :CLASSES]
    assert float(post.min()) >= 0.0
    assert torch.allclose(post.sum(1), torch.ones(2, 40), atol=1e-5)
    assert torch.allclose(post, torch.softmax(logits / temperature, dim=1), atol=1e-6)
    assert float(content[:, CLASSES:-1].abs().max()) == 0.0
    assert torch.equal(content[:, -1:], f0)


def test_posterior_content_streams_like_the_whole_sequence() -> None:
    enc = _posterior_encoder()
    mel, f0 = _inputs()
    state = enc.init_state(2)
    parts = []
    with torch.no_grad():
        whole = enc(mel, f0)
        for t in range(0, 40, 7):
            y, state = enc.forward_streaming(mel[..., t:t + 7], f0[..., t:t + 7], state)
            parts.append(y)
    assert float((torch.cat(parts, -1) - whole).abs().max()) <= 1e-5


def test_posterior_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="posterior_classes must be in"):
        ContentEncoderConfig(posterior_classes=K.D_CONTENT)
    with pytest.raises(ValueError, match="posterior_temperature must be > 0"):
        ContentEncoderConfig(posterior_classes=4, posterior_temperature=0.0)
    free = ContentEncoder(ContentEncoderConfig.tiny())
    with pytest.raises(ValueError, match="free features"):
        free(*_inputs(), phone_logits=True)


def _content_stage(train_cache: Path, tmp_path: Path, classes: int, steps: int, **extra) -> Path:
    students = tmp_path / "students.pt"
    distill(DistillConfig(phase="content", cache=str(train_cache), out_dir=str(tmp_path), students=str(students),
                          models={"content_encoder": {"posterior_classes": classes}}, size="tiny", batch_size=4,
                          segment_frames=24, progress=False, log_every=1, media_every=0, threads=1, steps=steps,
                          ckpt_every=0, lr=3e-3, **extra))
    return students


def test_content_stage_trains_posteriors_and_they_export(train_cache: Path, tmp_path: Path) -> None:
    n_phones = len(json.loads((train_cache / "phones.json").read_text()))
    students = _content_stage(train_cache, tmp_path, CLASSES, steps=60)
    history = json.loads((tmp_path / "distill_content_history.json").read_text())
    first = sum(h["ce"] for h in history[:5]) / 5
    last = sum(h["ce"] for h in history[-5:]) / 5
    assert last < 0.5 * first, (first, last)
    assert history[-1]["phone_accuracy"] > 2.0 / n_phones  # well above chance on the toy phone set

    models = tmp_path / "models"
    export(ExportConfig(models, checkpoint=students, quiet=True))
    meta = json.loads((models / "metadata.json").read_text())
    assert meta["verification"]["content_encoder"]["passed"], meta["verification"]["content_encoder"]
    s, _ = load_checkpoint(students)
    assert s.content_encoder.cfg.posterior_classes == CLASSES


def test_content_stage_rejects_too_few_classes_and_rvq(train_cache: Path, tmp_path: Path) -> None:
    n_phones = len(json.loads((train_cache / "phones.json").read_text()))
    with pytest.raises(ValueError, match=f"has {n_phones}"):
        _content_stage(train_cache, tmp_path / "few", n_phones - 1, steps=1)
    with pytest.raises(ValueError, match="already a bottleneck"):
        _content_stage(train_cache, tmp_path / "rvq", CLASSES, steps=1, rvq_quantizers=2)


def test_default_students_keep_free_features() -> None:
    assert build_students("tiny", seed=0).content_encoder.cfg.posterior_classes == 0
