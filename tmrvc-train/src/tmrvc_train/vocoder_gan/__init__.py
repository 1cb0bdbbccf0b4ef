"""GAN vocoder training: multi-period and multi-resolution discriminators, feature matching."""

from tmrvc_train.vocoder_gan.discriminators import (CombinedDiscriminator, MultiPeriodDiscriminator,
                                                    MultiResolutionDiscriminator)

__all__ = ["CombinedDiscriminator", "MultiPeriodDiscriminator", "MultiResolutionDiscriminator"]
