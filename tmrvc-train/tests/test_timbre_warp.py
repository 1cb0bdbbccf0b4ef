"""The vocal-tract-length warp the content encoder hears during converter training (distill/timbre_warp.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tmrvc_core.constants import MEL_FMAX, MEL_FMIN, N_MELS
from tmrvc_core.dsp.mel import hz_to_mel, mel_to_hz
from tmrvc_train.distill.timbre_warp import content_input, random_alphas, warp_log_mel

CENTRES = mel_to_hz(np.linspace(hz_to_mel(MEL_FMIN), hz_to_mel(MEL_FMAX), N_MELS + 2)[1:-1])


def formant_frames(hz: float, frames: int = 4) -> torch.Tensor:
    """(1, 80, frames) log-mel with one smooth peak at ``hz`` (a formant), flat elsewhere."""
    bw = 0.15 * hz
    frame = -((CENTRES - hz) / bw) ** 2
    return torch.tensor(np.repeat(frame[None, :, None], frames, axis=2), dtype=torch.float32)


def peak_hz(mel: torch.Tensor) -> float:
    return float(CENTRES[int(torch.argmax(mel[0, :, 0]))])


def test_no_warp_is_the_identity() -> None:
    mel = torch.randn(3, N_MELS, 7)
    assert torch.allclose(warp_log_mel(mel, torch.ones(3)), mel, atol=1e-6)


@pytest.mark.parametrize("alpha", [0.87, 1.0, 1.15])
@pytest.mark.parametrize("formant_hz", [700.0, 1500.0, 2800.0])
def test_a_formant_moves_by_the_warp_factor(alpha: float, formant_hz: float) -> None:
    warped = warp_log_mel(formant_frames(formant_hz), torch.tensor([alpha]))
    # within one band of the warped frequency (bands are ~4-6 % apart in this range)
    assert peak_hz(warped) == pytest.approx(alpha * formant_hz, rel=0.07)
    assert torch.isfinite(warped).all()


def test_each_utterance_gets_its_own_factor_and_frames_share_it() -> None:
    mel = torch.cat([formant_frames(1500.0)] * 2)
    warped = warp_log_mel(mel, torch.tensor([0.9, 1.1]))
    assert peak_hz(warped[:1]) < 1500.0 < peak_hz(warped[1:])
    assert torch.equal(warped[:, :, 0], warped[:, :, 3])


def test_factors_stay_inside_the_range_and_spread_both_ways() -> None:
    torch.manual_seed(0)
    a = random_alphas(4000, 0.15)
    assert float(a.min()) >= 1 / 1.15 - 1e-6 and float(a.max()) <= 1.15 + 1e-6
    assert abs(float(torch.log(a).mean())) < 0.01  # log-uniform, centred on no warp
    assert torch.equal(random_alphas(5, 0.0), torch.ones(5))
    with pytest.raises(ValueError, match="content_warp"):
        random_alphas(2, -0.1)


def test_shape_errors_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match=r"expected mel \(B, 80, T\)"):
        warp_log_mel(torch.zeros(2, 40, 3), torch.ones(2))


def test_content_input_warps_only_when_asked() -> None:
    mel = torch.cat([formant_frames(1500.0)] * 3)
    assert content_input(mel, 0.0) is mel
    warped = content_input(mel, 0.3, torch.Generator().manual_seed(0))
    assert warped.shape == mel.shape and not torch.allclose(warped, mel)
