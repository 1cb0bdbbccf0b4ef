"""LoRA on the converter's FiLM layers: layout, merge formula, adapter module, functional path."""

from __future__ import annotations

import torch

from tmrvc_core import constants as K
from tmrvc_train.models import Converter, ConverterConfig, ConverterLoRA, merge_lora


def _inputs(cfg: ConverterConfig, t: int = 12):
    g = torch.Generator().manual_seed(5)
    return (torch.randn(1, cfg.d_content, t, generator=g), torch.randn(1, cfg.d_speaker, generator=g),
            torch.rand(1, cfg.n_acoustic_params, generator=g))


def test_merge_formula_and_layout_by_hand():
    cfg = ConverterConfig.tiny()
    conv = Converter(cfg).eval()
    delta = torch.randn(cfg.lora_size) * 0.1
    merged = merge_lora(conv, delta)
    # Layout written out independently: per layer A (rank, d_in) then B (d_out, rank), row-major.
    off = 0
    r, din, dout = cfg.lora_rank, cfg.film_d_in, cfg.film_d_out
    first = cfg.n_blocks - cfg.n_lora_layers
    for i in range(cfg.n_blocks):
        w0 = conv.film[i].weight.detach()
        if i < first:
            assert torch.equal(merged.film[i].weight, w0)
            continue
        a = delta[off:off + r * din].view(r, din)
        off += r * din
        b = delta[off:off + dout * r].view(dout, r)
        off += dout * r
        expected = w0 + (cfg.lora_alpha / cfg.lora_rank) * (b @ a)
        assert torch.allclose(merged.film[i].weight, expected, atol=1e-6)
    assert off == cfg.lora_size
    assert not torch.equal(merged.film[-1].weight, conv.film[-1].weight)  # original untouched, copy changed


def test_merged_equals_functional_lora():
    cfg = ConverterConfig.tiny()
    conv = Converter(cfg).eval()
    delta = torch.randn(1, cfg.lora_size) * 0.1
    content, spk, ac = _inputs(cfg)
    with torch.no_grad():
        y_merged = merge_lora(conv, delta)(content, spk, ac)
        y_func = conv(content, spk, ac, lora_delta=delta)
        y_base = conv(content, spk, ac)
    assert (y_merged - y_func).abs().max().item() <= 1e-5
    assert (y_merged - y_base).abs().max().item() > 1e-3


def test_batched_lora_matches_per_sample():
    cfg = ConverterConfig.tiny()
    conv = Converter(cfg).eval()
    deltas = torch.randn(2, cfg.lora_size) * 0.1
    content = torch.randn(2, cfg.d_content, 6)
    spk, ac = torch.randn(2, cfg.d_speaker), torch.rand(2, cfg.n_acoustic_params)
    with torch.no_grad():
        both = conv(content, spk, ac, lora_delta=deltas)
        for i in range(2):
            one = conv(content[i:i + 1], spk[i:i + 1], ac[i:i + 1], lora_delta=deltas[i])
            assert (both[i:i + 1] - one).abs().max().item() <= 1e-5


def test_adapter_starts_as_noop_and_trains():
    cfg = ConverterConfig.tiny()
    conv = Converter(cfg).eval()
    for p in conv.parameters():
        p.requires_grad_(False)
    lora = ConverterLoRA(cfg)
    content, spk, ac = _inputs(cfg)
    with torch.no_grad():
        assert torch.allclose(conv(content, spk, ac, lora_delta=lora.delta()), conv(content, spk, ac))
    target = torch.zeros(1, cfg.out_channels, content.shape[2])
    losses = []
    for _ in range(5):  # plain gradient steps (torch.optim's first step imports torch._dynamo: slow)
        loss = ((conv(content, spk, ac, lora_delta=lora.delta()) - target) ** 2).mean()
        lora.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in lora.parameters():
                p -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert lora.delta().shape == (cfg.lora_size,)


def test_default_lora_size():
    assert ConverterConfig().lora_size == K.LORA_SIZE == 15872
