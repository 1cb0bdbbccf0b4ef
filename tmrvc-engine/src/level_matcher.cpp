#include "tmrvc/level_matcher.h"

#include <algorithm>
#include <cmath>

namespace tmrvc {
namespace {

namespace c = constants;

double hopEnergy(const float* x) noexcept {
    double e = 0.0;
    for (int n = 0; n < c::kHopLength; ++n) e += static_cast<double>(x[n]) * static_cast<double>(x[n]);
    return e;
}

const double kAlpha = 1.0 - std::exp(-static_cast<double>(c::kHopLength) / (c::kSampleRate * c::kLevelMatchTimeS));
const double kMaxGain = std::pow(10.0, c::kLevelMatchMaxDb / 20.0);
const double kGateEnergy = std::pow(10.0, c::kLevelMatchGateDbfs / 10.0) * c::kHopLength;

}  // namespace

void LevelMatcher::reset() noexcept {
    levelIn_ = 0.0;
    levelOut_ = 0.0;
    lastGain_ = 1.0;
}

void LevelMatcher::process(const float* in, float* out) noexcept {
    const double eIn = hopEnergy(in);
    if (eIn >= kGateEnergy) {
        levelIn_ += kAlpha * (eIn - levelIn_);
        levelOut_ += kAlpha * (hopEnergy(out) - levelOut_);
    }
    double gain = 1.0;
    if (levelIn_ > 0.0 && levelOut_ > 0.0) gain = std::clamp(std::sqrt(levelIn_ / levelOut_), 1.0 / kMaxGain, kMaxGain);
    for (int n = 0; n < c::kHopLength; ++n) {
        const double ramp = static_cast<double>(n + 1) / c::kHopLength;
        out[n] *= static_cast<float>(lastGain_ + (gain - lastGain_) * ramp);
    }
    lastGain_ = gain;
}

}  // namespace tmrvc
