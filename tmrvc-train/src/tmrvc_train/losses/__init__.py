"""Training losses: spectral (engine iSTFT, MR-STFT, mel), phase (anti-wrapping), adversarial, speaker."""

from tmrvc_train.losses.adversarial import discriminator_loss, feature_matching_loss, generator_loss
from tmrvc_train.losses.phase import CropSTFT, PhaseLoss, anti_wrap
from tmrvc_train.losses.speaker import AAMSoftmax, cosine_warmup, speaker_similarity_loss
from tmrvc_train.losses.spectral import EngineISTFT, FeaturesToMel, MultiResolutionSTFTLoss, WaveMelLoss

__all__ = ["AAMSoftmax", "CropSTFT", "EngineISTFT", "FeaturesToMel", "MultiResolutionSTFTLoss", "PhaseLoss",
           "WaveMelLoss", "anti_wrap", "cosine_warmup", "discriminator_loss", "feature_matching_loss", "generator_loss",
           "speaker_similarity_loss"]
