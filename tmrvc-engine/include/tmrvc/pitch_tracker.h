// PitchTracker: causal per-frame YIN F0, identical to tmrvc_core.dsp.f0 (docs/dsp-and-streaming.md, "F0").
#pragma once

#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/realtime.h"

namespace tmrvc {

class PitchTracker {
public:
    // windowLength: samples per analysis frame; capacity: the longest window setWindowLength() may choose later
    // (at least windowLength). Throws std::invalid_argument when windowLength is shorter than minWindowLength()
    // (the YIN integration length windowLength - tauMax must be >= 1).
    explicit PitchTracker(int windowLength = constants::kF0WindowLength, int capacity = 0);

    // Chooses the window length for the next estimates, clamped to [minWindowLength(), capacity]. No allocation.
    void setWindowLength(int windowLength) noexcept TMRVC_REALTIME;

    // frame: windowLength samples, oldest first. Returns F0 in Hz, 0 = unvoiced or silent.
    float estimate(const float* frame) noexcept TMRVC_REALTIME;
    int windowLength() const noexcept { return windowLength_; }

    static int tauMin() noexcept;
    static int tauMax() noexcept;
    static int minWindowLength() noexcept { return tauMax() + 1; }

private:
    int windowLength_;
    int capacity_;
    std::vector<double> frame_;       // capacity, float64 copy of the input
    std::vector<double> difference_;  // tauMax + 1: d(tau), then d'(tau)
};

// Model F0 input: log(f0 * 2^(semitones / 12) + 1) when f0 > 0 (voiced), else 0.
float f0ToModelInput(float f0Hz, float semitones) noexcept TMRVC_REALTIME;

}  // namespace tmrvc
