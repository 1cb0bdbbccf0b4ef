// NoiseGate: fades the converted output out while the input is not speech (issue 19), identical to
// tmrvc_core.dsp.gate. Decided once per hop from the newest input hop only (no added latency; the synthesis plays
// an older hop, so an onset opens the gate slightly ahead of the sound it lets through): open when the hop's RMS is
// above the threshold and YIN finds it voiced; held open for kGateHoldS after that (unvoiced consonants), and while
// the level stays within kGateHysteresisDb below the threshold. The gain ramps linearly (attack/release ≥ 20 ms).
#pragma once

#include "tmrvc/constants.h"
#include "tmrvc/realtime.h"

namespace tmrvc {

class NoiseGate {
public:
    NoiseGate() noexcept { reset(); }

    void reset() noexcept TMRVC_REALTIME;
    // newest: the kHopLength newest input samples; voiced: YIN's decision for this hop; thresholdDb at or below
    // kGateOffDbfs turns the gate off (the gain ramps back to 1). out: the hop to scale in place.
    void process(const float* newest, bool voiced, float thresholdDb, float* out) noexcept TMRVC_REALTIME;
    bool open() const noexcept { return open_; }
    float gain() const noexcept { return gain_; }

private:
    bool open_ = false;
    int holdHops_ = 0;
    float gain_ = 1.0f;
    bool fresh_ = true;  // no decision yet since reset()
};

}  // namespace tmrvc
