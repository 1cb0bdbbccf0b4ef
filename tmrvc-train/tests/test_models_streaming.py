"""Streaming frame by frame (and in chunks) equals whole-sequence output, for tiny and default sizes."""

from __future__ import annotations

import pytest
import torch

from tmrvc_core import constants as K
from tmrvc_train.models import build_students


N_FRAMES = 100


@pytest.fixture(scope="module", params=["tiny", "default"])
def students(request):
    return build_students(request.param, seed=1)


def _stream(step, inputs, state, chunk):
    """Run ``step(inputs sliced to [t, t+chunk), state) -> (outputs..., new_state)`` over time, concat outputs."""
    outs = []
    for t in range(0, N_FRAMES, chunk):
        res = step([x[..., t:t + chunk] for x in inputs], state)
        *y, state = res
        outs.append(y)
    return [torch.cat([o[i] for o in outs], dim=-1) for i in range(len(outs[0]))]


@pytest.mark.parametrize("chunk", [1, 7])
def test_content_encoder_streaming(students, chunk):
    m = students.content_encoder
    g = torch.Generator().manual_seed(0)
    mel = torch.randn(1, K.N_MELS, N_FRAMES, generator=g) * 2 - 4
    f0 = torch.rand(1, 1, N_FRAMES, generator=g) * 6
    with torch.no_grad():
        full = m(mel, f0)
        (streamed,) = _stream(lambda xs, s: m.forward_streaming(xs[0], xs[1], s), [mel, f0], m.init_state(1), chunk)
    assert full.shape == (1, K.D_CONTENT, N_FRAMES)
    assert (streamed - full).abs().max().item() <= 1e-5


@pytest.mark.parametrize("chunk", [1, 7])
def test_converter_streaming(students, chunk):
    m = students.converter
    g = torch.Generator().manual_seed(1)
    content = torch.randn(1, K.D_CONTENT, N_FRAMES, generator=g)
    spk = torch.nn.functional.normalize(torch.randn(1, K.D_SPEAKER, generator=g), dim=1)
    ac = torch.rand(1, K.N_ACOUSTIC_PARAMS, generator=g)
    with torch.no_grad():
        full = m(content, spk, ac)
        (streamed,) = _stream(lambda xs, s: m.forward_streaming(xs[0], spk, ac, s), [content], m.init_state(1),
                              chunk)
    assert full.shape == (1, K.N_FREQ_BINS, N_FRAMES)
    assert (streamed - full).abs().max().item() <= 1e-5


@pytest.mark.parametrize("chunk", [1, 7])
def test_vocoder_streaming(students, chunk):
    m = students.vocoder
    g = torch.Generator().manual_seed(2)
    feats = torch.randn(1, K.N_FREQ_BINS, N_FRAMES, generator=g)
    heads: list[torch.Tensor] = []
    hook = m.phase_head.register_forward_hook(lambda mod, inp, out: heads.append(out))
    with torch.no_grad():
        mag, phase = m(feats)
        s_mag, s_phase = _stream(lambda xs, s: m.forward_streaming(xs[0], s), [feats], m.init_state(1), chunk)
    hook.remove()
    full_sc, stream_sc = heads[0], torch.cat(heads[1:], dim=1)  # (1, T, 2·513): sin ⊕ cos heads
    assert (mag >= 0).all() and (phase.abs() <= torch.pi + 1e-6).all()
    assert (stream_sc - full_sc).abs().max().item() <= 1e-5
    # exp() output: the bound applies to the log-magnitude (equivalently, relative error of the magnitude).
    assert (torch.log(s_mag) - torch.log(mag)).abs().max().item() <= 1e-5
    # atan2 is ill-conditioned near the origin: weight the wrapped phase error by the head radius (≤ 1).
    n = K.N_FREQ_BINS
    radius = torch.hypot(full_sc[..., :n], full_sc[..., n:]).transpose(1, 2).clamp(max=1.0)
    wrapped = torch.atan2(torch.sin(s_phase - phase), torch.cos(s_phase - phase))
    assert (wrapped.abs() * radius).max().item() <= 1e-5


@pytest.mark.parametrize("chunk", [1, 5, 10])
def test_ir_estimator_streaming_chunks(students, chunk):
    m = students.ir_estimator
    g = torch.Generator().manual_seed(3)
    mel = torch.randn(1, K.N_MELS, N_FRAMES, generator=g) * 2 - 4
    state = m.init_state(1)
    with torch.no_grad():
        full = m(mel)
        for t in range(0, N_FRAMES, chunk):
            params, state = m.forward_streaming(mel[..., t:t + chunk], state)
            last = min(t + chunk, N_FRAMES) - 1
            assert (params - full[:, :, last]).abs().max().item() <= 1e-5
    assert params.shape == (1, K.N_ACOUSTIC_PARAMS)


def test_streaming_state_is_not_mutated(students):
    m = students.content_encoder
    state = torch.randn(1, m.cfg.channels, m.state_frames)
    before = state.clone()
    with torch.no_grad():
        _, new_state = m.forward_streaming(torch.zeros(1, K.N_MELS, 1), torch.zeros(1, 1, 1), state)
    assert torch.equal(state, before)
    assert not torch.equal(new_state, before)
