"""Causal converter with FiLM conditioning and LoRA on the FiLM projections.

FiLM: ``cond = concat(spk_embed, acoustic_params)`` (B, d_in = d_speaker + n_acoustic_params); block i gets
``film[i](cond)`` (B, 2C) split as ``gamma = [:, :C]``, ``beta = [:, C:]``.

LoRA (onnx-contract.md): ``lora_delta`` (R,) = for each LoRA'd layer (the last ``n_lora_layers``, in order)
``A (rank, d_in)`` then ``B (d_out, rank)``, row-major; merged weight ``W' = W + (alpha / rank) · B @ A``.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from tmrvc_train.models.causal import CausalConvNeXtStack, check_state, check_tensor
from tmrvc_train.models.config import ConverterConfig
from tmrvc_train.models.harmonic import EnvelopeKnots, HarmonicComb, envelope_knots, harmonic_plus_noise
from tmrvc_train.models.speaker_bank import SpeakerBank


def unpack_lora_delta(cfg: ConverterConfig, lora_delta: torch.Tensor
                      ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """lora_delta: (R,) or (B, R) → per LoRA'd layer (A (…, rank, d_in), B (…, d_out, rank))."""
    if lora_delta.shape[-1] != cfg.lora_size or lora_delta.dim() not in (1, 2):
        raise ValueError(f"lora_delta: expected shape ({cfg.lora_size},) or (B, {cfg.lora_size}), "
                         f"got {tuple(lora_delta.shape)}")
    lead = lora_delta.shape[:-1]
    out = []
    off = 0
    a_size = cfg.lora_rank * cfg.film_d_in
    b_size = cfg.film_d_out * cfg.lora_rank
    for _ in cfg.lora_layers:
        a = lora_delta[..., off:off + a_size].reshape(*lead, cfg.lora_rank, cfg.film_d_in)
        off += a_size
        b = lora_delta[..., off:off + b_size].reshape(*lead, cfg.film_d_out, cfg.lora_rank)
        off += b_size
        out.append((a, b))
    return out


