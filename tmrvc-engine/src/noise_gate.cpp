#include "tmrvc/noise_gate.h"

#include <algorithm>
#include <cmath>

namespace tmrvc {
namespace c = constants;

void NoiseGate::reset() noexcept {
    open_ = true;  // gate off or not, a fresh stream is untouched until the first decision
    holdHops_ = 0;
    gain_ = 1.0f;
    fresh_ = true;
}

void NoiseGate::process(const float* newest, bool voiced, float thresholdDb, float* out) noexcept {
    const bool off = !(thresholdDb > static_cast<float>(c::kGateOffDbfs));
    if (off) {
        open_ = true;
        holdHops_ = 0;
        if (gain_ == 1.0f) {
            fresh_ = false;
            return;  // off and settled: the output is untouched, bit for bit
        }
    } else {
        double energy = 0.0;
        for (int i = 0; i < c::kHopLength; ++i) energy += static_cast<double>(newest[i]) * newest[i];
        const double db = 10.0 * std::log10(energy / c::kHopLength + 1e-20);
        // hysteresis: once open, voiced hops keep it open down to kGateHysteresisDb below the threshold
        const double threshold = open_ ? thresholdDb - c::kGateHysteresisDb : thresholdDb;
        if (voiced && db > threshold) {
            open_ = true;
            holdHops_ = static_cast<int>(std::lround(c::kGateHoldS * c::kSampleRate / c::kHopLength));
        } else if (holdHops_ > 0) {
            --holdHops_;
        } else {
            open_ = false;
        }
    }
    const float target = open_ ? 1.0f : 0.0f;
    // the first decision of a stream with the gate on takes effect at once: the stream starts from silence, so
    // there is nothing to click against, and a ramp would let the first hops of converted noise through
    if (fresh_ && !off) gain_ = target;
    fresh_ = false;
    const float step = static_cast<float>(1.0 / ((open_ ? c::kGateAttackS : c::kGateReleaseS) * c::kSampleRate));
    const float g0 = gain_;
    for (int i = 0; i < c::kHopLength; ++i) {
        const float d = step * static_cast<float>(i + 1);
        out[i] *= target > g0 ? std::min(target, g0 + d) : std::max(target, g0 - d);
    }
    const float d = step * static_cast<float>(c::kHopLength);
    gain_ = target > g0 ? std::min(target, g0 + d) : std::max(target, g0 - d);
}

}  // namespace tmrvc
