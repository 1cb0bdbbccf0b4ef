"""Teacher: U-Net shapes, the Euler sampler against an exact flow, classifier-free guidance, checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from tmrvc_train.teacher import (Condition, MelNorm, TeacherConfig, TeacherUNet, euler_sample, flow_loss,
                                 load_teacher, save_teacher)


def _cond(b: int, t: int) -> Condition:
    return Condition(torch.randn(b, 256, t), torch.rand(b, 1, t), torch.randn(b, 192), torch.randn(b, 32))


class ExactFlow(nn.Module):
    """The optimal rectified-flow velocity towards a fixed target m: v = (m − x_t) / (1 − t); the target is
    shifted by ``spk_embed[:, :1]`` so guidance has something to amplify."""

    def __init__(self, m: torch.Tensor) -> None:
        super().__init__()
        self.m = m

    def forward(self, x_t, t, content, f0, spk_embed, acoustic):  # type: ignore[no-untyped-def]
        target = self.m + spk_embed[:, :1, None]
        return (target - x_t) / (1 - t)[:, None, None]


@pytest.mark.parametrize("frames", [1, 37, 64])
def test_unet_shapes_any_length(frames: int) -> None:
    torch.manual_seed(0)
    model = TeacherUNet(TeacherConfig.tiny())
    v = model(torch.randn(2, 80, frames), torch.rand(2), *vars(_cond(2, frames)).values())
    assert v.shape == (2, 80, frames) and torch.isfinite(v).all()
    with pytest.raises(ValueError, match="content"):
        model(torch.randn(2, 80, frames), torch.rand(2), torch.randn(2, 256, frames + 1), torch.rand(2, 1, frames),
              torch.randn(2, 192), torch.randn(2, 32))


def test_euler_sampler_reaches_exact_flow_target_and_guidance_extrapolates() -> None:
    torch.manual_seed(0)
    m = torch.randn(1, 80, 12)
    c = _cond(1, 12)
    for steps in (1, 4):
        x = euler_sample(ExactFlow(m), c, steps)
        assert torch.allclose(x, m + c.spk_embed[:, :1, None], atol=1e-4)
    # guidance w: x = uncond + w (cond − uncond); the unconditional target is m (speaker zeroed)
    x = euler_sample(ExactFlow(m), c, 4, guidance=2.0)
    assert torch.allclose(x, m + 2.0 * c.spk_embed[:, :1, None], atol=1e-4)
    with pytest.raises(ValueError, match="steps"):
        euler_sample(ExactFlow(m), c, 0)


def test_flow_loss_trains_down_and_checkpoint_round_trips(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = TeacherUNet(TeacherConfig.tiny())
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x1, c = torch.randn(2, 80, 16) * 0.1 + 1.0, _cond(2, 16)
    losses = []
    for i in range(80):
        torch.manual_seed(i)
        loss, *_ = flow_loss(model, x1, c)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert sum(losses[-10:]) < 0.6 * sum(losses[:10])
    save_teacher(tmp_path / "t.pt", model, MelNorm(-3.0, 2.5), {"steps": 80})
    again, norm, info = load_teacher(tmp_path / "t.pt")
    assert norm == MelNorm(-3.0, 2.5) and info["steps"] == 80
    model.eval()
    t = torch.full((2,), 0.5)
    assert torch.equal(model(x1, t, *vars(c).values()), again(x1, t, *vars(c).values()))
    with pytest.raises(ValueError, match="no file"):
        load_teacher(tmp_path / "missing.pt")


def test_condition_dropout_zeroes_only_speaker_and_acoustic() -> None:
    c = _cond(3, 5)
    d = c.dropped(torch.tensor([True, False, True]))
    assert float(d.spk_embed[0].abs().sum()) == 0 and float(d.acoustic[2].abs().sum()) == 0
    assert torch.equal(d.spk_embed[1], c.spk_embed[1]) and torch.equal(d.content, c.content)
    norm = MelNorm(-4.0, 3.0)
    mel = torch.randn(1, 80, 4)
    assert torch.allclose(norm.decode(norm.encode(mel)), mel.clamp(min=float(torch.log(torch.tensor(1e-5)))))