def pack_lora_delta(pairs: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """Inverse of :func:`unpack_lora_delta` for unbatched pairs: [(A (rank, d_in), B (d_out, rank))] → (R,)."""
    return torch.cat([t.reshape(-1) for pair in pairs for t in pair])


def _lora_apply(cond: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """cond (N, d_in), A (rank, d_in) or (N, rank, d_in), B (d_out, rank) or (N, d_out, rank) → (N, d_out)."""
    if a.dim() == 2:
        return (cond @ a.T) @ b.T
    if a.shape[0] != cond.shape[0]:
        raise ValueError(f"lora_delta: expected batch {cond.shape[0]} to match the conditioning, got {a.shape[0]}")
    low = torch.einsum("ni,nri->nr", cond, a)
    return torch.einsum("nr,nor->no", low, b)


class ConverterLoRA(nn.Module):
    """Trainable LoRA adapter for a converter's FiLM layers (B zero-initialised, so it starts as a no-op).

    ``delta()`` returns the flat (R,) vector in the contract layout, to pass as ``lora_delta``.
    """

    def __init__(self, cfg: ConverterConfig) -> None:
        super().__init__()
        self.cfg = cfg
        n = cfg.n_lora_layers
        self.a = nn.Parameter(torch.randn(n, cfg.lora_rank, cfg.film_d_in) / cfg.film_d_in ** 0.5)
        self.b = nn.Parameter(torch.zeros(n, cfg.film_d_out, cfg.lora_rank))

    def delta(self) -> torch.Tensor:
        """→ lora_delta (R,)."""
        return pack_lora_delta([(self.a[i], self.b[i]) for i in range(self.cfg.n_lora_layers)])


class Converter(nn.Module):
    """content (B, d_content, T) + spk_embed (B, d_speaker) + acoustic_params (B, 32) → features (B, 513, T)."""

    def __init__(self, cfg: ConverterConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ConverterConfig()
        c = self.cfg
        self.in_proj = nn.Linear(c.d_content, c.channels)
        self.stack = CausalConvNeXtStack(c.channels, c.hidden, c.kernel, tuple(c.dilations), c.layer_scale_init)
        self.film = nn.ModuleList(nn.Linear(c.film_d_in, c.film_d_out) for _ in range(c.n_blocks))
        self.out_norm = nn.LayerNorm(c.channels)
        # harmonic_head: two envelopes (harmonic, noise), per knot (linear between knots) or per bin, combined with
        # the F0 comb in _out.
        self.comb = HarmonicComb(c.out_channels) if c.harmonic_head else None
        knotted = c.harmonic_head and c.envelope_spacing_hz > 0.0
        self.envelope = EnvelopeKnots(envelope_knots(c.envelope_spacing_hz, c.envelope_spacing_ratio),
                                      c.out_channels) if knotted else None
        per_envelope = self.envelope.n_knots if knotted else c.out_channels
        self.out_proj = nn.Linear(c.channels, 2 * per_envelope if c.harmonic_head else c.out_channels)
        # The speaker bank (docs/speaker-bank.md) replaces the two envelopes' values by the enrolled speaker's own;
        # its keys are the content without the F0 channel.
        self.bank = SpeakerBank(c.d_content - 1, 2 * per_envelope) if c.harmonic_head else None

    @property
    def state_frames(self) -> int:
        return self.stack.state_frames

    def init_state(self, batch: int = 1, device: torch.device | str | None = None) -> torch.Tensor:
        """Zero state (batch, channels, state_frames)."""
        return self.stack.init_state(batch, device)

    def film_params(self, spk_embed: torch.Tensor, acoustic_params: torch.Tensor,
                    lora_delta: torch.Tensor | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """spk_embed (B, d_speaker), acoustic_params (B, n_ac), lora_delta (R,) or (B, R) → [(γ, β) (B, C)]."""
        check_tensor("spk_embed", spk_embed, self.cfg.d_speaker, ndim=2)
        check_tensor("acoustic_params", acoustic_params, self.cfg.n_acoustic_params, ndim=2)
        cond = torch.cat([spk_embed, acoustic_params], dim=1)
        lora = {} if lora_delta is None else dict(zip(self.cfg.lora_layers, unpack_lora_delta(self.cfg,
                                                                                            lora_delta)))
        films = []
        for i, layer in enumerate(self.film):
            y = layer(cond)
            if i in lora:
                y = y + self.cfg.lora_scale * _lora_apply(cond, *lora[i])
            films.append((y[:, :self.cfg.channels], y[:, self.cfg.channels:]))
        return films

    def _check(self, content: torch.Tensor, spk_embed: torch.Tensor) -> None:
        check_tensor("content", content, self.cfg.d_content)
        if spk_embed.dim() >= 1 and spk_embed.shape[0] != content.shape[0]:
            raise ValueError(f"spk_embed: expected batch {content.shape[0]} to match content, "
                             f"got {tuple(spk_embed.shape)}")

    def _inp(self, content: torch.Tensor) -> torch.Tensor:
        return self.in_proj(content.transpose(1, 2)).transpose(1, 2)

    def _out(self, h: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
        """h (B, C, T), content (B, d_content, T) of each output frame (its last channel the F0 input) →
        features (B, 513, T)."""
        y = self.out_proj(self.out_norm(h.transpose(1, 2)))
        if self.comb is None:
            return y.transpose(1, 2)
        f0_input = content[:, -1]
        y = self.bank(content[:, :-1].transpose(1, 2), y, f0_input).transpose(1, 2)
        if self.envelope is None:
            harmonic_env, noise_env = y.split(self.cfg.out_channels, dim=1)
        else:  # knot values → per-bin envelopes
            knots = y.transpose(1, 2)
            n = self.envelope.n_knots
            harmonic_env = self.envelope(knots[..., :n]).transpose(1, 2)
            noise_env = self.envelope(knots[..., n:]).transpose(1, 2)
        return harmonic_plus_noise(harmonic_env, noise_env, self.comb(f0_input))

    def forward(self, content: torch.Tensor, spk_embed: torch.Tensor, acoustic_params: torch.Tensor,
                lora_delta: torch.Tensor | None = None) -> torch.Tensor:
        """content (B, d_content, T), spk_embed (B, 192), acoustic_params (B, 32) → features (B, 513, T)."""
        self._check(content, spk_embed)
        films = self.film_params(spk_embed, acoustic_params, lora_delta)
        return self._out(self.stack(self._inp(content), films), content)

    def forward_streaming(self, content: torch.Tensor, spk_embed: torch.Tensor, acoustic_params: torch.Tensor,
                          state: torch.Tensor, lora_delta: torch.Tensor | None = None
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """As :meth:`forward` for a chunk, with state (B, C, S) → (features (B, 513, T), new_state)."""
        self._check(content, spk_embed)
        check_state("converter state", state, content, self.cfg.channels, self.state_frames)
        films = self.film_params(spk_embed, acoustic_params, lora_delta)
        h, new_state = self.stack.forward_streaming(self._inp(content), state, films)
        return self._out(h, content), new_state


def merge_lora(converter: Converter, lora_delta: torch.Tensor) -> Converter:
    """Copy of ``converter`` with ``W' = W + (alpha/rank) · B @ A`` on the LoRA'd FiLM layers.

    lora_delta: (R,) or (1, R) in the contract layout. The input converter is not modified.
    """
    delta = lora_delta.detach()
    if delta.dim() == 2 and delta.shape[0] == 1:
        delta = delta[0]
    if delta.dim() != 1:
        raise ValueError(f"lora_delta: expected shape ({converter.cfg.lora_size},) or (1, "
                         f"{converter.cfg.lora_size}), got {tuple(lora_delta.shape)}")
    merged = copy.deepcopy(converter)
    with torch.no_grad():
        for idx, (a, b) in zip(converter.cfg.lora_layers, unpack_lora_delta(converter.cfg, delta)):
            w = merged.film[idx].weight
            w.add_((converter.cfg.lora_scale * (b.to(w.dtype) @ a.to(w.dtype))))
    return merged
