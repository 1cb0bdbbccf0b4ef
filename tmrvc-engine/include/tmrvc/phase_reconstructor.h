// PhaseReconstructor: phase from magnitude by peak-locked accumulation, identical to tmrvc_core.dsp.phase
// (docs/dsp-and-streaming.md, "Phase reconstruction"). Every spectral peak's phase advances by the peak's own
// frequency from hop to hop, tracked at the centre of the synthesis tail; the bins of its region (up to the
// valleys) are locked to it; bins above constants::kPhaseNoiseAboveHz get a fresh pseudo-random phase each frame.
// Real-time safe.
#pragma once

#include <array>
#include <cstdint>

#include "tmrvc/constants.h"
#include "tmrvc/realtime.h"

namespace tmrvc {

class PhaseReconstructor {
public:
    PhaseReconstructor() noexcept { reset(); }

    // psi = 0, previous peak frequencies = the bin centres, noise counter 0.
    void reset() noexcept TMRVC_REALTIME;
    // mag: kNFreqBins linear magnitudes of one frame → phase: kNFreqBins radians in [-pi, pi).
    void step(const float* mag, float* phase) noexcept TMRVC_REALTIME;

private:
    static constexpr int kBins = constants::kNFreqBins;
    std::array<double, kBins> psi_{}, omegaPrev_{}, logMag_{}, omega_{}, nextPsi_{};
    std::array<int, kBins> owner_{}, jumped_{};
    std::uint32_t frame_ = 0;  // the noise phase's frame counter
};

}  // namespace tmrvc
