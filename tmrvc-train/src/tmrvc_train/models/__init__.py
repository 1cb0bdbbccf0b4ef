"""Causal student models (streaming with explicit state) and their settings."""

from tmrvc_train.models.config import (
    ContentEncoderConfig,
    ConverterConfig,
    IREstimatorConfig,
    SpeakerEncoderConfig,
    VocoderConfig,
    config_from_dict,
    config_to_dict,
)
from tmrvc_train.models.content_encoder import ContentEncoder
from tmrvc_train.models.converter import Converter, ConverterLoRA, merge_lora, pack_lora_delta, unpack_lora_delta
from tmrvc_train.models.converter_hq import ConverterHQ, lookahead_windows
from tmrvc_train.models.ir_estimator import IREstimator, acoustic_param_ranges
from tmrvc_train.models.speaker_encoder import SpeakerEncoder
from tmrvc_train.models.students import (
    MODEL_NAMES,
    StudentModels,
    build_students,
    load_checkpoint,
    save_checkpoint,
)
from tmrvc_train.models.vocoder import Vocoder

__all__ = [
    "MODEL_NAMES", "ContentEncoder", "ContentEncoderConfig", "Converter", "ConverterConfig", "ConverterHQ",
    "ConverterLoRA", "lookahead_windows",
    "IREstimator", "IREstimatorConfig", "SpeakerEncoder", "SpeakerEncoderConfig", "StudentModels", "Vocoder",
    "VocoderConfig", "acoustic_param_ranges", "build_students", "config_from_dict", "config_to_dict",
    "load_checkpoint", "merge_lora", "pack_lora_delta", "save_checkpoint", "unpack_lora_delta",
]
