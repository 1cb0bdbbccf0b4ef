"""Settings of the causal student models: one frozen dataclass per model.

Defaults come from :mod:`tmrvc_core.constants` (generated from ``configs/constants.yaml``); ``tiny()`` gives a
small variant for tests. Contract-fixed interface sizes (mel bins, content, speaker, acoustic params, FFT bins)
stay at their constants in ``tiny()`` too, so tiny models have the same tensor names and outer shapes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tmrvc_core import constants as K


def _state_frames(kernel: int, dilations: tuple[int, ...]) -> int:
    return sum((kernel - 1) * d for d in dilations)


def _check_stack(name: str, channels: int, hidden: int, kernel: int, dilations: tuple[int, ...]) -> None:
    if channels < 1 or hidden < 1:
        raise ValueError(f"{name}: expected channels >= 1 and hidden >= 1, got {channels} and {hidden}")
    if kernel < 1:
        raise ValueError(f"{name}: expected kernel >= 1, got {kernel}")
    if len(dilations) < 1 or any(d < 1 for d in dilations):
        raise ValueError(f"{name}: expected a non-empty tuple of dilations >= 1, got {dilations}")


@dataclass(frozen=True)
class ContentEncoderConfig:
    """content_encoder: concat(mel, log-F0) → causal ConvNeXt stack → content."""

    n_mels: int = K.N_MELS
    d_content: int = K.D_CONTENT
    channels: int = K.CONTENT_ENCODER_CHANNELS
    hidden: int = K.CONTENT_ENCODER_HIDDEN
    kernel: int = K.CONTENT_ENCODER_KERNEL
    dilations: tuple[int, ...] = K.CONTENT_ENCODER_DILATIONS
    layer_scale_init: float = 0.25
    f0_passthrough: bool = True  # the last content channel is the F0 input itself (the converter's pitch)
    # > 0: the content is the encoder's phoneme posteriors over this many classes (softmax, zero-padded to
    # d_content), a bottleneck that leaves the speaker's timbre to the speaker condition; 0: free features.
    posterior_classes: int = 0
    # the posteriors are softmax(logits / this): above 1 the runner-up phones show through (coarticulation)
    posterior_temperature: float = 1.0

    def __post_init__(self) -> None:
        _check_stack("ContentEncoderConfig", self.channels, self.hidden, self.kernel, tuple(self.dilations))
        room = self.d_content - int(self.f0_passthrough)
        if not 0 <= self.posterior_classes <= room:
            raise ValueError(f"ContentEncoderConfig: posterior_classes must be in [0, {room}] (the content's "
                             f"channels less the F0 channel), got {self.posterior_classes}")
        if not self.posterior_temperature > 0:
            raise ValueError(f"ContentEncoderConfig: posterior_temperature must be > 0, got "
                             f"{self.posterior_temperature}")

    @property
    def state_frames(self) -> int:
        return _state_frames(self.kernel, tuple(self.dilations))

    @classmethod
    def tiny(cls) -> "ContentEncoderConfig":
        return cls(channels=32, hidden=64, dilations=(1, 2))


@dataclass(frozen=True)
class ConverterConfig:
    """converter: content → causal ConvNeXt stack with FiLM(spk_embed ⊕ acoustic_params) → features."""

    d_content: int = K.D_CONTENT
    d_speaker: int = K.D_SPEAKER
    n_acoustic_params: int = K.N_ACOUSTIC_PARAMS
    out_channels: int = K.N_FREQ_BINS
    channels: int = K.D_CONVERTER_HIDDEN
    hidden: int = K.CONVERTER_HIDDEN
    kernel: int = K.CONVERTER_KERNEL
    dilations: tuple[int, ...] = K.CONVERTER_DILATIONS
    lora_rank: int = K.LORA_RANK
    lora_alpha: float = K.LORA_ALPHA
    n_lora_layers: int = K.N_LORA_LAYERS
    layer_scale_init: float = 0.25
    # Harmonic-plus-noise output: features = log(e^H · comb(F0) + e^N), F0 read from the last content channel
    # (the content encoder's F0 passthrough), so harmonics sit exactly at the (shifted) input pitch.
    harmonic_head: bool = True
    # The two envelopes are drawn as piecewise-linear curves through knots spaced max(envelope_spacing_hz,
    # envelope_spacing_ratio × f) apart (0 = one value per bin; 45 knots by default). Knots 150 Hz apart cannot
    # hold a ripple of period under 300 Hz, so the source voice's harmonics (leaking through the content
    # features) cannot reach the output and the comb alone places harmonics: with a per-bin head, a male source
    # moved into a female target's range came out with both harmonic series (F0 correlation 0.18; 0.61 with
    # knots, docs/training-results.md).
    envelope_spacing_hz: float = 150.0
    envelope_spacing_ratio: float = 0.06

    def __post_init__(self) -> None:
        if self.envelope_spacing_hz < 0.0 or self.envelope_spacing_ratio < 0.0:
            raise ValueError("ConverterConfig: envelope_spacing_hz and envelope_spacing_ratio must be >= 0, got "
                             f"{self.envelope_spacing_hz} and {self.envelope_spacing_ratio}")
        _check_stack("ConverterConfig", self.channels, self.hidden, self.kernel, tuple(self.dilations))
        if not 0 <= self.n_lora_layers <= len(self.dilations):
            raise ValueError(
                f"ConverterConfig: expected 0 <= n_lora_layers <= {len(self.dilations)} (number of blocks), "
                f"got {self.n_lora_layers}"
            )
        if self.lora_rank < 1:
            raise ValueError(f"ConverterConfig: expected lora_rank >= 1, got {self.lora_rank}")

    @property
    def state_frames(self) -> int:
        return _state_frames(self.kernel, tuple(self.dilations))

    @property
    def n_blocks(self) -> int:
        return len(self.dilations)

    @property
    def film_d_in(self) -> int:
        return self.d_speaker + self.n_acoustic_params

    @property
    def film_d_out(self) -> int:
        return 2 * self.channels

    @property
    def lora_layers(self) -> tuple[int, ...]:
        """Indices of the FiLM layers that carry LoRA (the last ``n_lora_layers``)."""
        return tuple(range(self.n_blocks - self.n_lora_layers, self.n_blocks))

    @property
    def lora_layer_size(self) -> int:
        return self.lora_rank * self.film_d_in + self.film_d_out * self.lora_rank

    @property
    def lora_size(self) -> int:
        return self.n_lora_layers * self.lora_layer_size

    @property
    def lora_scale(self) -> float:
        return self.lora_alpha / self.lora_rank

    @classmethod
    def tiny(cls) -> "ConverterConfig":
        return cls(channels=32, hidden=64, dilations=(1, 2), n_lora_layers=2)


@dataclass(frozen=True)
class VocoderConfig:
    """vocoder: features → causal ConvNeXt stack → magnitude head (exp of clamped log, residual on the input
    features when ``mag_residual``) + phase (atan2)."""

    in_channels: int = K.N_FREQ_BINS
    n_freq_bins: int = K.N_FREQ_BINS
    channels: int = K.VOCODER_CHANNELS
    hidden: int = K.VOCODER_HIDDEN
    kernel: int = K.VOCODER_KERNEL
    dilations: tuple[int, ...] = K.VOCODER_DILATIONS
    log_mag_min: float = -12.0
    log_mag_max: float = 7.0
    layer_scale_init: float = 0.25
    mag_residual: bool = True  # log-magnitude = features + head (head zero-initialised)
    # Below this frequency the magnitude residual is drawn through knots max(residual_knot_spacing_hz,
    # residual_knot_ratio × f) apart (linear between them) instead of one value per bin (0 = per bin everywhere).
    # Knots 150 Hz apart cannot reshape single harmonics: per bin, the residual learned a fixed pattern on the
    # lowest bins that bent the target's fundamental and second harmonic and took the voicing out of the
    # converted speech (docs/training-results.md, session 7). Above it, per bin, where it removes tonal artefacts.
    # 2500 Hz: the converter's 150 Hz knots end there too.
    residual_knots_below_hz: float = 2500.0
    residual_knot_spacing_hz: float = 150.0
    residual_knot_ratio: float = 0.06

    def __post_init__(self) -> None:
        _check_stack("VocoderConfig", self.channels, self.hidden, self.kernel, tuple(self.dilations))
        if not 0.0 <= self.residual_knots_below_hz < 0.5 * K.SAMPLE_RATE:
            raise ValueError(f"VocoderConfig: residual_knots_below_hz must be in [0, {0.5 * K.SAMPLE_RATE:g}), got "
                             f"{self.residual_knots_below_hz}")
        if self.residual_knots_below_hz > 0.0 and not self.mag_residual:
            raise ValueError("VocoderConfig: residual_knots_below_hz needs mag_residual (the knots shape the residual)")
        if self.residual_knots_below_hz > 0.0 and self.residual_knot_spacing_hz <= 0.0:
            raise ValueError(f"VocoderConfig: residual_knot_spacing_hz must be > 0, got {self.residual_knot_spacing_hz}")
        if not self.log_mag_min < self.log_mag_max:
            raise ValueError(f"VocoderConfig: expected log_mag_min < log_mag_max, got {self.log_mag_min}, "
                             f"{self.log_mag_max}")

    @property
    def state_frames(self) -> int:
        return _state_frames(self.kernel, tuple(self.dilations))

    @classmethod
    def tiny(cls) -> "VocoderConfig":
        return cls(channels=32, hidden=64, dilations=(1, 2))


@dataclass(frozen=True)
class IREstimatorConfig:
    """ir_estimator: mel chunk → causal ConvNeXt stack → 32 range-limited acoustic params (last frame)."""

    n_mels: int = K.N_MELS
    n_ir_subbands: int = K.N_IR_SUBBANDS
    n_acoustic_params: int = K.N_ACOUSTIC_PARAMS
    channels: int = K.IR_ESTIMATOR_CHANNELS
    hidden: int = K.IR_ESTIMATOR_HIDDEN
    kernel: int = K.IR_ESTIMATOR_KERNEL
    dilations: tuple[int, ...] = K.IR_ESTIMATOR_DILATIONS
    layer_scale_init: float = 0.25

    def __post_init__(self) -> None:
        _check_stack("IREstimatorConfig", self.channels, self.hidden, self.kernel, tuple(self.dilations))
        expected = 3 * self.n_ir_subbands + K.N_VOICE_SOURCE_PARAMS
        if self.n_acoustic_params != expected:
            raise ValueError(f"IREstimatorConfig: expected n_acoustic_params = 3*n_ir_subbands + "
                             f"{K.N_VOICE_SOURCE_PARAMS} = {expected}, got {self.n_acoustic_params}")

    @property
    def state_frames(self) -> int:
        return _state_frames(self.kernel, tuple(self.dilations))

    @classmethod
    def tiny(cls) -> "IREstimatorConfig":
        return cls(channels=32, hidden=64, dilations=(1, 2))


@dataclass(frozen=True)
class SpeakerEncoderConfig:
    """speaker_encoder: ECAPA-like conv backbone + attentive statistics pooling → embedding + LoRA delta."""

    n_mels: int = K.N_MELS
    d_speaker: int = K.D_SPEAKER
    channels: int = K.SPEAKER_ENCODER_CHANNELS
    kernel: int = 3
    dilations: tuple[int, ...] = (2, 3, 4)
    scale: int = 4
    se_bottleneck: int = 64
    attention_hidden: int = 128
    lora_hidden: int = 256
    lora_size: int = K.LORA_SIZE
    lora_init_std: float = 1e-3

    def __post_init__(self) -> None:
        if self.channels < 1 or self.channels % self.scale != 0:
            raise ValueError(f"SpeakerEncoderConfig: expected channels divisible by scale={self.scale}, "
                             f"got channels={self.channels}")
        if self.lora_size < 0:
            raise ValueError(f"SpeakerEncoderConfig: expected lora_size >= 0, got {self.lora_size}")

    @classmethod
    def tiny(cls) -> "SpeakerEncoderConfig":
        return cls(channels=32, dilations=(2, 3), se_bottleneck=16, attention_hidden=16, lora_hidden=32,
                   lora_size=ConverterConfig.tiny().lora_size)


CONFIG_CLASSES: dict[str, type] = {
    "content_encoder": ContentEncoderConfig,
    "converter": ConverterConfig,
    "vocoder": VocoderConfig,
    "ir_estimator": IREstimatorConfig,
    "speaker_encoder": SpeakerEncoderConfig,
}


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A settings dataclass as a plain dict (tuples become lists) for checkpoints and metadata."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}


# Settings added after checkpoints were written: a file without the key gets the behaviour it was trained with.
_LEGACY_DEFAULTS: dict[str, dict[str, Any]] = {
    "vocoder": {"mag_residual": False, "residual_knots_below_hz": 0.0},
    "content_encoder": {"f0_passthrough": False},
    "converter": {"harmonic_head": False, "envelope_spacing_hz": 0.0},
}


def config_from_dict(name: str, data: dict[str, Any]) -> Any:
    """Rebuild the settings dataclass of model ``name`` from :func:`config_to_dict` output."""
    if name not in CONFIG_CLASSES:
        raise ValueError(f"unknown model name {name!r}; expected one of {sorted(CONFIG_CLASSES)}")
    cls = CONFIG_CLASSES[name]
    known = set(cls.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown settings {sorted(unknown)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    for key, value in _LEGACY_DEFAULTS.get(name, {}).items():
        values.setdefault(key, value)
    return cls(**values)

