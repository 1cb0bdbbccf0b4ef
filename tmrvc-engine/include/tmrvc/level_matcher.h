// LevelMatcher: keeps the converted output at the input's level, identical to tmrvc_core.dsp.level
// (docs/dsp-and-streaming.md, "Level match"). Two one-pole followers of hop energy (the input delayed like the
// synthesis, the converted output) updated while the input is above the gate; each output hop is scaled by the
// square root of their ratio (within ±kLevelMatchMaxDb), ramped from the previous hop's gain. Real-time safe.
#pragma once

#include "tmrvc/constants.h"
#include "tmrvc/realtime.h"

namespace tmrvc {

class LevelMatcher {
public:
    LevelMatcher() noexcept { reset(); }

    void reset() noexcept TMRVC_REALTIME;
    // in: the kHopLength input samples aligned with out; out: the converted hop, scaled in place.
    void process(const float* in, float* out) noexcept TMRVC_REALTIME;

private:
    double levelIn_ = 0.0, levelOut_ = 0.0, lastGain_ = 1.0;
};

}  // namespace tmrvc
